"""The traffic log's copy and export: rows or their bytes to the clipboard (text, hex, raw), rows
to a file (CSV, text, hex, raw bytes, pcapng), and the table's context menu.

:class:`LogCopyExport` is one half of :class:`~gui.widgets.traffic_log.TrafficLog` (see
:mod:`~gui.widgets.traffic_log_parts`); the file formats are :mod:`~gui.widgets.traffic_log_export`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QByteArray, QCoreApplication, QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from gui.widgets.traffic_log_export import rows_bytes, rows_hex, write_export
from gui.widgets.traffic_log_parts import LogParts
from net.errors import NetError

__all__ = ["LogCopyExport"]


class LogCopyExport(LogParts):
    """Copy and export of a traffic log's rows."""

    def copy_selection(self) -> str:
        """Copy the selected rows (or every row) to the clipboard, tab-separated, every byte."""
        rows = self._chosen_rows()
        text = "\n".join("\t".join(self.model.row_texts(row)) for row in rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_bytes(self, kind: Literal["text", "hex", "raw"] = "raw") -> bytes:
        """Copy every byte of the selected rows (or of all rows): as text in the display
        encoding, as hex (a row a line), or raw (``application/octet-stream``, with the text
        beside it). Returns the bytes copied."""
        rows = self._chosen_rows()
        data = rows_bytes(self.model, rows)
        if kind == "hex":
            QGuiApplication.clipboard().setText(rows_hex(self.model, rows))
            return data
        text = data.decode(self._codec(), errors="replace")
        if kind == "text":
            QGuiApplication.clipboard().setText(text)
            return data
        mime = QMimeData()
        mime.setData("application/octet-stream", QByteArray(data))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        return data

    def export(
        self, path: str | Path, rows: Sequence[int] | None = None, *, selection: bool = False
    ) -> int:
        """Save rows to ``path``, the format by its suffix: .csv CSV, .hex hex, .bin the raw
        bytes, .pcapng a capture for Wireshark, anything else tab-separated text. ``rows``
        (or the selection, with ``selection``) or every row. Returns the rows (pcapng:
        packets) written.

        Raises:
            TransferError: the file cannot be written.
            AddressError: pcapng of a row whose peer is not an IP address and port.
        """
        if selection and rows is None:
            rows = self._chosen_rows()
        count = write_export(
            self.model,
            path,
            rows,
            protocol=self._protocol(),
            local=self.local or "0.0.0.0:0",
            local_of=self._locals,
            peer_connected=self._panel_name() != "tcpClientPanel",
        )
        self.exported.emit(str(path))
        return count

    def export_dialog(self, *, selection: bool = False, pcapng: bool = False) -> None:
        filters = [
            (QCoreApplication.translate("TrafficLog", "CSV files (*.csv)"), ".csv"),
            (QCoreApplication.translate("TrafficLog", "Text files (*.txt)"), ".txt"),
            (QCoreApplication.translate("TrafficLog", "Hex, a row a line (*.hex)"), ".hex"),
            (QCoreApplication.translate("TrafficLog", "Raw bytes (*.bin)"), ".bin"),
            (QCoreApplication.translate("TrafficLog", "Wireshark captures (*.pcapng)"), ".pcapng"),
        ]
        if pcapng:
            filters = [filters[-1]]
        title = QCoreApplication.translate("TrafficLog", "Export log")
        path, chosen = QFileDialog.getSaveFileName(
            self,
            title,
            "traffic-log" + filters[0][1],
            ";;".join(label for label, _ in filters),
        )
        if not path:
            return
        if not Path(path).suffix:
            path += dict(filters).get(chosen, ".csv")
        try:
            self.export(path, selection=selection)
        except NetError as exc:
            QMessageBox.warning(
                self,
                title,
                QCoreApplication.translate(
                    "TrafficLog", "The log could not be saved: {reason}"
                ).format(reason=exc),
            )

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.tools.copy_raw_action)
        menu.addAction(self.tools.copy_hex_action)
        menu.addAction(self.clear_action)
        menu.addSeparator()
        select_all = menu.addAction(QCoreApplication.translate("TrafficLog", "Select all"))
        select_all.triggered.connect(self.view.selectAll)
        menu.exec(self.view.viewport().mapToGlobal(pos))
