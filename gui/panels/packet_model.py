"""The Packets view's table model: the library's packets in order, narrowed by a search, moved
by drag and drop (rows travel as their library positions in a private MIME type).
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from gui.widgets.table_model import RowTableModel
from net.codec import render_text
from net.packets import Packet

__all__ = ["PacketModel"]

_ROWS_MIME = "application/x-socket-workbench-packet-rows"
_Index = QModelIndex | QPersistentModelIndex


def _destination(packet: Packet) -> str:
    if not packet.host:
        return ""
    host = f"[{packet.host}]" if ":" in packet.host else packet.host
    return f"{host}:{packet.port}"


_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


@functools.lru_cache(maxsize=4096)
def _cells(packet: Packet) -> tuple[str, str, str, str]:
    """A packet's four cells as shown (cached: a scrolled page asks for each many times)."""
    name = f"{packet.folder}/{packet.name}" if packet.folder else packet.name
    text = packet.payload[:80]
    payload = render_text(text.encode("utf-8", "replace")) if packet.mode == "text" else text
    return name, packet.protocol.upper(), _destination(packet), payload


class PacketModel(RowTableModel):
    """The library's packets in order, narrowed by a search: the view's rows are the packets that
    match (:meth:`library_row` maps a view row back). Rows move by drag and drop.

    The search runs in Python over cached lower-case texts, not row by row through Qt's
    filter proxy, which calls ``data()`` once per packet: with 10,000 packets a keystroke took
    ~120 ms that way and ~20 ms this way, repaint included (benchmarks/bench_packets.py).
    """

    NAME, PROTOCOL, DESTINATION, PAYLOAD = range(4)
    #: The packets' order changed (a drop or a move): the library should be saved.
    order_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [self.tr("Name"), self.tr("Protocol"), self.tr("Destination"), self.tr("Payload")],
            parent,
        )
        self._packets: list[Packet] = []
        self._search: list[str] = []
        self._query = ""
        self._rows: list[int] = []  # the library rows shown, in library order

    # -- the library and the search ------------------------------------------------------------

    def packets(self) -> list[Packet]:
        return list(self._packets)

    def packet(self, library_row: int) -> Packet:
        return self._packets[library_row]

    def library_row(self, view_row: int) -> int:
        return self._rows[view_row]

    def view_row(self, library_row: int) -> int | None:
        """The view row showing the packet at ``library_row``; None when the search hides it."""
        at = bisect.bisect_left(self._rows, library_row)
        return at if at < len(self._rows) and self._rows[at] == library_row else None

    @property
    def filtered(self) -> bool:
        return bool(self._query)

    def set_query(self, text: str) -> None:
        """Show only the packets whose name, folder, protocol, destination or payload contain
        ``text`` (ignoring case); "" shows all."""
        query = text.strip().casefold()
        if query != self._query:
            self.beginResetModel()
            self._query = query
            self._refilter()
            self.endResetModel()

    def set_packets(self, packets: list[Packet]) -> None:
        self.beginResetModel()
        self._packets = list(packets)
        self._search = [self._search_text(p) for p in self._packets]
        self._refilter()
        self.endResetModel()

    def replace(self, library_row: int, packet: Packet) -> None:
        self._packets[library_row] = packet
        self._search[library_row] = self._search_text(packet)
        row = self.view_row(library_row)
        if row is not None:  # still shown, even if it no longer matches: it was just edited
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def insert(self, library_row: int, packet: Packet) -> None:
        if self.filtered:
            packets = self.packets()
            packets.insert(library_row, packet)
            self.set_packets(packets)
            return
        self.beginInsertRows(QModelIndex(), library_row, library_row)
        self._packets.insert(library_row, packet)
        self._search.insert(library_row, self._search_text(packet))
        self._refilter()
        self.endInsertRows()

    def remove(self, library_rows: list[int]) -> None:
        """Remove the packets at ``library_rows``."""
        gone = set(library_rows)
        if self.filtered:
            self.set_packets([p for i, p in enumerate(self._packets) if i not in gone])
            return
        for row in sorted(gone, reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._packets[row]
            del self._search[row]
            self._refilter()
            self.endRemoveRows()

    def _refilter(self) -> None:
        query = self._query
        if query:
            self._rows = [i for i, text in enumerate(self._search) if query in text]
        else:
            self._rows = list(range(len(self._packets)))

    # -- moving --------------------------------------------------------------------------------

    def moveRows(
        self,
        source_parent: _Index,
        source_row: int,
        count: int,
        destination_parent: _Index,
        destination: int,
    ) -> bool:
        """Qt's move (unfiltered only): rows ``source_row`` .. +``count`` go before row
        ``destination``."""
        last = source_row + count - 1
        if (
            self.filtered
            or source_parent.isValid()
            or destination_parent.isValid()
            or count < 1
            or source_row < 0
            or last >= len(self._packets)
            or not 0 <= destination <= len(self._packets)
            or source_row <= destination <= last + 1
        ):
            return False
        if not self.beginMoveRows(QModelIndex(), source_row, last, QModelIndex(), destination):
            return False
        moved = self._packets[source_row : last + 1]
        searched = self._search[source_row : last + 1]
        del self._packets[source_row : last + 1]
        del self._search[source_row : last + 1]
        at = destination if destination < source_row else destination - count
        self._packets[at:at] = moved
        self._search[at:at] = searched
        self.endMoveRows()
        return True

    def move(self, rows: list[int], target: int) -> None:
        """Move the packets at library ``rows`` (any order), keeping their order, together to
        before the packet at library row ``target`` (the end when it is the packet count)."""
        chosen = sorted(r for r in set(rows) if 0 <= r < len(self._packets))
        if not chosen:
            return
        moving = [self._packets[r] for r in chosen]
        if self.filtered:
            rest = [(i, p) for i, p in enumerate(self._packets) if i not in set(chosen)]
            at = next((n for n, (i, _p) in enumerate(rest) if i >= target), len(rest))
            packets = [p for _i, p in rest]
            packets[at:at] = moving
            self.set_packets(packets)
            self.order_changed.emit()
            return
        anchor = next(
            (p for p in self._packets[max(0, target) :] if not any(p is m for m in moving)), None
        )
        for packet in moving:
            current = next(i for i, p in enumerate(self._packets) if p is packet)
            before = (
                next(i for i, p in enumerate(self._packets) if p is anchor)
                if anchor is not None
                else len(self._packets)
            )
            if current != before and current + 1 != before:
                self.moveRows(QModelIndex(), current, 1, QModelIndex(), before)
        self.order_changed.emit()

    # -- Qt's model interface ------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting asks for a dozen roles per cell; only two have anything to say.
        if role == _DISPLAY:
            return _cells(self._packets[self._rows[index.row()]])[index.column()]
        if role == _TOOLTIP and index.column() == self.PAYLOAD:
            return self._packets[self._rows[index.row()]].payload[:2000]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [_ROWS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({self._rows[index.row()] for index in indexes if index.isValid()})
        mime = QMimeData()
        mime.setData(_ROWS_MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        """Move the dragged rows to ``row`` (or before ``parent``'s row when dropped on a row).

        The rows are moved here with :meth:`moveRows`, so False is returned: the view must not
        remove the "source" rows afterwards, as it would after a copy between models.
        """
        if action != Qt.DropAction.MoveAction or not data.hasFormat(_ROWS_MIME):
            return False
        try:
            rows = [int(r) for r in json.loads(bytes(data.data(_ROWS_MIME).data()))]
        except (ValueError, TypeError):
            return False
        view_row = row if row >= 0 else parent.row() if parent.isValid() else len(self._rows)
        if view_row < len(self._rows):
            target = self._rows[view_row]
        else:  # below the last row shown: after that packet
            target = self._rows[-1] + 1 if self._rows else len(self._packets)
        self.move(rows, target)
        return False

    @staticmethod
    def _search_text(packet: Packet) -> str:
        return " ".join(
            (packet.name, packet.folder, packet.protocol, _destination(packet), packet.payload)
        ).casefold()
