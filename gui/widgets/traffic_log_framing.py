"""The traffic log's framing stage: a TCP stream's chunks become one log row per frame.

Each connection (a :class:`~gui.widgets.traffic_log_rows.LogEntry` ``stream`` key) gets its own
:class:`net.framing.Framer`, so the TCP server's clients never mix; a partial frame waits in its
framer until the rest arrives or the stream ends (then it is shown as it is). A frame becomes a
received row in the model's plain-tuple layout, (time, peer, data, False): no object per frame.
Rows that are not stream chunks (sent data, notes, datagrams) pass through in order.

Framing runs in the GUI thread, so its work per call is bounded (:data:`FRAME_BUDGET` bytes);
the rest waits in a backlog that the log drains on its timer. The backlog is bounded too
(:data:`BACKLOG_BYTES`): past it, the oldest chunks are not framed, and a note row says how many
bytes that was (a stream much faster than the window can show loses rows, never its counters).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from gui.widgets.traffic_log_rows import LogEntry
from net.framing import Framer, FramingSpec, parse_framing

__all__ = ["BACKLOG_BYTES", "FRAME_BUDGET", "FRAMINGS", "FramingStage", "terminators"]

#: Stream bytes framed per call (a few milliseconds of the GUI thread for 64-byte lines).
FRAME_BUDGET = 64 * 1024
#: Stream bytes waiting to be framed at most; older chunks beyond it are skipped (and noted).
BACKLOG_BYTES = 32 * 1024 * 1024

#: The framings the log's combo offers: (spec for net.framing.parse_framing, label to translate).
FRAMINGS: tuple[tuple[str, object], ...] = (
    ("raw", QT_TRANSLATE_NOOP("TrafficLog", "Raw chunks")),
    ("line", QT_TRANSLATE_NOOP("TrafficLog", "Lines (LF)")),
    ("crlf", QT_TRANSLATE_NOOP("TrafficLog", "Lines (CRLF)")),
    ("any", QT_TRANSLATE_NOOP("TrafficLog", "Lines (LF, CRLF or CR)")),
    ("len1", QT_TRANSLATE_NOOP("TrafficLog", "Length 1 byte")),
    ("len2be", QT_TRANSLATE_NOOP("TrafficLog", "Length 2 bytes BE")),
    ("len2le", QT_TRANSLATE_NOOP("TrafficLog", "Length 2 bytes LE")),
    ("len4be", QT_TRANSLATE_NOOP("TrafficLog", "Length 4 bytes BE")),
    ("len4le", QT_TRANSLATE_NOOP("TrafficLog", "Length 4 bytes LE")),
    ("len2be+header", QT_TRANSLATE_NOOP("TrafficLog", "Length 2 bytes BE, header counted")),
    ("len2le+header", QT_TRANSLATE_NOOP("TrafficLog", "Length 2 bytes LE, header counted")),
    ("len4be+header", QT_TRANSLATE_NOOP("TrafficLog", "Length 4 bytes BE, header counted")),
    ("len4le+header", QT_TRANSLATE_NOOP("TrafficLog", "Length 4 bytes LE, header counted")),
    ("fixed:16", QT_TRANSLATE_NOOP("TrafficLog", "Fixed size: 16 bytes (type fixed:N)")),
    ("delim:03", QT_TRANSLATE_NOOP("TrafficLog", "Delimiter in hex: ETX (type delim:HEX)")),
)


def terminators(spec: FramingSpec) -> tuple[bytes, ...]:
    """The frame endings ``spec`` leaves in a frame's bytes, longest first (what a checksum
    check strips before it looks at the frame's last bytes)."""
    if spec.kind == "line":
        return (b"\r\n", b"\n")
    if spec.kind == "crlf":
        return (b"\r\n",)
    if spec.kind == "any":
        return (b"\r\n", b"\n", b"\r")
    if spec.kind == "delim":
        return (spec.delimiter,)
    return ()


