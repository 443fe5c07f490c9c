"""The traffic log's rows: :class:`LogEntry` as panels hand rows in, and the plain tuples the
model keeps (their layouts, how an entry becomes one and back, their payload size).

Also the pieces of rendering that do not need the model: :func:`cell_bytes` (what a cell shows),
:func:`checksum_failure` (why a row fails its checksum), the time stamp format, and
:class:`StreamRows` with the incremental decoders that keep a character split across two TCP
chunks whole. :class:`~gui.widgets.traffic_log_model.TrafficLogModel` stores these rows.
"""

from __future__ import annotations

import codecs
import itertools
import time
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from net.checksum import get_checksum
from net.codec import check_encoding
from net.errors import PayloadError
from net.events import Datagram, Received

if TYPE_CHECKING:
    from gui.runner import ReceivedRun

__all__ = [
    "CELL_BYTES",
    "DATAGRAM_ROW",
    "DEFAULT_LOG_BYTES",
    "DEFAULT_LOG_LIMIT",
    "ENTRY_ROW",
    "NOTES",
    "ROW_KEEP",
    "LogEntry",
    "Row",
    "StreamRows",
    "cell_bytes",
    "checksum_failure",
    "entry_of",
    "feed",
    "format_time",
    "pending_bytes",
    "row_bytes",
    "row_of",
    "row_payload",
    "stream_decoder",
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
NOTES = ("info", "error")  # the directions of rows that carry a sentence, not bytes


# Rows are plain tuples, which the garbage collector stops tracking once it has seen that they
# hold only strings, bytes and numbers: 100,000 rows then cost nothing at each collection (as
# objects they made every full collection of a flood's GUI take 40-80 ms). Two layouts, the
# first three fields in the same places:
#   (time, peer, data, truncated)                         a received datagram (DatagramRow)
#   (time, peer, data, direction, text, size, tail)       anything else (a LogEntry's fields)
#   (..., tail, stream, lead, final)                      a chunk of a TCP stream
Row = tuple[Any, ...]
DATAGRAM_ROW = attrgetter("time", "peer", "data", "truncated")
ENTRY_ROW = attrgetter("time", "peer", "data", "direction", "text", "size", "tail")
row_payload = itemgetter(2)


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


def stream_decoder(encoding: str) -> codecs.IncrementalDecoder:
    try:
        codec = check_encoding(encoding)
    except PayloadError:
        codec = "utf-8"
    return codecs.getincrementaldecoder(codec)(errors="replace")


def pending_bytes(decoder: codecs.IncrementalDecoder) -> bytes:
    """The bytes of an unfinished character a decoder holds (b"" for stateless ones)."""
    try:
        state = decoder.getstate()[0]
    except (AttributeError, TypeError, ValueError):
        return b""
    return state if isinstance(state, bytes) else b""


# Bytes of a chunk a stream decoder reads: where a chunk's last character ends depends only on
# its last few bytes, and decoding megabytes of a burst just to learn that would stall the GUI.
# Even, so that UTF-16 stays aligned.
DECODE_TAIL = 4096


def feed(decoder: codecs.IncrementalDecoder, data: bytes) -> None:
    """Read ``data`` into ``decoder`` so that it holds the bytes of an unfinished last character
    (only the last :data:`DECODE_TAIL` bytes of a long chunk are read)."""
    if len(data) > DECODE_TAIL:
        decoder.reset()
        data = data[-DECODE_TAIL:]
    decoder.decode(data)


def row_of(entry: LogEntry | Datagram | Row, keep: int = ROW_KEEP) -> Row:
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
        row = ENTRY_ROW(entry)
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


def entry_of(row: Row) -> LogEntry:
    if len(row) == 4:
        return LogEntry(row[0], "in", row[1], row[2])
    return LogEntry(row[0], row[3], row[1], row[2], *row[4:])


def row_bytes(row: Row) -> int:
    text = row[4] if len(row) >= 7 else None
    return len(row[2]) + (len(text) if text else 0)


def format_time(stamp: float, *, with_date: bool = False) -> str:
    local = time.localtime(stamp)
    millis = int((stamp % 1) * 1000)
    pattern = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return f"{time.strftime(pattern, local)}.{millis:03d}"
