"""How rows enter the traffic log: counted for the rates, written to a receive file, framed
(TCP streams), checked against a checksum, their peers offered to the filter, then into the model.

:class:`LogIngest` is one half of :class:`~gui.widgets.traffic_log.TrafficLog` (see
:mod:`~gui.widgets.traffic_log_parts`). Datagram floods take :meth:`LogIngest.append_rows`, which
does no Python work per row unless a receive file or a checksum needs each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from gui.widgets.traffic_log_framing import terminators
from gui.widgets.traffic_log_parts import LogParts
from gui.widgets.traffic_log_rows import LogEntry, checksum_failure
from net.events import Datagram

__all__ = ["MAX_PEERS", "LogIngest"]

#: Peers the peer filter offers at most (a UDP flood from many ports would list thousands).
MAX_PEERS = 500
_peer_of = itemgetter(1)


def _received(entry: Any) -> tuple[float, str, bytes, int] | None:
    """(time, peer, data, bytes not kept) of a received row, None for anything else."""
    if type(entry) is tuple:  # a frame, or a datagram row: received
        return entry[0], entry[1], entry[2], 0
    if type(entry) is LogEntry and entry.direction == "in" and entry.data and not entry.end:
        return entry.time, entry.peer, entry.data, entry.total - len(entry.data)
    if type(entry) is Datagram and not entry.outgoing:
        return entry.time, entry.peer, entry.data, 0
    return None


class LogIngest(LogParts):
    """The way in of a traffic log: :meth:`append` and the datagram fast paths."""

    _rtt_shown: bool  # the Bytes column has been widened for round-trip times

    def append(self, entries: Iterable[LogEntry | Datagram]) -> None:
        batch: list[Any] = entries if isinstance(entries, list) else list(entries)
        if not batch:
            return
        self._count(batch)
        if not self.framing.raw or self.framing.backlog:
            self._hold_rtts(batch)
            self.framing.push(batch)
            batch = self.framing.take()
            if self.framing.backlog:
                self._backlog_timer.start()
        self._add(batch)

    def append_datagrams(self, datagrams: Sequence[Datagram]) -> None:
        """Add received datagrams as rows."""
        if not datagrams:
            return
        self._fast(datagrams, False)

    def append_rows(self, rows: Sequence[tuple[float, str, bytes, bool]]) -> None:
        """Add received datagrams given as (time, peer, data, truncated): the fast path."""
        if not rows:
            return
        self._fast(rows, True)

    def _watching(self) -> bool:
        """Whether rows need a look of their own on the way in (capture, checksum, filters)."""
        return self.capture is not None or self.model.checksum is not None

    def _fast(self, rows: Sequence[Any], tuples: bool) -> None:
        """Datagrams in bulk: counted, then into the model with no Python work per row unless
        a receive file or a checksum check needs each one."""
        sizes = sum(len(row[2]) if tuples else len(row.data) for row in rows)
        self.rates.add(sizes, len(rows))
        self._note_peers(rows, tuples)
        if self._watching():
            if self.capture is not None:
                for row in rows:
                    stamp, peer, data = (
                        (row[0], row[1], row[2]) if tuples else (row.time, row.peer, row.data)
                    )
                    self._capture(stamp, peer, data, 0)
            if self.model.checksum is not None:
                self._check(row[2] if tuples else row.data for row in rows)
        if tuples:
            self.model.append_rows(rows)
        else:
            self.model.append_datagrams(rows)
        self._appended()

    def _count(self, batch: list[Any]) -> None:
        """Rates and the raw receive file see every chunk before framing."""
        nbytes = packets = 0
        capture = self.capture if self.capture is not None and self.capture.mode == "raw" else None
        for entry in batch:
            if type(entry) is LogEntry:
                if entry.direction in ("info", "error") or entry.end:
                    continue
                nbytes += entry.total
                if capture is not None and entry.direction == "in":
                    missed = entry.total - len(entry.data)
                    self._capture(entry.time, entry.peer, entry.data, missed)
            elif type(entry) is Datagram:
                nbytes += len(entry.data)
                if capture is not None and not entry.outgoing:
                    self._capture(entry.time, entry.peer, entry.data, 0)
            packets += 1
        if packets:
            self.rates.add(nbytes, packets)

    def _hold_rtts(self, batch: list[Any]) -> None:
        """Keep the round-trip times of stream chunks that go into the framing stage: the first
        frame of the same peer to come out gets it (the chunk itself may not be a row)."""
        for entry in batch:
            if type(entry) is LogEntry and entry.rtt_ms is not None and entry.stream is not None:
                self._held_rtts[entry.peer] = entry.rtt_ms
        if len(self._held_rtts) > MAX_PEERS:
            self._held_rtts.clear()

    def _rtt_marks(self, batch: list[Any]) -> dict[int, float] | None:
        """Round-trip times held for framing, by position of the first frame of their peer."""
        held = self._held_rtts
        if not held:
            return None
        marks: dict[int, float] = {}
        for position, entry in enumerate(batch):
            if type(entry) is tuple:  # a frame
                ms = held.pop(entry[1], None)
                if ms is not None:
                    marks[position] = ms
            elif type(entry) is LogEntry and entry.rtt_ms is not None:
                held.pop(entry.peer, None)  # the chunk came through as it was, with its time
            if not held:
                break
        return marks

    def _add(self, batch: list[Any]) -> None:
        """Rows after framing: the lines receive file, checksum counts, peers, the model."""
        if not batch:
            return
        capture = (
            self.capture if self.capture is not None and self.capture.mode == "lines" else None
        )
        check = self.model.checksum is not None
        if capture is not None or check:
            received = [_received(e) for e in batch]
            rows = [row for row in received if row is not None]
            if capture is not None:
                for stamp, peer, data, missed in rows:
                    self._capture(stamp, peer, data, missed)
            if check:
                self._check(row[2] for row in rows)
        self._note_peers(batch, False)
        self.model.append(batch, self._rtt_marks(batch))
        if not self._rtt_shown and self.model.has_rtt:
            self._show_rtt_column()
        self._appended()

    def _check(self, payloads: Iterable[bytes]) -> None:
        name = self.model.checksum or ""
        strip = terminators(self.framing.spec)
        self.checksum_failures += sum(1 for data in payloads if checksum_failure(data, name, strip))

    def _note_peers(self, rows: Sequence[Any], tuples: bool) -> None:
        if len(self._peers) >= MAX_PEERS:
            return
        if tuples:
            peers = set(map(_peer_of, rows))
        else:  # entries, datagrams, and the framing stage's row tuples
            peers = {r[1] if type(r) is tuple else getattr(r, "peer", "") for r in rows}
        new = [peer for peer in peers if peer and peer not in self._peers]
        for peer in sorted(new)[: MAX_PEERS - len(self._peers)]:
            self._peers[peer] = None
            self.tools.peer_combo.addItem(peer, peer)

    def _work_backlog(self) -> None:
        rows = self.framing.take()
        if not self.framing.backlog:
            self._backlog_timer.stop()
        self._add(rows)
