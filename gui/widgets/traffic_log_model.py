"""The traffic log's table model: a bounded list of rows that keep their bytes in full.

:class:`TrafficLogModel` keeps at most ``limit`` rows (100,000 by default) and ``max_bytes`` of
payload (64 MiB: the bytes rows keep plus their decoded text); a row keeps at most ``row_keep``
bytes of its payload (:data:`ROW_KEEP`, 16 MiB: a burst of a few megabytes stays whole, so Copy,
Export and the hex dump give every byte). When a batch would go over, the oldest rows leave in
one ``beginRemoveRows`` and the batch arrives in one ``beginInsertRows``, so a flood costs the
view two updates per batch, not one per datagram. Rows come as :class:`LogEntry` objects,
datagrams, or a UDP receiver's own (time, peer, data, truncated) tuples, and are kept as plain
tuples (no object per datagram, nothing for the garbage collector to walk). Text or hex is
rendered only for the cells the view paints, from at most :data:`CELL_BYTES` of each row, and
kept in a small cache; the view's calls into Python per painted cell are one ``index`` and one
``multiData``. With a checksum chosen (:meth:`TrafficLogModel.set_checksum`) received rows whose
trailing checksum fails are painted in the error colour with a tooltip.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from gui.widgets.status import gui_wording
from gui.widgets.style import text_color
from gui.widgets.table_model import RowTableModel
from net.checksum import get_checksum
from net.codec import StreamDecoder, check_encoding, hexdump, render_text, to_hex
from net.errors import PayloadError
from net.events import Datagram, Received

if TYPE_CHECKING:
    from gui.runner import ReceivedRun

__all__ = [
    "CELL_BYTES",
    "DEFAULT_LOG_BYTES",
    "DEFAULT_LOG_LIMIT",
    "ROW_KEEP",
    "LogEntry",
    "StreamRows",
    "TrafficLogModel",
    "cell_bytes",
    "checksum_failure",
]

#: Rows kept by default; older rows are dropped (counters elsewhere stay exact).
DEFAULT_LOG_LIMIT = 100_000
#: Payload kept over all rows by default (bytes kept plus decoded text); older rows leave first.
DEFAULT_LOG_BYTES = 64 * 1024 * 1024
#: Payload bytes one row keeps by default: the start of a longer payload, the end of a stream run
#: (``tail``). A quarter of the log's bytes: a burst of megabytes stays whole in its row.
ROW_KEEP = DEFAULT_LOG_BYTES // 4
#: A cell shows at most this much of a row's bytes; the export and the tooltip carry more.
CELL_BYTES = 2048
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
_NOTES = ("info", "error")

# Rows are plain tuples, which the garbage collector stops tracking once it has seen that they
# hold only strings, bytes and numbers: 100,000 rows then cost nothing at each collection (as
# objects they made every full collection of a flood's GUI take 40-80 ms). Two layouts, the
# first three fields in the same places:
#   (time, peer, data, truncated)                         a received datagram (DatagramRow)
#   (time, peer, data, direction, text, size, tail)       anything else (a LogEntry's fields)
#   (..., tail, stream, lead, final)                      a chunk of a TCP stream
_Row = tuple[Any, ...]
_DATAGRAM_ROW = attrgetter("time", "peer", "data", "truncated")
_ENTRY_ROW = attrgetter("time", "peer", "data", "direction", "text", "size", "tail")
_row_data = itemgetter(2)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row: ``direction`` is "in", "out", "info" or "error".

    ``text`` is the row's text when it cannot be rendered from ``data`` alone: a note (info/error
    rows) or a TCP chunk already decoded by a stream decoder (a character may span two chunks);
    for a row longer than a cell, the text of what the cell shows (:func:`cell_bytes`).
    ``size`` is the number of bytes the row stands for when ``data`` keeps only part of them;
    ``tail`` says that ``data`` is their end (a merged stream run), not their start.
    ``stream`` marks a chunk of a TCP stream (one key per connection, see :class:`StreamRows`):
    the log renders it from its bytes plus ``lead``, the bytes of a character the previous chunk
    began (the model works them out for its current encoding). ``end`` marks the end of a stream:
    such an entry adds no row, it lets the stream's last row show an unfinished character.
    ``rtt_ms``: the round-trip time (ms) this row ends, for the first reply after a send
    (:class:`net.rtt.RoundTrips`); the row shows it beside its byte count.
    """

    time: float
    direction: str
    peer: str
    data: bytes = b""
    text: str | None = None
    size: int | None = None
    tail: bool = False
    stream: int | None = None
    lead: bytes = b""
    end: bool = False
    rtt_ms: float | None = None

    @classmethod
    def note(cls, message: str, peer: str = "", *, error: bool = False) -> LogEntry:
        return cls(time.time(), "error" if error else "info", peer, b"", message)

    @property
    def total(self) -> int:
        """Bytes the row stands for (``data`` may keep only part of them)."""
        return len(self.data) if self.size is None else self.size


