"""The traffic log's filter: which rows the table shows (by direction, peer, and a search match).

:class:`LogFilter` is a proxy model put between the log's model and its view only while a filter
is on, so an unfiltered log (the usual case, and every flood) costs nothing here. Filtering
changes what is shown, never what is counted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from gui.widgets.traffic_log_model import TrafficLogModel

__all__ = ["LogFilter"]


class LogFilter(QSortFilterProxyModel):
    """Rows of a :class:`TrafficLogModel` whose direction, peer and bytes pass the filter.

    ``direction``: "" (all), "in" or "out" (notes stay visible with either); ``peer``: "" or one
    peer; ``needle``/``text``: when set, only rows that :meth:`TrafficLogModel.matches`.
    """

    def __init__(self, source: TrafficLogModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.source = source
        self.direction = ""
        self.peer = ""
        self.needle = b""
        self.text = ""
        self.setDynamicSortFilter(False)  # rows change only by arriving and leaving

    @property
    def active(self) -> bool:
        return bool(self.direction or self.peer or self.needle or self.text)

    def set_filter(self, direction: str, peer: str, needle: bytes, text: str) -> None:
        """Filter by these (see the class); the proxy watches the model only while a filter is
        on: a proxy with a source filters every arriving row, even one no view shows."""
        active = bool(direction or peer or needle or text)
        if not active:
            self.direction, self.peer, self.needle, self.text = direction, peer, needle, text
            if self.sourceModel() is not None:
                self.setSourceModel(None)  # type: ignore[arg-type]
            return
        if self.sourceModel() is None:
            self.direction, self.peer, self.needle, self.text = direction, peer, needle, text
            self.setSourceModel(self.source)
            return
        if not hasattr(self, "beginFilterChange"):  # Qt before 6.9
            self.direction, self.peer, self.needle, self.text = direction, peer, needle, text
            self.invalidateRowsFilter()
            return
        self.beginFilterChange()
        self.direction, self.peer, self.needle, self.text = direction, peer, needle, text
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def accepts(self, row: int) -> bool:
        """Whether source row ``row`` passes the filter."""
        source = self.source
        if self.direction:
            direction = source.row_direction(row)
            if direction not in ("info", "error") and direction != self.direction:
                return False
        if self.peer and source.row_peer(row) != self.peer:
            return False
        return not (self.needle or self.text) or source.matches(row, self.needle, self.text)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        return self.accepts(source_row)
