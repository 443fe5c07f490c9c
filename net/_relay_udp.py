"""The UDP half of net.relay: each client address gets its own socket towards the target."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import selectors
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from net._faults import TO_CLIENT, TO_TARGET, Faults, TokenBucket, datagram_fate
from net._i18n import N_, _
from net._relay_base import DIRECTIONS, LISTENER, SWEEP, RelayConnection, RelayEvent, RelayLoop
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    bind_endpoint,
    bound_socket,
    format_peer,
)
from net.events import RelayClosed, RelayData, RelayOpened
from net.tcp import _check_seconds

__all__ = ["UDP_QUEUE_BYTES", "UdpRelay"]

#: Bytes of UDP datagrams one direction may hold back (delays, rate, stalls); beyond, drops.
UDP_QUEUE_BYTES: Final = 4 * 1024 * 1024

_UDP_BUFFER = 65535
_UDP_BATCH = 256
_REORDER_WAIT = 0.1  # seconds a datagram held for reordering waits for a next one
_WOULD_BLOCK = (BlockingIOError, InterruptedError)


class _Mapping:
    """One UDP client address and the socket its datagrams go to the target from."""

    __slots__ = (
        "address",
        "bytes_down",
        "bytes_up",
        "conn_id",
        "last_active",
        "peer",
        "since",
        "sock",
    )

    def __init__(self, conn_id: int, address: Any, sock: socket.socket) -> None:
        self.conn_id = conn_id
        self.address = address
        self.peer = format_peer(address)
        self.sock = sock
        self.since = time.time()
        self.last_active = time.monotonic()
        self.bytes_up = self.bytes_down = 0


class UdpRelay(RelayLoop):
    """A UDP relay: each client address gets its own socket towards the target, and the target's
    replies on it go back to that client. Mappings idle for ``idle_timeout`` seconds expire.

    Events (None for none): RelayOpened per side when a client address is first seen, RelayData
    for each datagram forwarded, dropped or duplicated, RelayClosed when a mapping expires.
    """

    def __init__(
        self,
        listen_host: str,
        listen_port: int | str,
        target_host: str,
        target_port: int | str,  # resolved once; UDP uses its first address only
        *,
        max_clients: int = 256,
        idle_timeout: float = 60.0,
        on_event: Callable[[RelayEvent], None] | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    ) -> None:
        """Resolve the target and bind at once.

        Args:
            max_clients: client addresses mapped at once (capped by the platform's selector);
                datagrams from more are dropped (and counted).
            idle_timeout: seconds without a datagram either way before a mapping expires.
        Raises:
            AddressError: a bad host, port or timeout, or a target name that does not resolve.
            BindError: the port cannot be bound.
        """
        _check_seconds(N_("idle timeout"), idle_timeout)
        super().__init__(
            target_host,
            target_port,
            kind=socket.SOCK_DGRAM,
            max_clients=max_clients,
            sockets_per_client=1,
            on_event=on_event,
            faults=faults,
            seed=seed,
            resolve_timeout=resolve_timeout,
        )
        self._endpoint = self._endpoints[0]
        self._idle_timeout = idle_timeout
        self._mappings: dict[Any, _Mapping] = {}  # client address -> mapping, least recent first
        self._by_id: dict[int, _Mapping] = {}
        self._queues = {d: _FaultQueue(self, d) for d in DIRECTIONS}
        self._expiry_at = 0.0
        self.target = format_peer(self._endpoint.sockaddr)
        self._listen(lambda: _bind_udp(listen_host, listen_port))

    def connections(self) -> list[RelayConnection]:
        """The client mappings now, oldest first; thread-safe."""
        with self._lock:
            maps = sorted(self._by_id.values(), key=lambda m: m.conn_id)
            return [
                RelayConnection(m.conn_id, m.peer, self.target, m.since, m.bytes_up, m.bytes_down)
                for m in maps
            ]

    def _end_all(self, reason: str) -> None:
        for mapping in list(self._by_id.values()):
            self._forget(mapping, reason)

    def close(self) -> None:
        for mapping in list(self._by_id.values()):
            mapping.sock.close()
        super().close()

    # ---- the loop --------------------------------------------------------------------------------

    def _on_ready(self, target: Any, mask: int) -> None:
        if target is LISTENER:
            self._read_clients()
        else:
            self._read_target(target)

    def _on_timer(self, item: Any, now: float) -> None:
        if item is SWEEP:
            self._expiry_at = 0.0
            self._expire(now)
        else:
            queue = self._queues[item]
            if queue.timer_at <= now:
                queue.timer_at = 0.0
            queue.drain(now)

    def _refresh(self) -> None:
        now = time.monotonic()
        for queue in self._queues.values():
            queue.drain(now)

    def _close_request(self, conn_id: int, reset: bool) -> None:
        mapping = self._by_id.get(conn_id)
        if mapping is not None:
            self._forget(mapping, _("closed on purpose at the relay"))

    def _read_clients(self) -> None:
        recvfrom = self._listener.recvfrom
        mappings = self._mappings
        # The hot path of a relay without faults goes straight to _send: no queue, no clock.
        plain = self._plain(TO_TARGET)
        counter = self._counters[TO_TARGET]
        seen: set[_Mapping] = set()
        try:
            for _ in range(_UDP_BATCH):
                try:
                    data, address = recvfrom(_UDP_BUFFER)
                except _WOULD_BLOCK:
                    return
                except OSError:
                    continue  # Windows reports an earlier send's ICMP error here; nothing to read
                mapping = mappings.get(address)
                if mapping is None:
                    mapping = self._map(address)
                    if mapping is None:
                        counter.dropped += 1
                        continue
                seen.add(mapping)
                if plain:
                    self._send(TO_TARGET, mapping, data)
                else:
                    self._queues[TO_TARGET].arrived(mapping, data)
        finally:
            self._touch(seen)

    def _read_target(self, mapping: _Mapping) -> None:
        recv = mapping.sock.recv
        plain = self._plain(TO_CLIENT)
        try:
            for _ in range(_UDP_BATCH):
                try:
                    data = recv(_UDP_BUFFER)
                except _WOULD_BLOCK:
                    return
                except OSError:
                    continue  # ICMP port unreachable from the target: it is not listening (yet)
                if plain:
                    self._send(TO_CLIENT, mapping, data)
                else:
                    self._queues[TO_CLIENT].arrived(mapping, data)
        finally:
            self._touch((mapping,))

    def _plain(self, direction: str) -> bool:
        """True when datagrams of ``direction`` go straight through: no fault, nothing queued."""
        faults = self._faults[direction]
        queue = self._queues[direction]
        return not (
            self._down
            or faults.loss
            or faults.duplicate
            or faults.reorder
            or faults.shapes
            or queue.heap
            or queue.held is not None
        )

    def _map(self, address: Any) -> _Mapping | None:
        if len(self._mappings) >= self.max_clients or self._down:
            return None
        endpoint = self._endpoint
        sock = socket.socket(endpoint.family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.connect(endpoint.sockaddr)  # so the kernel lets only the target's replies in
        except OSError:
            sock.close()
            return None
        mapping = _Mapping(next(self._ids), address, sock)
        with self._lock:
            self._mappings[address] = mapping
            self._by_id[mapping.conn_id] = mapping
        assert self._selector is not None
        self._selector.register(sock, selectors.EVENT_READ, mapping)
        now = time.time()
        self._emit(RelayOpened(now, mapping.conn_id, "client", mapping.peer))
        self._emit(RelayOpened(now, mapping.conn_id, "target", self.target))
        self._plan_expiry()
        return mapping

    def _touch(self, active: Iterable[_Mapping]) -> None:
        """Mark mappings active now; least recently active first, so the next to expire is
        always the first one."""
        now = time.monotonic()
        mappings = self._mappings
        for mapping in active:
            if mappings.get(mapping.address) is mapping:
                mapping.last_active = now
                del mappings[mapping.address]
                mappings[mapping.address] = mapping

    def _plan_expiry(self) -> None:
        if not self._mappings:
            return
        first = next(iter(self._mappings.values()))
        when = first.last_active + self._idle_timeout
        if not self._expiry_at or when < self._expiry_at:
            self._expiry_at = when
            self._schedule(when, SWEEP)

    def _expire(self, now: float) -> None:
        while self._mappings:
            first = next(iter(self._mappings.values()))
            if now - first.last_active < self._idle_timeout:
                break
            self._forget(
                first,
                _("idle for {idle_timeout:g} s, so the mapping expired").format(
                    idle_timeout=self._idle_timeout
                ),
            )
        self._plan_expiry()

    def _forget(self, mapping: _Mapping, reason: str) -> None:
        with self._lock:
            if self._by_id.pop(mapping.conn_id, None) is None:
                return
            self._mappings.pop(mapping.address, None)
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(mapping.sock)
        mapping.sock.close()
        now = time.time()
        self._emit(RelayClosed(now, mapping.conn_id, "client", mapping.peer, reason))
        self._emit(RelayClosed(now, mapping.conn_id, "target", self.target, reason))

    def _send(self, direction: str, mapping: _Mapping, data: bytes) -> None:
        try:
            if direction == TO_TARGET:
                mapping.sock.send(data)
            else:
                self._listener.sendto(data, mapping.address)
        except OSError:
            # A full send buffer, or the target's port unreachable: UDP gives no guarantee, and
            # the datagram is counted as dropped.
            self._dropped(direction, mapping, data)
            return
        size = len(data)
        counter = self._counters[direction]
        counter.bytes += size
        counter.chunks += 1
        if direction == TO_TARGET:
            mapping.bytes_up += size
        else:
            mapping.bytes_down += size
        if self._on_event is not None:
            self._on_event(RelayData(time.time(), mapping.conn_id, direction, mapping.peer, data))

    def _dropped(self, direction: str, mapping: _Mapping, data: bytes) -> None:
        self._counters[direction].dropped += 1
        if self._on_event is not None:
            self._on_event(
                RelayData(time.time(), mapping.conn_id, direction, mapping.peer, data, "dropped")
            )


class _FaultQueue:
    """The datagrams of one direction under faults: dropped, duplicated or held back for
    reordering as they arrive, then waiting for their time (delay), for tokens (rate) or while
    stalled, and sent through the relay when they may go."""

    __slots__ = (
        "bucket",
        "bytes",
        "direction",
        "heap",
        "held",
        "held_at",
        "relay",
        "seq",
        "timer_at",
    )

    def __init__(self, relay: UdpRelay, direction: str) -> None:
        self.relay = relay
        self.direction = direction
        self.heap: list[tuple[float, int, _Mapping, bytes]] = []
        self.seq = itertools.count()  # keeps datagrams due at the same time in their order
        self.bytes = 0
        self.bucket: TokenBucket | None = None
        self.held: tuple[_Mapping, bytes] | None = None  # waiting to be sent after the next one
        self.held_at = 0.0
        self.timer_at = 0.0

    def arrived(self, mapping: _Mapping, data: bytes) -> None:
        """One datagram came: drop, duplicate, hold back or forward it."""
        relay = self.relay
        if relay._down:
            relay._dropped(self.direction, mapping, data)
            return
        faults = relay._faults[self.direction]
        if relay._plain(self.direction):
            relay._send(self.direction, mapping, data)
            return
        dropped, duplicated, held = datagram_fate(faults, relay._random)
        if dropped:
            relay._dropped(self.direction, mapping, data)
            return
        now = time.monotonic()
        copies = 2 if duplicated else 1
        if held and self.held is None:
            self.held = (mapping, data)
            self.held_at = now
            self._wake(now + _REORDER_WAIT)
            if duplicated:
                self._enqueue(mapping, data, now, faults, duplicate=True)
            return
        for copy in range(copies):
            self._enqueue(mapping, data, now, faults, duplicate=copy > 0)
        if self.held is not None:
            # The held datagram goes after this one: their order is swapped.
            held_mapping, held_data = self.held
            self.held = None
            self._enqueue(held_mapping, held_data, now, faults)
        self.drain(now)

    def _enqueue(
        self, mapping: _Mapping, data: bytes, now: float, faults: Faults, *, duplicate: bool = False
    ) -> None:
        relay = self.relay
        if self.bytes + len(data) > UDP_QUEUE_BYTES:
            relay._dropped(self.direction, mapping, data)
            return
        due = faults.due(now, relay._random) if faults.delays else now
        heapq.heappush(self.heap, (due, next(self.seq), mapping, data))
        self.bytes += len(data)
        if duplicate:
            relay._counters[self.direction].duplicated += 1
            relay._emit(
                RelayData(
                    time.time(), mapping.conn_id, self.direction, mapping.peer, data, "duplicated"
                )
            )

    def drain(self, now: float) -> None:
        """Send the datagrams whose time has come, as the rate allows."""
        relay = self.relay
        faults = relay._faults[self.direction]
        if self.held is not None and now - self.held_at >= _REORDER_WAIT:
            held_mapping, held_data = self.held
            self.held = None  # no next datagram came: it goes after all
            self._enqueue(held_mapping, held_data, now, faults)
        heap = self.heap
        while heap and not faults.stall:
            due = heap[0][0]
            if due > now:
                self._wake(due)
                break
            if faults.rate:
                bucket = self.bucket
                if bucket is None or bucket.rate != faults.rate:
                    bucket = self.bucket = TokenBucket(faults.rate, now)
                if not bucket.ready(now):
                    self._wake(bucket.next_ready(now))
                    break
                bucket.spend(len(heap[0][3]))
            _due, _seq, mapping, data = heapq.heappop(heap)
            self.bytes -= len(data)
            if mapping.conn_id in relay._by_id:
                relay._send(self.direction, mapping, data)
        if self.held is not None:
            self._wake(self.held_at + _REORDER_WAIT)

    def _wake(self, when: float) -> None:
        if not self.timer_at or when < self.timer_at:
            self.timer_at = when
            self.relay._schedule(when, self.direction)


def _bind_udp(host: str, port: int | str) -> socket.socket:
    local = bind_endpoint(host, port, kind=socket.SOCK_DGRAM)
    return bound_socket(local, socket.SOCK_DGRAM, prepare=_large_receive_buffer)


def _large_receive_buffer(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