def cell_bytes(data: bytes, tail: bool = False) -> bytes:
    """The bytes of a row that its cell shows: the first (or, for ``tail``, the last) CELL_BYTES."""
    if len(data) <= CELL_BYTES:
        return data
    return data[-CELL_BYTES:] if tail else data[:CELL_BYTES]


class StreamRows:
    """Log rows for what one TCP connection received: its chunks, tagged as one stream.

    Takes :class:`~net.events.Received` chunks and the runner's merged runs
    (:class:`~gui.runner.ReceivedRun`, whose start may not have been kept). Rows keep bytes, not
    text: :class:`TrafficLogModel` renders them in the encoding the user picks, now or later, and
    keeps a character split across two chunks whole in every encoding.
    """

    def __init__(self, encoding: str = "") -> None:
        # ``encoding`` is accepted for older callers: the log, not the stream, has the encoding.
        del encoding
        self.key = next(_STREAM_KEYS)

    def row(self, event: Received | ReceivedRun, *, decode: bool = True) -> LogEntry:
        """The row for ``event`` (``decode`` is accepted for older callers; rows render lazily)."""
        del decode
        data = event.data
        skipped = 0 if type(event) is Received else event.skipped  # type: ignore[union-attr]
        size = skipped + len(data) if skipped else None
        return LogEntry(event.time, "in", event.peer, data, None, size, bool(skipped), self.key)

    def finish(self, stamp: float, peer: str) -> LogEntry:
        """The end of the stream: the log then shows the bytes of an unfinished last character."""
        return LogEntry(stamp, "in", peer, stream=self.key, end=True)


_STREAM_KEYS = itertools.count(1)


def _stream_decoder(encoding: str) -> codecs.IncrementalDecoder:
    try:
        codec = check_encoding(encoding)
    except PayloadError:
        codec = "utf-8"
    return codecs.getincrementaldecoder(codec)(errors="replace")


def _pending(decoder: codecs.IncrementalDecoder) -> bytes:
    """The bytes of an unfinished character a decoder holds (b"" for stateless ones)."""
    try:
        state = decoder.getstate()[0]
    except (AttributeError, TypeError, ValueError):
        return b""
    return state if isinstance(state, bytes) else b""


# Bytes of a chunk a stream decoder reads: where a chunk's last character ends depends only on
# its last few bytes, and decoding megabytes of a burst just to learn that would stall the GUI.
# Even, so that UTF-16 stays aligned.
_DECODE_TAIL = 4096


def _feed(decoder: codecs.IncrementalDecoder, data: bytes) -> None:
    """Read ``data`` into ``decoder`` so that it holds the bytes of an unfinished last character
    (only the last :data:`_DECODE_TAIL` bytes of a long chunk are read)."""
    if len(data) > _DECODE_TAIL:
        decoder.reset()
        data = data[-_DECODE_TAIL:]
    decoder.decode(data)


def _row_of(entry: LogEntry | Datagram | _Row, keep: int = ROW_KEEP) -> _Row:
    """A stored row for an entry, a datagram or a received row's (time, peer, data, truncated)
    tuple, with at most ``keep`` bytes of payload."""
    if type(entry) is tuple:
        return entry if len(entry[2]) <= keep else (*entry[:2], entry[2][:keep], True)
    if type(entry) is Datagram:
        return (
            entry.time,
            entry.peer,
            entry.data,
            "out" if entry.outgoing else "in",
            None,
            None,
            False,
        )
    assert isinstance(entry, LogEntry)
    if len(entry.data) <= keep:
        row = _ENTRY_ROW(entry)
    else:
        data = entry.data[-keep:] if entry.tail else entry.data[:keep]
        row = (entry.time, entry.peer, data, entry.direction, entry.text, entry.total, entry.tail)
    if entry.stream is None:
        return row
    return (*row, entry.stream, entry.lead, entry.end)


