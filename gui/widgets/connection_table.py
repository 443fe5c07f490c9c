"""A table of live connections (the TCP server's clients, the relay's connections): rows keyed by
connection id, refreshed in place while the user's selection stays on the same connections."""

from __future__ import annotations

from collections.abc import Container, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

__all__ = ["selected_ids", "set_rows"]

_ID_ROLE = Qt.ItemDataRole.UserRole


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
