"""How the traffic log's model reads its rows out: the cells the view paints (text or hex, rendered
only for the cells shown and cached), tooltips and colours, the bytes, peers and round-trip times
of rows, search, and the checksum marks of received rows.

:class:`RowReading` is one half of :class:`~gui.widgets.traffic_log_model.TrafficLogModel` (the
other half stores the rows within their limits); the view's calls into Python per painted cell
are one ``index`` and one ``multiData``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from gui.widgets.status import gui_wording
from gui.widgets.style import text_color
from gui.widgets.traffic_log_rows import (
    NOTES,
    LogEntry,
    Row,
    cell_bytes,
    checksum_failure,
    entry_of,
    format_time,
    row_of,
)
from net.checksum import get_checksum
from net.codec import StreamDecoder, hexdump, render_text, to_hex

if TYPE_CHECKING:
    import codecs

    from gui.widgets.table_model import RowTableModel

    _Model = RowTableModel
else:
    _Model = object

__all__ = ["RowReading"]

# Characters a cell gets to paint: more than the widest table shows on one line. Laying out a
# long string to elide it costs the GUI thread in proportion to its length (2 KiB of binary data
# renders to some 8,000 characters of escapes: 3 ms a cell).
_CELL_CHARS = 400
# Rendered cells remembered (the view asks for the same few dozen cells at every repaint).
_CACHE_ROWS = 1024

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset(int(role) for role in (_DISPLAY, _FOREGROUND, _ALIGNMENT, _TOOLTIP))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RowReading(_Model):
    """The reading half of the traffic log's model (see the module): what a row shows."""

    TIME, DIRECTION, PEER, SIZE, DATA = range(5)

    _rows: list[Row]
    _checksum: str | None
    _strip: tuple[bytes, ...]
    _checks: dict[int, tuple[Row, str]]
    _cells: dict[int, tuple[Row, str]]
    _hex: bool
    _encoding: str
    _streams: dict[int, codecs.IncrementalDecoder]
    _directions: dict[str, str]
    _rtts: dict[int, float]
    _first: int
    _rtt_pattern: str

    # -- bytes, peers, search and checksums -----------------------------------------------------

    def row_data(self, row: int) -> bytes:
        """Every byte row ``row`` keeps (b"" for a note)."""
        return self._rows[row][2]  # type: ignore[no-any-return]

    def row_direction(self, row: int) -> str:
        """The row's direction: in, out, info, error (or a relay's own)."""
        stored = self._rows[row]
        return "in" if len(stored) == 4 else stored[3]

    def row_peer(self, row: int) -> str:
        return self._rows[row][1]  # type: ignore[no-any-return]

    def row_rtt(self, row: int) -> float | None:
        """The round-trip time (ms) row ``row`` ends, or None."""
        return self._rtts.get(self._first + row) if self._rtts else None

    def rtt_text(self, size: int, rtt_ms: float) -> str:
        """The Bytes cell of a row that ends a round trip: ``"12 · 0.215 ms"``."""
        return self._rtt_pattern.format(size=f"{size:,}", ms=f"{rtt_ms:.3f}")

    @property
    def has_rtt(self) -> bool:
        """Whether any row held shows a round-trip time."""
        return bool(self._rtts)

    def row_time(self, row: int) -> float:
        """When the row's bytes arrived or left (``time.time()`` seconds)."""
        return self._rows[row][0]  # type: ignore[no-any-return]

    def traffic(self, rows: Iterable[int]) -> Iterator[tuple[float, bool, str, bytes]]:
        """(time, outgoing, peer, data) of each of ``rows`` that carries bytes in or out."""
        stored = self._rows
        for row in rows:
            item = stored[row]
            data = item[2]
            if not data:
                continue
            if len(item) == 4:
                yield item[0], False, item[1], data
            elif item[3] in ("in", "out"):
                yield item[0], item[3] == "out", item[1], data

    def peers(self) -> list[str]:
        """The peers of the rows kept, in order of first appearance."""
        return list(dict.fromkeys(row[1] for row in self._rows if row[1]))

    def matches(self, row: int, needle: bytes, text: str = "") -> bool:
        """Whether row ``row`` holds ``needle`` in its bytes, or ``text`` (case-insensitive) in
        its note."""
        stored = self._rows[row]
        if needle and needle in stored[2]:
            return True
        note = stored[4] if len(stored) >= 7 and stored[3] in NOTES else None
        return bool(text and note and text.casefold() in note.casefold())

    def find(self, needle: bytes, start: int, *, backward: bool = False, text: str = "") -> int:
        """The first row from ``start`` (going up when ``backward``, wrapping around) that
        :meth:`matches`; -1 when none does."""
        count = len(self._rows)
        if not count or not (needle or text):
            return -1
        step = -1 if backward else 1
        for offset in range(count):
            row = (start + step * offset) % count
            if self.matches(row, needle, text):
                return row
        return -1

    @property
    def checksum(self) -> str | None:
        return self._checksum

    def set_checksum(self, name: str | None, strip: tuple[bytes, ...] = ()) -> None:
        """Check the trailing checksum ``name`` (net.checksum) of every received row, or none;
        ``strip`` as in :func:`checksum_failure`.

        Raises:
            PayloadError: unknown checksum name.
        """
        if name is not None:
            get_checksum(name)
        if (name, strip) != (self._checksum, self._strip):
            self._checksum = name
            self._strip = strip
            self._checks.clear()
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 4))

    def checksum_failure(self, row: int) -> str:
        """Why row ``row`` fails the chosen checksum ("" when it passes, is not received data,
        or no checksum is chosen)."""
        stored = self._rows[row]
        if self._checksum is None or (len(stored) != 4 and stored[3] != "in"):
            return ""
        return self._failure(stored)

    def _failure(self, row: Row) -> str:
        key = id(row)
        cached = self._checks.get(key)
        if cached is not None and cached[0] is row:
            return cached[1]
        text = checksum_failure(row[2], self._checksum or "", self._strip)
        if len(self._checks) >= _CACHE_ROWS:
            self._checks.clear()
        self._checks[key] = (row, text)
        return text

    # -- rendering -----------------------------------------------------------------------------

    def direction_text(self, entry: LogEntry) -> str:
        return self._directions.get(entry.direction, entry.direction)

    def data_text(self, entry: LogEntry, *, full: bool = False) -> str:
        """The data column: hex or text (of every byte the row keeps when ``full``)."""
        return self._data_text(row_of(entry), full)

    def _data_text(self, row: Row, full: bool) -> str:
        if len(row) == 4:
            data, text, total, tail = row[2], None, len(row[2]), False
        else:
            data, direction, text, size, tail = row[2:7]
            if direction in NOTES:
                return gui_wording(text or "")
            total = len(data) if size is None else size
        shown = data if full else cell_bytes(data, tail)
        if self._hex:
            body = to_hex(shown)
        elif len(row) == 10:
            # A stream chunk: the lead completes a character the previous chunk began; its own
            # unfinished last character shows in the next row, or here once the stream ended.
            starts = not tail or len(shown) == len(data)
            final = row[9] and (tail or len(shown) == len(data))
            decoder = StreamDecoder(self._encoding, one_line=True)
            body = decoder.decode((row[8] if starts else b"") + shown, final=final)
        elif text is not None and len(shown) == len(cell_bytes(data, tail)):
            body = text  # a text already decoded for exactly these bytes
        else:
            body = render_text(shown, self._encoding)
        if len(shown) < total:
            return "… " + body if tail else body + " …"
        return body

    def _cell(self, row: Row) -> str:
        key = id(row)
        cached = self._cells.get(key)
        if cached is not None and cached[0] is row:
            return cached[1]
        text = self._data_text(row, False)
        if len(text) > _CELL_CHARS:
            tail = len(row) >= 7 and row[6]
            text = "…" + text[-_CELL_CHARS:] if tail else text[:_CELL_CHARS] + "…"
        if len(self._cells) >= _CACHE_ROWS:
            self._cells.clear()
        self._cells[key] = (row, text)  # holding the row keeps its id from being reused
        return text

    def row_texts(self, row: int, *, full: bool = True) -> list[str]:
        stored = self._rows[row]
        entry = entry_of(stored)
        size = "" if entry.direction in NOTES else str(entry.total)
        return [
            format_time(entry.time),
            self.direction_text(entry),
            entry.peer,
            size,
            self._data_text(stored, full),
        ]

    # -- QAbstractTableModel -------------------------------------------------------------------

    def index(
        self,
        row: int,
        column: int,
        parent: _Index = QModelIndex(),  # noqa: B008 (Qt's signature)
    ) -> QModelIndex:
        # The inherited index() asks rowCount() and columnCount(): two calls into Python (each
        # taking the GIL) for every cell the view paints; this is one.
        if 0 <= row < len(self._rows) and 0 <= column < 5 and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        position = index.row()
        return self._value(self._rows[position], index.column(), role, position)

    def multiData(self, index: _Index, roleDataSpan: Any) -> None:
        # The view's delegate asks for seven roles of every cell it paints: one call into Python
        # for all of them, not seven.
        if not index.isValid():
            return
        position = index.row()
        row = self._rows[position]
        column = index.column()
        for slot_index in range(len(roleDataSpan)):
            slot = roleDataSpan[slot_index]
            role = slot.role()
            value = self._value(row, column, role, position) if role in _ROLES else None
            # The view reuses one span for every cell: a slot left alone keeps the last cell's
            # value (the Bytes column's right alignment spread to every column).
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)

    def _value(self, row: Row, column: int, role: int, position: int = -1) -> Any:
        size: int | None
        if len(row) == 4:
            direction, size = "in", len(row[2])
        else:
            direction = row[3]
            size = None if direction in NOTES else len(row[2]) if row[5] is None else row[5]
        if role == _DISPLAY:
            if column == self.DATA:
                return self._cell(row)
            if column == self.TIME:
                return format_time(row[0])
            if column == self.DIRECTION:
                return self._directions.get(direction, direction)
            if column == self.PEER:
                return row[1]
            if size is None:
                return ""
            rtt = self._rtts.get(self._first + position) if self._rtts else None
            if rtt is None:
                return f"{size:,}"
            return self.rtt_text(size, rtt)
        if role == _FOREGROUND:
            if self._checksum is not None and direction == "in" and self._failure(row):
                return text_color("error")
            if column in (self.DIRECTION, self.DATA) and direction in ("in", "out", "error"):
                return text_color(direction)  # light or dark, as the palette is
            return None
        if role == _ALIGNMENT:
            return _RIGHT if column == self.SIZE else None
        data = row[2]
        if role == _TOOLTIP and column == self.SIZE and self._rtts:
            rtt = self._rtts.get(self._first + position)
            if rtt is not None:
                return QCoreApplication.translate(
                    "TrafficLog", "Round trip: {ms} ms from the send to this first reply"
                ).format(ms=f"{rtt:.3f}")
        if role == _TOOLTIP and self._checksum is not None and direction == "in":
            failure = self._failure(row)
            if failure:
                return failure
        if role == _TOOLTIP and column == self.DATA and data:
            # A hex dump of the row's start (or, for a stream run, of its end).
            if len(row) >= 7 and row[6]:
                return ("…\n" if len(data) > 256 else "") + hexdump(data[-256:])
            return hexdump(data[:256]) + ("\n…" if len(data) > 256 else "")
        return None