def checksum_failure(data: bytes, name: str, strip: tuple[bytes, ...] = ()) -> str:
    """Why ``data`` does not end with its checksum ``name`` ("" when it does), for a tooltip.

    ``strip``: frame endings (a line's LF, a delimiter) that follow the checksum; the first that
    ends ``data`` is taken off before the check.

    Raises:
        PayloadError: unknown checksum name.
    """
    checksum = get_checksum(name)
    for ending in strip:
        if data.endswith(ending):
            data = data[: -len(ending)]
            break
    if len(data) < checksum.size:
        return QCoreApplication.translate(
            "TrafficLog", "Checksum {name}: the row is shorter than the checksum"
        ).format(name=checksum.name)
    expected = checksum.digest(data[: -checksum.size])
    received = data[-checksum.size :]
    if expected == received:
        return ""
    return QCoreApplication.translate(
        "TrafficLog", "Checksum {name} fails: the row ends with {received}, expected {expected}"
    ).format(
        name=checksum.name, received=received.hex(" ").upper(), expected=expected.hex(" ").upper()
    )


def _entry_of(row: _Row) -> LogEntry:
    if len(row) == 4:
        return LogEntry(row[0], "in", row[1], row[2])
    return LogEntry(row[0], row[3], row[1], row[2], *row[4:])


def _row_bytes(row: _Row) -> int:
    text = row[4] if len(row) >= 7 else None
    return len(row[2]) + (len(text) if text else 0)