class FramingStage:
    """Frames the stream chunks of log entries, one :class:`Framer` per stream.

    Not thread-safe: the GUI thread calls :meth:`push` and :meth:`take`.
    """

    def __init__(self, spec: str = "raw", *, backlog: int = BACKLOG_BYTES) -> None:
        self.spec = parse_framing(spec)
        self._backlog = backlog
        self._framers: dict[int, tuple[Framer, str]] = {}  # stream -> its framer, its peer
        self._queue: deque[Any] = deque()
        self._queued = 0  # stream bytes in the queue
        self._gap = 0  # stream bytes skipped since the last note about it
        # Stream bytes never framed since the stage was made: dropped from the backlog here, or
        # before they reached the log (a run whose start the runner did not keep).
        self.skipped = 0

    @property
    def raw(self) -> bool:
        return self.spec.kind == "raw"

    @property
    def backlog(self) -> int:
        """Stream bytes waiting to be framed."""
        return self._queued

    def set_spec(self, spec: str) -> list[Any]:
        """Frame from now on with ``spec``; returns the rows for what the old framers held
        (partial frames, shown as they are) and for what was waiting.

        Raises:
            PayloadError: ``spec`` is not a framing (see net.framing).
        """
        parsed = parse_framing(spec)
        rows = self.take(None)
        for key in list(self._framers):
            rows.extend(self._flush(key, None))
        self.spec = parsed
        return rows

    def push(self, entries: Iterable[Any]) -> None:
        """Queue a batch (LogEntry, Datagram, or anything the model takes) for :meth:`take`."""
        queue = self._queue
        for entry in entries:
            queue.append(entry)
            if type(entry) is LogEntry and entry.stream is not None:
                self._queued += len(entry.data)
        while self._queued > self._backlog and len(queue) > 1:
            dropped = queue.popleft()
            if type(dropped) is LogEntry and dropped.stream is not None:
                self._queued -= len(dropped.data)
                self._gap += len(dropped.data)
                self.skipped += len(dropped.data)
                self._framers.pop(dropped.stream, None)  # it restarts at the next chunk
            else:
                queue.appendleft(dropped)  # notes and sent rows are cheap: keep them
                break

    def take(self, budget: int | None = FRAME_BUDGET) -> list[Any]:
        """Rows for what is queued, framing at most ``budget`` stream bytes (None: all)."""
        rows: list[Any] = []
        if self._gap:
            rows.append(self._gap_note(self._gap))
            self._gap = 0
        queue = self._queue
        left = budget
        while queue and (left is None or left > 0):
            entry = queue.popleft()
            if type(entry) is not LogEntry or entry.stream is None:
                rows.append(entry)
                continue
            key: int = entry.stream
            if entry.end:
                rows.extend(self._flush(key, entry))
                continue
            if self.raw:
                self._queued -= len(entry.data)
                if isinstance(entry.data, memoryview):  # the rest of a chunk framed before
                    entry = LogEntry(entry.time, "in", entry.peer, bytes(entry.data), stream=key)
                rows.append(entry)
                continue
            data = entry.data
            if entry.tail and entry.size is not None and entry.size > len(data):
                # The bytes before this run's were not kept (the window fell behind): what the
                # framer held cannot be continued.
                rows.extend(self._flush(key, entry))
                rows.append(self._gap_note(entry.size - len(data), entry))
                self.skipped += entry.size - len(data)
                entry = LogEntry(entry.time, "in", entry.peer, data, stream=entry.stream)
            if left is not None and len(data) > left:
                # The rest waits as a view of the same bytes: no copy of a megabytes chunk
                # at every turn.
                view = memoryview(data)
                rest = LogEntry(entry.time, "in", entry.peer, view[left:], stream=key)  # type: ignore[arg-type]
                queue.appendleft(rest)
                data = view[:left]  # type: ignore[assignment]
            self._queued -= len(data)
            if left is not None:
                left -= len(data)
            held = self._framers.get(key)
            if held is None:
                held = self._framers[key] = (self.spec.framer(), entry.peer)
            framer = held[0]
            stamp, peer = entry.time, entry.peer
            rows.extend([(stamp, peer, frame[0], False) for frame in framer.feed(data)])
        return rows

    def _flush(self, key: int, end: LogEntry | None) -> list[Any]:
        held = self._framers.pop(key, None)
        rows: list[Any] = []
        if held is not None:
            stamp, peer = (end.time, end.peer) if end is not None else (time.time(), held[1])
            rows = [(stamp, peer, frame.data, False) for frame in held[0].flush()]
        if end is not None and end.end:
            rows.append(end)  # the model's own end-of-stream marker (raw rows before it)
        return rows

    def _gap_note(self, size: int, entry: LogEntry | None = None) -> LogEntry:
        message = QCoreApplication.translate(
            "TrafficLog", "{size} bytes were not framed: the window fell behind the stream"
        ).format(size=f"{size:,}")
        return LogEntry.note(message, entry.peer if entry is not None else "")
