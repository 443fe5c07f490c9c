"""A table of live connections (the TCP server's clients, the relay's connections): rows keyed by
connection id, refreshed in place while the user's selection stays on the same connections."""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

__all__ = ["ConnectionTable", "clock", "selected_ids", "set_rows"]

_ID_ROLE = Qt.ItemDataRole.UserRole


def clock(since: float) -> str:
    """The local time of day of ``since`` (seconds since the epoch): "14:03:27"."""
    return time.strftime("%H:%M:%S", time.localtime(since))


def set_rows(
    table: QTableWidget,
    rows: Sequence[tuple[int, Sequence[str]]],
    id_column: int,
    right_aligned: Container[int] = (),
) -> None:
    """Show ``rows``, each (connection id, its cells' texts), reusing the table's items; the
    rows selected before (by id) are selected again, without signals on the way (one
    ``itemSelectionChanged`` would fire per row)."""
    selected = set(selected_ids(table, id_column))
    table.setUpdatesEnabled(False)
    table.blockSignals(True)
    table.setRowCount(len(rows))
    for row, (conn_id, values) in enumerate(rows):
        for column, value in enumerate(values):
            item = table.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                if column in right_aligned:  # numbers line up by their last digit
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)
            item.setText(value)
            if column == id_column:
                item.setData(_ID_ROLE, conn_id)
    table.clearSelection()
    for row, (conn_id, _values) in enumerate(rows):
        if conn_id in selected:
            table.selectRow(row)
    table.blockSignals(False)
    table.setUpdatesEnabled(True)


def selected_ids(table: QTableWidget, id_column: int) -> list[int]:
    """The connection ids of the selected rows, top to bottom."""
    rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
    items = (table.item(row, id_column) for row in rows)
    return [int(item.data(_ID_ROLE)) for item in items if item is not None]


class ConnectionTable(QTableWidget):
    """A read-only table of live connections, one row each, whole rows selected.

    ``headings`` name the columns; the ``id_column``'s cells carry the connection ids, the
    ``stretch`` column takes the width left over, and the table is at most ``rows_shown`` text
    lines high (the log below needs the height).
    """

    def __init__(
        self,
        parent: QWidget,
        name: str,
        what: str,
        headings: Sequence[str],
        *,
        id_column: int,
        stretch: int,
        rows_shown: int,
        right_aligned: Container[int] = (),
    ) -> None:
        super().__init__(0, len(headings), parent)
        self.id_column = id_column
        self.right_aligned = right_aligned
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(list(headings))
        self.setAccessibleName(what)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.setMaximumHeight(self.fontMetrics().height() * rows_shown)

    def show_rows(self, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Show ``rows``, each (connection id, its cells' texts), keeping the selection (as
        :func:`set_rows`)."""
        set_rows(self, rows, self.id_column, self.right_aligned)

    def show_infos(self, infos: Iterable[Any], cells: Callable[[Any], Sequence[str]]) -> int:
        """Show a row per connection of ``infos`` (objects with a ``conn_id``), its cells'
        texts given by ``cells``; returns how many there are."""
        rows = [(info.conn_id, cells(info)) for info in infos]
        self.show_rows(rows)
        return len(rows)

    def selected_ids(self) -> list[int]:
        """The connection ids of the selected rows, top to bottom."""
        return selected_ids(self, self.id_column)

    def has_selection(self) -> bool:
        return bool(self.selectionModel().selectedRows())