class TrafficLogModel(RowTableModel):
    """A bounded table model over log rows; columns time, direction, peer, bytes, data."""

    TIME, DIRECTION, PEER, SIZE, DATA = range(5)

    def __init__(
        self,
        parent: Any = None,
        *,
        limit: int = DEFAULT_LOG_LIMIT,
        max_bytes: int = DEFAULT_LOG_BYTES,
        row_keep: int = ROW_KEEP,
    ) -> None:
        super().__init__(
            [
                QCoreApplication.translate("TrafficLog", "Time"),
                QCoreApplication.translate("TrafficLog", "Dir"),
                QCoreApplication.translate("TrafficLog", "Peer"),
                QCoreApplication.translate("TrafficLog", "Bytes"),
                QCoreApplication.translate("TrafficLog", "Data"),
            ],
            parent,
        )
        self._rows: list[_Row] = []
        self._sizes: list[int] = []  # payload bytes each row holds, for the max_bytes bound
        self._bytes = 0
        self._limit = max(1, limit)
        self._max_bytes = max(1, max_bytes)
        self._row_keep = max(1, min(row_keep, max_bytes))
        self._checksum: str | None = None
        self._strip: tuple[bytes, ...] = ()
        self._checks: dict[int, tuple[_Row, str]] = {}  # id(row) -> (row, failure text or "")
        self._cells: dict[int, tuple[_Row, str]] = {}  # id(row) -> (row, its data cell)
        self._hex = False
        self._encoding = "UTF-8"
        # Per live stream: a decoder in the current encoding that has read every chunk so far.
        self._streams: dict[int, codecs.IncrementalDecoder] = {}
        self._directions = {
            "in": QCoreApplication.translate("TrafficLog", "in"),
            "out": QCoreApplication.translate("TrafficLog", "out"),
            "info": QCoreApplication.translate("TrafficLog", "info"),
            "error": QCoreApplication.translate("TrafficLog", "error"),
        }
        self.dropped = 0  # rows that left because of the limits, since the last clear
        # Round-trip times by row serial (the first row held has serial self._first), in
        # ascending order: a dict, not a field of every row, as few rows carry one.
        self._rtts: dict[int, float] = {}
        self._first = 0
        # The Bytes cell of a first reply: "12 · 0.215 ms".
        self._rtt_pattern = QCoreApplication.translate("TrafficLog", "{size} · {ms} ms")

    # -- configuration -------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._add([], [])

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def payload_bytes(self) -> int:
        """Payload bytes the rows hold now (bytes kept plus decoded text)."""
        return self._bytes

    @property
    def hex_mode(self) -> bool:
        return self._hex

    def set_hex_mode(self, on: bool) -> None:
        if on != self._hex:
            self._hex = on
            self._data_changed()

    @property
    def encoding(self) -> str:
        return self._encoding

    def set_encoding(self, encoding: str) -> None:
        """Show text in ``encoding``: every row is rendered again from its bytes."""
        if encoding != self._encoding:
            self._encoding = encoding
            self._relead()
            self._data_changed()

    def _relead(self) -> None:
        # Where a character spans two chunks depends on the encoding: read every stream's kept
        # bytes again, and continue the live streams from there (no byte stays behind in a
        # decoder of the old encoding).
        decoders: dict[int, codecs.IncrementalDecoder] = {}
        rows = self._rows
        for position, row in enumerate(rows):
            if len(row) != 10:
                continue
            key, data, tail = row[7], row[2], row[6]
            decoder = decoders.get(key)
            if decoder is None or tail:
                decoder = decoders[key] = _stream_decoder(self._encoding)
            lead = _pending(decoder)
            _feed(decoder, data)
            if row[5] is not None and row[5] > len(data) and not tail:
                del decoders[key]  # the row kept only its start: the next one starts afresh
            if lead != row[8]:
                rows[position] = (*row[:8], lead, row[9])
        for key in self._streams:
            self._streams[key] = decoders.get(key) or _stream_decoder(self._encoding)

    # -- rows ----------------------------------------------------------------------------------

    def append(
        self,
        entries: Sequence[LogEntry | Datagram | _Row],
        rtts: dict[int, float] | None = None,
    ) -> None:
        """Add a batch of rows at the end, dropping the oldest beyond the limits (received rows
        may come as (time, peer, data, truncated) tuples, as :meth:`append_rows` takes them).

        ``rtts`` maps positions in ``entries`` to round-trip times in ms, for rows that cannot
        carry their own (a LogEntry's ``rtt_ms`` counts too)."""
        if not entries:
            return
        marks = dict(rtts) if rtts else {}
        for position, entry in enumerate(entries):
            if type(entry) is LogEntry and entry.rtt_ms is not None:
                marks[position] = entry.rtt_ms
        if any(type(entry) is LogEntry and entry.stream is not None for entry in entries):
            batch, count, marks = self._stream_batch(entries, marks)
        else:
            keep = self._row_keep
            batch = [_row_of(entry, keep) for entry in entries[-self._limit :]]
            count = len(entries)
            cut = count - len(batch)
            marks = {position - cut: ms for position, ms in marks.items() if position >= cut}
        self.dropped += count - len(batch)
        added = self._add(batch, [_row_bytes(row) for row in batch])
        if marks:
            # Serial of batch[i] is end - len(batch) + i; rows _add skipped have none.
            end = self._first + len(self._rows)
            for position in sorted(marks):
                if position >= len(batch) - added:
                    self._rtts[end - len(batch) + position] = marks[position]

    def _stream_batch(
        self, entries: Sequence[LogEntry | Datagram | _Row], marks: dict[int, float]
    ) -> tuple[list[_Row], int, dict[int, float]]:
        """Rows for a batch holding stream chunks: each gets the lead bytes its stream left
        (every chunk is read, even one the limit drops); an end marks its stream's last row.
        Also returns ``marks`` (round-trip times by entry position) by position in the rows."""
        rows: list[_Row] = []
        count = 0
        moved: dict[int, float] = {}
        for position, entry in enumerate(entries):
            if position in marks:
                moved[len(rows)] = marks[position]
            if type(entry) is not LogEntry or entry.stream is None:
                rows.append(_row_of(entry, self._row_keep))
                count += 1
                continue
            key = entry.stream
            if entry.end:
                self._streams.pop(key, None)
                self._end_stream(key, rows)
                continue
            decoder = self._streams.get(key)
            if decoder is None or entry.tail:
                decoder = self._streams[key] = _stream_decoder(self._encoding)
            lead = _pending(decoder)
            _feed(decoder, entry.data)
            rows.append((*_row_of(entry, self._row_keep)[:8], lead, False))
            count += 1
        cut = max(0, len(rows) - self._limit)
        kept = {position - cut: ms for position, ms in moved.items() if position >= cut}
        return rows[cut:], count, kept

    def _end_stream(self, key: int, batch: list[_Row]) -> None:
        for rows, in_model in ((batch, False), (self._rows, True)):
            for position in range(len(rows) - 1, -1, -1):
                row = rows[position]
                if len(row) == 10 and row[7] == key:
                    rows[position] = (*row[:9], True)
                    if in_model:
                        index = self.index(position, self.DATA)
                        self.dataChanged.emit(index, index)
                    return

    def append_datagrams(self, datagrams: Sequence[Datagram]) -> None:
        """Add received datagrams as rows (the :meth:`append_rows` of their fields)."""
        self.append_rows(list(map(_DATAGRAM_ROW, datagrams[-self._limit :])))

    def append_rows(self, rows: Sequence[tuple[float, str, bytes, bool]]) -> None:
        """Add received datagrams given as (time, peer, data, truncated) tuples, kept as they are.

        The fast path for floods: no Python code runs per datagram here. Only the last
        ``limit`` of a batch can be visible; the others are not even looked at (they are
        counted in :attr:`dropped`).
        """
        if not rows:
            return
        batch: list[_Row] = list(rows[-self._limit :])
        self.dropped += len(rows) - len(batch)
        self._add(batch, list(map(len, map(_row_data, batch))))

    def _add(self, batch: list[_Row], sizes: list[int]) -> int:
        """Put ``batch`` at the end within the limits; returns how many of its rows (the last
        ones) went in."""
        incoming = sum(sizes)
        if incoming > self._max_bytes:  # the batch alone is over: only its newest rows stay
            skip = 0
            while incoming > self._max_bytes and skip < len(batch) - 1:
                incoming -= sizes[skip]
                skip += 1
            batch, sizes = batch[skip:], sizes[skip:]
            self.dropped += skip
        rows, held = self._rows, self._sizes
        leaving = max(0, len(rows) + len(batch) - self._limit)
        freed = sum(held[:leaving])
        while leaving < len(rows) and self._bytes - freed + incoming > self._max_bytes:
            freed += held[leaving]
            leaving += 1
        if leaving and leaving == len(rows) and batch:
            self.beginResetModel()
            self._rows, self._sizes = batch, sizes
            self._cells.clear()
            self.endResetModel()
        else:
            if leaving:
                self.beginRemoveRows(QModelIndex(), 0, leaving - 1)
                del rows[:leaving]
                del held[:leaving]
                self.endRemoveRows()
            if batch:
                first = len(rows)
                self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
                rows.extend(batch)
                held.extend(sizes)
                self.endInsertRows()
        self.dropped += leaving
        self._bytes += incoming - freed
        if leaving:
            self._first += leaving
            rtts = self._rtts
            while rtts and (oldest := next(iter(rtts))) < self._first:
                del rtts[oldest]
        return len(batch)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._sizes = []
        self._bytes = 0
        self._cells.clear()
        self._checks.clear()
        self._rtts.clear()
        self._first = 0
        self.dropped = 0
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        return _entry_of(self._rows[row])

    def entries(self) -> list[LogEntry]:
        return [_entry_of(row) for row in self._rows]

    def _data_changed(self) -> None:
        self._cells.clear()
        if self._rows:
            last = self.index(len(self._rows) - 1, self.DATA)
            self.dataChanged.emit(self.index(0, self.DATA), last)

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
        note = stored[4] if len(stored) >= 7 and stored[3] in _NOTES else None
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

    def _failure(self, row: _Row) -> str:
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
        return self._data_text(_row_of(entry), full)

    def _data_text(self, row: _Row, full: bool) -> str:
        if len(row) == 4:
            data, text, total, tail = row[2], None, len(row[2]), False
        else:
            data, direction, text, size, tail = row[2:7]
            if direction in _NOTES:
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

    def _cell(self, row: _Row) -> str:
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
        entry = _entry_of(stored)
        size = "" if entry.direction in _NOTES else str(entry.total)
        return [
            _format_time(entry.time),
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

    def _value(self, row: _Row, column: int, role: int, position: int = -1) -> Any:
        size: int | None
        if len(row) == 4:
            direction, size = "in", len(row[2])
        else:
            direction = row[3]
            size = None if direction in _NOTES else len(row[2]) if row[5] is None else row[5]
        if role == _DISPLAY:
            if column == self.DATA:
                return self._cell(row)
            if column == self.TIME:
                return _format_time(row[0])
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

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, path: str | Path, rows: Iterable[int] | None = None) -> int:
        """Write ``rows`` (every row when None) as CSV, every byte they keep as shown (text or
        hex), and ``rtt_ms``, the round-trip time a first reply ends (empty for other rows);
        returns the row count."""
        chosen = range(len(self._rows)) if rows is None else rows
        count = 0
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            # rtt_ms before data: the data stays the last column, as readers of older exports
            # expect.
            writer.writerow(["time", "direction", "peer", "bytes", "rtt_ms", "data"])
            for row in chosen:
                entry = _entry_of(self._rows[row])
                texts = self.row_texts(row)
                texts[0] = _format_time(entry.time, with_date=True)
                texts[1] = entry.direction
                rtt = self.row_rtt(row)
                texts.insert(4, "" if rtt is None else f"{rtt:.3f}")
                writer.writerow(texts)
                count += 1
        return count

    def export_text(self, path: str | Path, rows: Iterable[int] | None = None) -> int:
        """Write ``rows`` (every row when None) as tab-separated lines; returns the row count."""
        chosen = range(len(self._rows)) if rows is None else rows
        count = 0
        with open(path, "w", encoding="utf-8") as handle:
            for row in chosen:
                texts = self.row_texts(row)
                texts[0] = _format_time(self._rows[row][0], with_date=True)
                handle.write("\t".join(texts) + "\n")
                count += 1
        return count


def _format_time(stamp: float, *, with_date: bool = False) -> str:
    local = time.localtime(stamp)
    millis = int((stamp % 1) * 1000)
    pattern = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return f"{time.strftime(pattern, local)}.{millis:03d}"
