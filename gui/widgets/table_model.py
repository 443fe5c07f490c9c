"""The Qt plumbing every flat table of ours shares: rows in ``self._rows``, fixed column headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["RowTableModel", "header_text"]

_Index = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel):
    """A flat table: subclasses keep their rows in ``self._rows`` and answer ``data()``.

    Args:
        headers: the column titles, already translated; their count is the column count.
    """

    def __init__(self, headers: list[str], parent: Any = None) -> None:
        super().__init__(parent)
        self._headers = headers
        self._rows: Sequence[Any] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_text(self._headers, section, orientation, role)


def header_text(
    headers: Sequence[str], section: int, orientation: Qt.Orientation, role: int
) -> Any:
    """What ``headerData`` answers for column titles ``headers``: the title of a horizontal
    section for the display role, else None (no row numbers)."""
    if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
        return headers[section]
    return None
