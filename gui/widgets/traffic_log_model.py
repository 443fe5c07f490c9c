"""The traffic log's table model: a bounded list of rows that keep their bytes in full.

:class:`TrafficLogModel` keeps at most ``limit`` rows (100,000 by default) and ``max_bytes`` of
payload (64 MiB: the bytes rows keep plus their decoded text); a row keeps at most ``row_keep``
bytes of its payload (:data:`ROW_KEEP`, 16 MiB: a burst of a few megabytes stays whole, so Copy,
Export and the hex dump give every byte). When a batch would go over, the oldest rows leave in
one ``beginRemoveRows`` and the batch arrives in one ``beginInsertRows``, so a flood costs the
view two updates per batch, not one per datagram. Rows come as :class:`LogEntry` objects,
datagrams, or a UDP receiver's own (time, peer, data, truncated) tuples, and are kept as plain
tuples (no object per datagram, nothing for the garbage collector to walk; their layouts are in
:mod:`~gui.widgets.traffic_log_rows`). How rows are read out (cells rendered only when painted,
search, checksum marks) is :mod:`~gui.widgets.traffic_log_render`, the model's other half.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex

from gui.widgets.table_model import RowTableModel
from gui.widgets.traffic_log_render import RowReading
from gui.widgets.traffic_log_rows import (
    DATAGRAM_ROW,
    DEFAULT_LOG_BYTES,
    DEFAULT_LOG_LIMIT,
    ROW_KEEP,
    LogEntry,
    Row,
    entry_of,
    feed,
    pending_bytes,
    row_bytes,
    row_of,
    row_payload,
    stream_decoder,
)
from net.events import Datagram

__all__ = ["DEFAULT_LOG_BYTES", "DEFAULT_LOG_LIMIT", "ROW_KEEP", "LogEntry", "TrafficLogModel"]

# The column titles, translated when a model is made (the language may change before).
_HEADERS = (
    QT_TRANSLATE_NOOP("TrafficLog", "Time"),
    QT_TRANSLATE_NOOP("TrafficLog", "Dir"),
    QT_TRANSLATE_NOOP("TrafficLog", "Peer"),
    QT_TRANSLATE_NOOP("TrafficLog", "Bytes"),
    QT_TRANSLATE_NOOP("TrafficLog", "Data"),
)


class TrafficLogModel(RowReading, RowTableModel):
    """A bounded table model over log rows; columns time, direction, peer, bytes, data.

    This class stores the rows within their limits; :class:`RowReading` reads them out.
    """

    def __init__(
        self,
        parent: Any = None,
        *,
        limit: int = DEFAULT_LOG_LIMIT,
        max_bytes: int = DEFAULT_LOG_BYTES,
        row_keep: int = ROW_KEEP,
    ) -> None:
        super().__init__(
            [QCoreApplication.translate("TrafficLog", str(h)) for h in _HEADERS], parent
        )
        self._rows: list[Row] = []
        self._sizes: list[int] = []  # payload bytes each row holds, for the max_bytes bound
        self._bytes = 0
        self._limit = max(1, limit)
        self.max_bytes = max(1, max_bytes)  # payload bytes kept over all rows at most
        self._row_keep = max(1, min(row_keep, max_bytes))
        self._checksum: str | None = None
        self._strip: tuple[bytes, ...] = ()
        self._checks: dict[int, tuple[Row, str]] = {}  # id(row) -> (row, failure text or "")
        self._cells: dict[int, tuple[Row, str]] = {}  # id(row) -> (row, its data cell)
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
    def payload_bytes(self) -> int:
        """Payload bytes the rows hold now: the bytes they keep plus their decoded text (at most
        :attr:`max_bytes`)."""
        return self._bytes

    @property
    def hex_mode(self) -> bool:
        return self._hex

    def set_hex_mode(self, on: bool) -> None:
        self._show_as(on, self._encoding)

    @property
    def encoding(self) -> str:
        return self._encoding

    def set_encoding(self, encoding: str) -> None:
        """Show text in ``encoding``: every row is rendered again from its bytes."""
        self._show_as(self._hex, encoding)

    def _show_as(self, hex_mode: bool, encoding: str) -> None:
        if (hex_mode, encoding) == (self._hex, self._encoding):
            return
        relead = encoding != self._encoding
        self._hex, self._encoding = hex_mode, encoding
        if relead:
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
                decoder = decoders[key] = stream_decoder(self._encoding)
            lead = pending_bytes(decoder)
            feed(decoder, data)
            if row[5] is not None and row[5] > len(data) and not tail:
                del decoders[key]  # the row kept only its start: the next one starts afresh
            if lead != row[8]:
                rows[position] = (*row[:8], lead, row[9])
        for key in self._streams:
            self._streams[key] = decoders.get(key) or stream_decoder(self._encoding)

    # -- rows ----------------------------------------------------------------------------------

    def append(
        self,
        entries: Sequence[LogEntry | Datagram | Row],
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
            batch = [row_of(entry, keep) for entry in entries[-self._limit :]]
            count = len(entries)
            cut = count - len(batch)
            marks = {position - cut: ms for position, ms in marks.items() if position >= cut}
        self.dropped += count - len(batch)
        added = self._add(batch, [row_bytes(row) for row in batch])
        if marks:
            # Serial of batch[i] is end - len(batch) + i; rows _add skipped have none.
            end = self._first + len(self._rows)
            for position in sorted(marks):
                if position >= len(batch) - added:
                    self._rtts[end - len(batch) + position] = marks[position]

    def _stream_batch(
        self, entries: Sequence[LogEntry | Datagram | Row], marks: dict[int, float]
    ) -> tuple[list[Row], int, dict[int, float]]:
        """Rows for a batch holding stream chunks: each gets the lead bytes its stream left
        (every chunk is read, even one the limit drops); an end marks its stream's last row.
        Also returns ``marks`` (round-trip times by entry position) by position in the rows."""
        rows: list[Row] = []
        count = 0
        moved: dict[int, float] = {}
        for position, entry in enumerate(entries):
            if position in marks:
                moved[len(rows)] = marks[position]
            if type(entry) is not LogEntry or entry.stream is None:
                rows.append(row_of(entry, self._row_keep))
                count += 1
                continue
            key = entry.stream
            if entry.end:
                self._streams.pop(key, None)
                self._end_stream(key, rows)
                continue
            decoder = self._streams.get(key)
            if decoder is None or entry.tail:
                decoder = self._streams[key] = stream_decoder(self._encoding)
            lead = pending_bytes(decoder)
            feed(decoder, entry.data)
            rows.append((*row_of(entry, self._row_keep)[:8], lead, False))
            count += 1
        cut = max(0, len(rows) - self._limit)
        kept = {position - cut: ms for position, ms in moved.items() if position >= cut}
        return rows[cut:], count, kept

    def _end_stream(self, key: int, batch: list[Row]) -> None:
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
        self.append_rows(list(map(DATAGRAM_ROW, datagrams[-self._limit :])))

    def append_rows(self, rows: Sequence[tuple[float, str, bytes, bool]]) -> None:
        """Add received datagrams given as (time, peer, data, truncated) tuples, kept as they are.

        The fast path for floods: no Python code runs per datagram here. Only the last
        ``limit`` of a batch can be visible; the others are not even looked at (they are
        counted in :attr:`dropped`).
        """
        if not rows:
            return
        batch: list[Row] = list(rows[-self._limit :])
        self.dropped += len(rows) - len(batch)
        self._add(batch, list(map(len, map(row_payload, batch))))

    def _add(self, batch: list[Row], sizes: list[int]) -> int:
        """Put ``batch`` at the end within the limits; returns how many of its rows (the last
        ones) went in."""
        incoming = sum(sizes)
        if incoming > self.max_bytes:  # the batch alone is over: only its newest rows stay
            skip = 0
            while incoming > self.max_bytes and skip < len(batch) - 1:
                incoming -= sizes[skip]
                skip += 1
            batch, sizes = batch[skip:], sizes[skip:]
            self.dropped += skip
        rows, held = self._rows, self._sizes
        leaving = max(0, len(rows) + len(batch) - self._limit)
        freed = sum(held[:leaving])
        while leaving < len(rows) and self._bytes - freed + incoming > self.max_bytes:
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
        return entry_of(self._rows[row])

    def entries(self) -> list[LogEntry]:
        return [entry_of(row) for row in self._rows]

    def _data_changed(self) -> None:
        self._cells.clear()
        if self._rows:
            last = self.index(len(self._rows) - 1, self.DATA)
            self.dataChanged.emit(self.index(0, self.DATA), last)
