"""The traffic log's selection and search: the rows chosen, find next/previous, the direction,
peer and match filters, the hex dump pane of the selection and going to an offset in it.

:class:`LogSearch` is one half of :class:`~gui.widgets.traffic_log.TrafficLog` (see
:mod:`~gui.widgets.traffic_log_parts`); the filter model is :mod:`~gui.widgets.traffic_log_filter`.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QItemSelectionModel
from PySide6.QtWidgets import QInputDialog, QMessageBox

from gui.widgets.traffic_log_export import rows_bytes
from gui.widgets.traffic_log_parts import LogParts

__all__ = ["LogSearch"]


class LogSearch(LogParts):
    """Selection, search and filters of a traffic log."""

    def selected_rows(self) -> list[int]:
        """The selected rows of the model (not of the filtered view), in order."""
        selection = self.view.selectionModel()
        rows = {index.row() for index in selection.selectedRows()}
        if self.view.model() is self.filter:
            rows = {self.filter.mapToSource(self.filter.index(row, 0)).row() for row in rows}
        return sorted(rows)

    def _chosen_rows(self) -> list[int]:
        """The selected rows, or every row shown when none is."""
        rows = self.selected_rows()
        if rows:
            return rows
        if self.view.model() is self.filter:
            return [r for r in range(self.model.rowCount()) if self.filter.accepts(r)]
        return list(range(self.model.rowCount()))

    def select_row(self, row: int) -> None:
        """Select model row ``row`` (shown through the filter when one is on) and show it."""
        index = self.model.index(row, 0)
        if self.view.model() is self.filter:
            index = self.filter.mapFromSource(index)
        self.view.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)

    def find_next(self) -> int:
        """Select the next row holding what is searched for; returns its row or -1."""
        return self._find(backward=False)

    def find_previous(self) -> int:
        return self._find(backward=True)

    def _needle(self) -> tuple[bytes, str]:
        """What to look for: bytes, and text for notes; (b"", "") when nothing (or bad hex)."""
        text = self.tools.search_edit.text()
        if not text:
            return b"", ""
        if self.tools.hex_search_check.isChecked():
            try:
                return bytes.fromhex(text.replace(":", " ")), ""
            except ValueError:
                return b"", ""
        return text.encode(self._codec(), errors="ignore"), text

    def _find(self, *, backward: bool) -> int:
        needle, text = self._needle()
        selected = self.selected_rows()
        count = self.model.rowCount()
        start = (selected[0] - 1 if backward else selected[-1] + 1) if selected else 0
        if backward and not selected:
            start = count - 1
        filtered = self.view.model() is self.filter
        for _ in range(count):
            row = self.model.find(needle, start % max(1, count), backward=backward, text=text)
            if row < 0 or not filtered or self.filter.accepts(row):
                break
            start = row + (-1 if backward else 1)
        else:
            row = -1
        if row >= 0:
            self.follow_check.setChecked(False)  # stay on the match while rows arrive
            self.select_row(row)
        return row

    def _on_filter(self) -> None:
        tools = self.tools
        needle, text = self._needle() if tools.matching_check.isChecked() else (b"", "")
        self.filter.set_filter(
            tools.direction_combo.currentData() or "",
            tools.peer_combo.currentData() or "",
            needle,
            text,
        )
        wanted = self.filter if self.filter.active else self.model
        if self.view.model() is not wanted:
            self.view.setModel(wanted)
            self._watch_selection()
        self._update_rows_label()

    def _watch_selection(self) -> None:
        self.view.selectionModel().selectionChanged.connect(self._show_detail)

    def _show_detail(self) -> None:
        if self.tools.detail_action.isChecked():  # a hidden pane is filled when shown
            self.detail.set_data(rows_bytes(self.model, self.selected_rows()))

    def _on_detail_toggled(self, on: bool) -> None:
        self.detail.setVisible(on)
        self._show_detail()

    def go_to_offset(self, text: str) -> bool:
        """Scroll the hex dump to the offset ``text`` names (hex, like 138000 or 0x138000, or
        decimal with a leading #); False when it is not an offset of the bytes shown."""
        text = text.strip().lower()
        try:
            offset = int(text[1:]) if text.startswith("#") else int(text.removeprefix("0x"), 16)
        except ValueError:
            return False
        if not 0 <= offset < max(1, len(self.detail.data)):
            return False
        self.tools.detail_action.setChecked(True)
        self.detail.scroll_to_offset(offset)
        return True

    def _ask_offset(self) -> None:
        title = QCoreApplication.translate("TrafficLog", "Go to offset")
        text, ok = QInputDialog.getText(
            self,
            title,
            QCoreApplication.translate(
                "TrafficLog", "Offset in hex (138000), or in decimal after # (#1277952):"
            ),
        )
        if ok and not self.go_to_offset(text):
            QMessageBox.warning(
                self,
                title,
                QCoreApplication.translate(
                    "TrafficLog", "{text} is not an offset of the {size} bytes shown."
                ).format(text=text, size=f"{len(self.detail.data):,}"),
            )
