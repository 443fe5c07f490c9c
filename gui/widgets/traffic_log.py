"""The traffic log every panel shows: a bounded table of what went in and out.

:class:`TrafficLogModel` keeps at most ``limit`` rows (100,000 by default) and ``max_bytes`` of
payload (64 MiB: the bytes rows keep plus their decoded text); a row keeps at most
:data:`ROW_KEEP` bytes of its payload. When a batch would go over, the oldest rows leave in one
``beginRemoveRows`` and the batch arrives in one ``beginInsertRows``, so a flood costs the view
two updates per batch, not one per datagram. Rows come as :class:`LogEntry` objects, datagrams,
or a UDP receiver's own (time, peer, data, truncated) tuples, and are kept as plain tuples (no
object per datagram, nothing for the garbage collector to walk). Text or hex is rendered only
for the cells the view paints, from at most :data:`CELL_BYTES` of each row, and kept in a small
cache; the view's calls into Python per painted cell are one ``index`` and one ``multiData``.

:class:`TrafficLog` is the widget: the table (``logView``) plus a small tool row — show as text or
hex, display encoding, follow new rows (auto-scroll), copy, clear, export to CSV or text.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.status import gui_wording
from gui.widgets.style import monospace_font, set_text_role, text_color
from gui.widgets.table_model import RowTableModel
from net.codec import ENCODINGS, StreamDecoder, check_encoding, hexdump, render_text, to_hex
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
    "TrafficLog",
    "TrafficLogModel",
    "cell_bytes",
]

#: Rows kept by default; older rows are dropped (counters elsewhere stay exact).
DEFAULT_LOG_LIMIT = 100_000
#: Payload kept over all rows by default (bytes kept plus decoded text); older rows leave first.
DEFAULT_LOG_BYTES = 64 * 1024 * 1024
#: Payload bytes one row keeps: the start of a longer payload, the end of a stream run (``tail``).
ROW_KEEP = 64 * 1024
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


def _row_of(entry: LogEntry | Datagram) -> _Row:
    """A stored row for an entry or a datagram, with at most ROW_KEEP bytes of payload."""
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
    if len(entry.data) <= ROW_KEEP:
        row = _ENTRY_ROW(entry)
    else:
        data = entry.data[-ROW_KEEP:] if entry.tail else entry.data[:ROW_KEEP]
        row = (entry.time, entry.peer, data, entry.direction, entry.text, entry.total, entry.tail)
    if entry.stream is None:
        return row
    return (*row, entry.stream, entry.lead, entry.end)


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
            decoder.decode(data)
            if row[5] is not None and row[5] > len(data) and not tail:
                del decoders[key]  # the row kept only its start: the next one starts afresh
            if lead != row[8]:
                rows[position] = (*row[:8], lead, row[9])
        for key in self._streams:
            self._streams[key] = decoders.get(key) or _stream_decoder(self._encoding)

    # -- rows ----------------------------------------------------------------------------------

    def append(self, entries: Sequence[LogEntry | Datagram]) -> None:
        """Add a batch of rows at the end, dropping the oldest beyond the limits."""
        if not entries:
            return
        if any(type(entry) is LogEntry and entry.stream is not None for entry in entries):
            batch, count = self._stream_batch(entries)
        else:
            batch, count = [_row_of(entry) for entry in entries[-self._limit :]], len(entries)
        self.dropped += count - len(batch)
        self._add(batch, [_row_bytes(row) for row in batch])

    def _stream_batch(self, entries: Sequence[LogEntry | Datagram]) -> tuple[list[_Row], int]:
        """Rows for a batch holding stream chunks: each gets the lead bytes its stream left
        (every chunk is read, even one the limit drops); an end marks its stream's last row."""
        rows: list[_Row] = []
        count = 0
        for entry in entries:
            if type(entry) is not LogEntry or entry.stream is None:
                rows.append(_row_of(entry))
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
            decoder.decode(entry.data)
            rows.append((*_row_of(entry)[:8], lead, False))
            count += 1
        return rows[-self._limit :], count

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

    def _add(self, batch: list[_Row], sizes: list[int]) -> None:
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

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._sizes = []
        self._bytes = 0
        self._cells.clear()
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
        return self._value(self._rows[index.row()], index.column(), role)

    def multiData(self, index: _Index, roleDataSpan: Any) -> None:
        # The view's delegate asks for seven roles of every cell it paints: one call into Python
        # for all of them, not seven.
        if not index.isValid():
            return
        row = self._rows[index.row()]
        column = index.column()
        for position in range(len(roleDataSpan)):
            slot = roleDataSpan[position]
            role = slot.role()
            value = self._value(row, column, role) if role in _ROLES else None
            # The view reuses one span for every cell: a slot left alone keeps the last cell's
            # value (the Bytes column's right alignment spread to every column).
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)

    def _value(self, row: _Row, column: int, role: int) -> Any:
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
            return "" if size is None else f"{size:,}"
        if role == _FOREGROUND:
            if column in (self.DIRECTION, self.DATA) and direction in ("in", "out", "error"):
                return text_color(direction)  # light or dark, as the palette is
            return None
        if role == _ALIGNMENT:
            return _RIGHT if column == self.SIZE else None
        data = row[2]
        if role == _TOOLTIP and column == self.DATA and data:
            # A hex dump of the row's start (or, for a stream run, of its end).
            if len(row) >= 7 and row[6]:
                return ("…\n" if len(data) > 256 else "") + hexdump(data[-256:])
            return hexdump(data[:256]) + ("\n…" if len(data) > 256 else "")
        return None

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, path: str | Path) -> int:
        """Write every row (every byte kept, as shown: text or hex) as CSV; returns the row count."""
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "direction", "peer", "bytes", "data"])
            for row in range(len(self._rows)):
                entry = _entry_of(self._rows[row])
                texts = self.row_texts(row)
                texts[0] = _format_time(entry.time, with_date=True)
                texts[1] = entry.direction
                writer.writerow(texts)
        return len(self._rows)

    def export_text(self, path: str | Path) -> int:
        """Write every row as one tab-separated line; returns the row count."""
        with open(path, "w", encoding="utf-8") as handle:
            for row in range(len(self._rows)):
                texts = self.row_texts(row)
                texts[0] = _format_time(self._rows[row][0], with_date=True)
                handle.write("\t".join(texts) + "\n")
        return len(self._rows)


def _format_time(stamp: float, *, with_date: bool = False) -> str:
    local = time.localtime(stamp)
    millis = int((stamp % 1) * 1000)
    pattern = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return f"{time.strftime(pattern, local)}.{millis:03d}"


class TrafficLog(QWidget):
    """The log table with its tool row; panels call :meth:`append` with a batch of rows."""

    exported = Signal(str)  # the path written

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        limit: int = DEFAULT_LOG_LIMIT,
        max_bytes: int = DEFAULT_LOG_BYTES,
    ) -> None:
        super().__init__(parent)
        self.model = TrafficLogModel(self, limit=limit, max_bytes=max_bytes)

        self.view = QTableView(self)
        self.view.setObjectName("logView")
        self.view.setModel(self.model)
        self.view.setFont(monospace_font())
        self.view.setAccessibleName(QCoreApplication.translate("TrafficLog", "Traffic log"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights keep a 100k-row table as cheap to scroll as a 10-row one.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        metrics = self.view.fontMetrics()
        header.resizeSection(TrafficLogModel.TIME, metrics.horizontalAdvance("00:00:00.000") + 16)
        header.resizeSection(TrafficLogModel.DIRECTION, metrics.horizontalAdvance("error") + 18)
        header.resizeSection(
            TrafficLogModel.PEER, metrics.horizontalAdvance("[::ffff:255.255.255]:65535") + 8
        )
        header.resizeSection(TrafficLogModel.SIZE, metrics.horizontalAdvance("65,535") + 18)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("logFormatCombo")
        self.format_combo.addItem(QCoreApplication.translate("TrafficLog", "Text"), "text")
        self.format_combo.addItem(QCoreApplication.translate("TrafficLog", "Hex"), "hex")
        self.format_combo.setToolTip(
            QCoreApplication.translate("TrafficLog", "Show the data column as text or as hex bytes")
        )
        self.format_combo.setAccessibleName(
            QCoreApplication.translate("TrafficLog", "Show data as")
        )
        self.format_combo.currentIndexChanged.connect(self._on_format)

        self.encoding_combo = QComboBox(self)
        self.encoding_combo.setObjectName("logEncodingCombo")
        self.encoding_combo.setEditable(True)
        self.encoding_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.encoding_combo.addItems(list(ENCODINGS))
        self.encoding_combo.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "The encoding used to show received bytes as text"
            )
        )
        self.encoding_combo.setAccessibleName(
            QCoreApplication.translate("TrafficLog", "Display encoding")
        )
        self.encoding_combo.currentTextChanged.connect(self._on_encoding)

        self.follow_check = QCheckBox(QCoreApplication.translate("TrafficLog", "Follow"), self)
        self.follow_check.setObjectName("followCheck")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Scroll to each new row; untick to pause scrolling and read"
            )
        )

        self.copy_action = QAction(QCoreApplication.translate("TrafficLog", "Copy"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.view.addAction(self.copy_action)
        self.clear_action = QAction(QCoreApplication.translate("TrafficLog", "Clear"), self)
        self.clear_action.triggered.connect(self.clear)

        copy_button = QToolButton(self)
        copy_button.setDefaultAction(self.copy_action)
        copy_button.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Copy the selected rows (all rows when none is selected)"
            )
        )
        clear_button = QToolButton(self)
        clear_button.setObjectName("clearLogButton")
        clear_button.setDefaultAction(self.clear_action)
        clear_button.setToolTip(
            QCoreApplication.translate("TrafficLog", "Remove every row from the log")
        )
        export_button = QToolButton(self)
        export_button.setObjectName("exportLogButton")
        export_button.setText(QCoreApplication.translate("TrafficLog", "Export…"))
        export_button.setToolTip(
            QCoreApplication.translate("TrafficLog", "Save the log as CSV or as text")
        )
        export_button.clicked.connect(self.export_dialog)

        self.rows_label = QLabel(self)
        self.rows_label.setObjectName("logRowsLabel")
        set_text_role(self.rows_label, "dim")

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(QLabel(QCoreApplication.translate("TrafficLog", "Show as"), self))
        tools.addWidget(self.format_combo)
        tools.addWidget(self.encoding_combo)
        tools.addWidget(self.follow_check)
        tools.addStretch(1)
        tools.addWidget(self.rows_label)
        tools.addWidget(copy_button)
        tools.addWidget(clear_button)
        tools.addWidget(export_button)

        self._tools: list[QWidget] = [
            self.format_combo,
            self.encoding_combo,
            self.follow_check,
            copy_button,
            clear_button,
            export_button,
        ]

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        self._update_rows_label()

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order: the tool row, then the table."""
        return [*self._tools, self.view]

    # -- API -----------------------------------------------------------------------------------

    def append(self, entries: Iterable[LogEntry | Datagram]) -> None:
        batch = entries if isinstance(entries, list) else list(entries)
        if not batch:
            return
        self.model.append(batch)
        self._appended()

    def append_datagrams(self, datagrams: Sequence[Datagram]) -> None:
        """Add received datagrams as rows."""
        if not datagrams:
            return
        self.model.append_datagrams(datagrams)
        self._appended()

    def append_rows(self, rows: Sequence[tuple[float, str, bytes, bool]]) -> None:
        """Add received datagrams given as (time, peer, data, truncated): the fast path."""
        if not rows:
            return
        self.model.append_rows(rows)
        self._appended()

    def _appended(self) -> None:
        if self.follow_check.isChecked():
            self.view.scrollToBottom()
        self._update_rows_label()
        # Paint now, while the runner holds its workers back (see gui.runner.EventBuffer.hold),
        # rather than at the next turn of the event loop, when they run again.
        self.view.viewport().repaint()

    def note(self, message: str, peer: str = "", *, error: bool = False) -> None:
        self.append([LogEntry.note(message, peer, error=error)])

    def clear(self) -> None:
        self.model.clear()
        self._update_rows_label()

    def set_hex(self, on: bool) -> None:
        self.format_combo.setCurrentIndex(1 if on else 0)

    def set_encoding(self, encoding: str) -> None:
        self.encoding_combo.setCurrentText(encoding)

    def selected_rows(self) -> list[int]:
        selection = self.view.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()})
        return rows

    def copy_selection(self) -> str:
        """Copy the selected rows (or every row) to the clipboard, tab-separated."""
        rows = self.selected_rows() or list(range(self.model.rowCount()))
        text = "\n".join("\t".join(self.model.row_texts(row)) for row in rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def export(self, path: str | Path) -> int:
        """Save to ``path``: CSV when it ends in .csv, tab-separated text otherwise."""
        if str(path).lower().endswith(".csv"):
            count = self.model.export_csv(path)
        else:
            count = self.model.export_text(path)
        self.exported.emit(str(path))
        return count

    def export_dialog(self) -> None:
        csv_filter, text_filter = (
            QCoreApplication.translate("TrafficLog", "CSV files (*.csv)"),
            QCoreApplication.translate("TrafficLog", "Text files (*.txt)"),
        )
        path, chosen = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("TrafficLog", "Export log"),
            "traffic-log.csv",
            f"{csv_filter};;{text_filter}",
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".txt" if chosen == text_filter else ".csv"
        try:
            self.export(path)
        except OSError as exc:
            QMessageBox.warning(
                self,
                QCoreApplication.translate("TrafficLog", "Export log"),
                QCoreApplication.translate(
                    "TrafficLog", "The log could not be saved: {reason}"
                ).format(reason=exc.strerror or exc),
            )

    # -- internals -----------------------------------------------------------------------------

    def _on_format(self) -> None:
        hex_mode = self.format_combo.currentData() == "hex"
        self.model.set_hex_mode(hex_mode)
        self.encoding_combo.setEnabled(not hex_mode)

    def _on_encoding(self, text: str) -> None:
        self.model.set_encoding(text.strip() or "UTF-8")

    def _update_rows_label(self) -> None:
        count = self.model.rowCount()
        # self.tr (context "TrafficLog"): lupdate sees plurals only in tr(text, "", n)
        text = self.tr("{count} rows", "", count).format(count=f"{count:,}")
        if self.model.dropped:
            text = self.tr("{count} rows (the latest {limit} are kept)", "", count).format(
                count=f"{count:,}", limit=f"{self.model.limit:,}"
            )
        self.rows_label.setText(text)

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.clear_action)
        menu.addSeparator()
        select_all = menu.addAction(QCoreApplication.translate("TrafficLog", "Select all"))
        select_all.triggered.connect(self.view.selectAll)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
