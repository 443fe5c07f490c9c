"""A relay between clients and a target, TCP or UDP, that can misbehave on purpose (issue 19).

:class:`TcpRelay` listens, and gives each accepted client its own connection to the target
(non-blocking connect, within a deadline); both directions stream through bounded buffers (a side
is not read while the other side's buffer is full), and a FIN one way becomes a shutdown(SHUT_WR)
the other way (RFC 9293 section 3.6: half-close). TLS may be spoken towards the target (verified,
pinned or insecure, net.tls) and towards the clients (a server certificate), so that TLS traffic
is seen in clear in between.

:class:`UdpRelay` gives each client address its own upstream socket, so replies find their way
back to that client; idle client mappings expire.

Faults (net._faults.Faults) are set per direction and may change while the relay runs: delay and
jitter, a bandwidth limit, loss, duplication and reordering (UDP), slicing, a reset after N bytes
and stalls (TCP), "down" (refuse connections, drop datagrams), and closing a connection on purpose.
Both relays follow design.md's stop pattern: one selector with the waker, timed work (delays, the
token bucket, deadlines) in the select timeout via a timer heap, never a sleep.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import random
import selectors
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from net._faults import TO_CLIENT, TO_TARGET, Faults, TokenBucket, datagram_fate
from net._loop import StoppableLoop, selector_capacity
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    bind_endpoint,
    format_peer,
    parse_host,
    parse_port,
    resolve,
)
from net.errors import AddressError, BindError, describe_bind_error, describe_connect_error
from net.events import RelayClosed, RelayCounters, RelayData, RelayOpened, TlsInfo
from net.tcp import HANDSHAKE_TIMEOUT, _describe_stream_error, listening_socket
from net.tls import ClientTls, certificate_fingerprint, client_context, describe_ssl_error

__all__ = [
    "DIRECTIONS",
    "HIGH_WATER",
    "TO_CLIENT",
    "TO_TARGET",
    "Faults",
    "RelayConnection",
    "RelayEvent",
    "TcpRelay",
    "UdpRelay",
]

RelayEvent = RelayOpened | RelayClosed | RelayData

DIRECTIONS: Final = (TO_TARGET, TO_CLIENT)
#: Bytes one direction of a TCP connection may hold (read, not yet written) before its source is
#: no longer read: the backpressure that keeps a fast sender from filling the relay's memory.
HIGH_WATER: Final = 1024 * 1024
#: Bytes of UDP datagrams one direction may hold back (delays, rate, stalls); beyond, drops.
UDP_QUEUE_BYTES: Final = 4 * 1024 * 1024

_RECV_SIZE = 256 * 1024
_TLS_WRITE_SIZE = 64 * 1024  # a retry after SSLWantWriteError must repeat the same bytes
_UDP_BUFFER = 65535
_UDP_BATCH = 64
_REORDER_WAIT = 0.1  # seconds a datagram held for reordering waits for a next one
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_CONNECT_PENDING = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035}
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
_ACCEPT = object()


@dataclass(frozen=True, slots=True)
class RelayConnection:
    """One relayed connection (TCP) or client mapping (UDP), as ``connections()`` lists it."""

    conn_id: int
    client: str
    target: str
    since: float  # time.time()
    bytes_to_target: int
    bytes_to_client: int


class _Counter:
    __slots__ = ("bytes", "chunks", "direction", "dropped", "duplicated")

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.bytes = self.chunks = self.dropped = self.duplicated = 0

    def snapshot(self) -> RelayCounters:
        return RelayCounters(self.direction, self.bytes, self.chunks, self.dropped, self.duplicated)


class _RelayLoop(StoppableLoop):
    """What both relays share: faults per direction, counters, the timer heap, requests."""

    def __init__(
        self,
        on_event: Callable[[RelayEvent], None] | None,
        faults: Faults | None,
        seed: int | None,
    ) -> None:
        super().__init__()
        self._on_event = on_event
        base = faults if faults is not None else Faults()
        self._faults: dict[str, Faults] = {TO_TARGET: base, TO_CLIENT: base}
        self._down = False
        self._random = random.Random(seed)
        self._counters = {d: _Counter(d) for d in DIRECTIONS}
        self._timers: list[tuple[float, int, Any]] = []
        self._timer_ids = itertools.count()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._requests: list[tuple[int, bool]] = []  # (conn_id, reset) to close
        self._faults_changed = False
        self._selector: selectors.BaseSelector | None = None
        self._started = False

    # ---- any thread ----------------------------------------------------------------------------

    def faults(self, direction: str) -> Faults:
        """The faults applied now to ``direction`` ("->" or "<-")."""
        return self._faults[_check_direction(direction)]

    def set_faults(self, faults: Faults, direction: str | None = None) -> None:
        """Apply ``faults`` to one direction ("->", "<-") or, with None, both; thread-safe, at once
        (data already waiting follows the new faults from now on)."""
        with self._lock:
            for d in DIRECTIONS if direction is None else (_check_direction(direction),):
                self._faults[d] = faults
            self._faults_changed = True
        self._waker.wake()

    @property
    def down(self) -> bool:
        """True while the relay refuses new connections (TCP) or drops every datagram (UDP)."""
        return self._down

    def set_down(self, down: bool) -> None:
        """Take the relay down (or up again) while running; thread-safe. Connections already
        relayed stay up (close them with :meth:`close_connection`)."""
        self._down = bool(down)

    def close_connection(self, conn_id: int, *, reset: bool = False) -> None:
        """Close one relayed connection (TCP: both sides, with RST if ``reset``) or forget one UDP
        client mapping; thread-safe. Unknown ids are ignored."""
        with self._lock:
            self._requests.append((conn_id, reset))
        self._waker.wake()

    def counters(self) -> dict[str, RelayCounters]:
        """Totals per direction ("->", "<-") since the start; thread-safe snapshot."""
        return {d: c.snapshot() for d, c in self._counters.items()}

    # ---- the loop's thread ---------------------------------------------------------------------

    def _schedule(self, when: float, item: Any) -> None:
        heapq.heappush(self._timers, (when, next(self._timer_ids), item))

    def _run(self, selector: selectors.BaseSelector) -> None:
        timers = self._timers
        while not self.stopping:
            now = time.monotonic()
            while timers and timers[0][0] <= now:
                self._on_timer(heapq.heappop(timers)[2], now)
            if self.stopping:
                break
            timeout = self._select_timeout()
            if timeout is None and timers:
                timeout = max(0.0, timers[0][0] - time.monotonic())
            for key, mask in selector.select(timeout):
                if key.data is self._waker:
                    self._waker.drain()
                else:
                    self._on_ready(key.data, mask)
            self._after_select()
            if self._requests or self._faults_changed:
                with self._lock:
                    requests, self._requests = self._requests, []
                    changed, self._faults_changed = self._faults_changed, False
                for conn_id, reset in requests:
                    self._close_request(conn_id, reset)
                if changed:
                    self._refresh()

    def _select_timeout(self) -> float | None:
        return None

    def _after_select(self) -> None:
        pass

    def _on_timer(self, item: Any, now: float) -> None:
        raise NotImplementedError

    def _on_ready(self, target: Any, mask: int) -> None:
        raise NotImplementedError

    def _close_request(self, conn_id: int, reset: bool) -> None:
        raise NotImplementedError

    def _refresh(self) -> None:
        """Faults changed: let everything waiting look at them again."""
        raise NotImplementedError

    def _begin(self) -> selectors.BaseSelector:
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} runs once; make a new one to start again")
        self._started = True
        self._selector = self.new_selector()
        return self._selector

    def _emit(self, event: RelayEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


# --- TCP -----------------------------------------------------------------------------------------


class _Side:
    """One socket of a relayed TCP connection: the accepted client or the connection to the target."""

    __slots__ = (
        "announced",
        "events",
        "handshake_events",
        "handshaking",
        "name",
        "pair",
        "peer",
        "reading",
        "ready",
        "sock",
    )

    def __init__(self, pair: _Pair, name: str, sock: socket.socket, peer: str) -> None:
        self.pair = pair
        self.name = name  # "client" or "target"
        self.sock = sock
        self.peer = peer
        self.events = 0  # what the selector watches for now
        self.ready = False  # connected (and TLS handshake done): data may flow
        self.handshaking = False
        self.handshake_events = selectors.EVENT_READ
        self.reading = True  # False once this side sent its FIN
        self.announced = False  # RelayOpened was sent for it


class _Pipe:
    """One direction of a relayed TCP connection: bytes read from ``src``, to be written to ``dst``."""

    __slots__ = (
        "bucket",
        "direction",
        "dst",
        "eof",
        "forwarded",
        "held",
        "held_bytes",
        "last_due",
        "offset",
        "out",
        "out_bytes",
        "pause_until",
        "resetting",
        "shut",
        "src",
        "timer_at",
    )

    def __init__(self, direction: str, src: _Side, dst: _Side) -> None:
        self.direction = direction
        self.src = src
        self.dst = dst
        self.held: deque[tuple[float, bytes]] = deque()  # (when it may leave, bytes)
        self.held_bytes = 0
        self.out: deque[bytes] = deque()  # released, to be written to dst
        self.out_bytes = 0
        self.offset = 0  # bytes of out[0] already written
        self.forwarded = 0  # bytes released this way on this connection
        self.eof = False  # src sent its FIN
        self.shut = False  # ...and it was passed on to dst
        self.last_due = 0.0
        self.pause_until = 0.0  # slicing: the next piece waits until then
        self.bucket: TokenBucket | None = None
        self.resetting = False  # reset_after reached: reset once out is written
        self.timer_at = 0.0  # the earliest timer pending for this pipe (0: none)

    @property
    def buffered(self) -> int:
        return self.held_bytes + self.out_bytes


class _Pair:
    __slots__ = (
        "client",
        "closed",
        "conn_id",
        "deadline",
        "down",
        "endpoints",
        "last_active",
        "open",
        "since",
        "target",
        "up",
    )

    def __init__(self, conn_id: int) -> None:
        self.conn_id = conn_id
        self.since = time.time()
        self.last_active = time.monotonic()
        self.deadline = 0.0  # connect / TLS handshake deadline while setting up (monotonic)
        self.closed = False
        self.open = False  # both sides ready: the pipes exist and data flows
        self.endpoints: list[Any] = []  # target endpoints still to try
        self.client: _Side
        self.target: _Side | None = None
        self.up: _Pipe  # client -> target
        self.down: _Pipe  # target -> client


class TcpRelay(_RelayLoop):
    """A TCP relay: clients connect to ``listen_host:listen_port`` and are relayed to the target.

    Events go to ``on_event`` on the loop's thread (keep it cheap; None for none): RelayOpened per
    side, RelayData for every chunk forwarded (``direction`` "->" or "<-"), RelayClosed per side.
    """

    def __init__(
        self,
        listen_host: str,
        listen_port: int | str,
        target_host: str,
        target_port: int | str,
        *,
        on_event: Callable[[RelayEvent], None] | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        max_clients: int = 256,
        connect_timeout: float = 10.0,
        idle_timeout: float = 300.0,
        target_tls: ClientTls | None = None,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    ) -> None:
        """Resolve the target, bind and listen at once.

        Args:
            listen_host: "" every IPv4 address, "::" every IPv6 one, or one of this computer's.
            listen_port: 0 picks a free port (read :attr:`port`).
            target_host, target_port: where each client is relayed to (resolved once, here).
            faults: applied to both directions from the start (see :meth:`set_faults`).
            seed: seeds the random choices (jitter), for repeatable runs.
            max_clients: connections relayed at once (capped by the platform's selector).
            connect_timeout: seconds to connect to the target (and finish TLS with it).
            idle_timeout: seconds without a byte either way before a connection is closed.
            target_tls: speak TLS to the target, checked as it says (net.tls.ClientTls).
            ssl_context: speak TLS to clients with this server context (net.tls.server_context).
            handshake_timeout: seconds a client has to finish its TLS handshake.
        Raises:
            AddressError: a bad host, port or timeout, a target name that does not resolve, or
                an unusable CA file.
            BindError: the listening port cannot be used.
        """
        for what, value in (
            ("connect timeout", connect_timeout),
            ("idle timeout", idle_timeout),
            ("TLS handshake timeout", handshake_timeout),
        ):
            _check_seconds(what, value)
        self._target_host = parse_host(target_host)
        self._target_port = parse_port(target_port)
        self._endpoints = resolve(self._target_host, self._target_port, timeout=resolve_timeout)
        self._client_context = client_context(target_tls) if target_tls is not None else None
        self._sni = self._target_host.split("%", 1)[0]
        super().__init__(on_event, faults, seed)
        cap = selector_capacity()
        # Each connection holds two sockets in the selector.
        self.max_clients = max(1, min(max_clients, cap // 2) if cap is not None else max_clients)
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._ssl_context = ssl_context
        self._handshake_timeout = handshake_timeout
        self._pairs: dict[int, _Pair] = {}
        self._tls_ready: set[_Side] = set()
        #: Connections accepted so far, and those refused (down, or max_clients reached).
        self.total_clients = 0
        self.refused = 0
        self.target = format_peer((self._target_host, self._target_port))
        try:
            self._listener, self.address = listening_socket(listen_host, listen_port)
        except BaseException:
            super().close()
            raise
        self.port: int = int(self._listener.getsockname()[1])

    # ---- any thread ----------------------------------------------------------------------------

    def connections(self) -> list[RelayConnection]:
        """The connections relayed now, oldest first; thread-safe."""
        with self._lock:
            pairs = sorted(self._pairs.values(), key=lambda p: p.conn_id)
            return [
                RelayConnection(
                    p.conn_id,
                    p.client.peer,
                    p.target.peer if p.target is not None else self.target,
                    p.since,
                    p.up.forwarded if p.open else 0,
                    p.down.forwarded if p.open else 0,
                )
                for p in pairs
            ]

    def run(self) -> None:
        """Relay until :meth:`shutdown`; then every connection is closed and the port released."""
        selector = self._begin()
        try:
            if not self.stopping:
                selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)
                self._schedule(time.monotonic() + self._sweep_interval(), _SWEEP)
                self._run(selector)
        finally:
            for pair in list(self._pairs.values()):
                self._close_pair(pair, "the relay stopped", error=False)
            self._selector = None
            selector.close()
            self._listener.close()

    def close(self) -> None:
        if hasattr(self, "_listener"):
            self._listener.close()
        super().close()

    # ---- the loop --------------------------------------------------------------------------------

    def _sweep_interval(self) -> float:
        return min(1.0, self._idle_timeout / 4)

    def _select_timeout(self) -> float | None:
        return 0.0 if self._tls_ready else None

    def _after_select(self) -> None:
        if self._tls_ready:
            ready, self._tls_ready = self._tls_ready, set()
            for side in ready:
                if not side.pair.closed:
                    self._read(side)

    def _on_ready(self, target: Any, mask: int) -> None:
        if target is _ACCEPT:
            self._accept()
            return
        side: _Side = target
        pair = side.pair
        if pair.closed:
            return
        if not side.ready:
            if side.handshaking:
                self._handshake(side)
            else:
                self._connected(side)
            return
        if not pair.open:
            self._watch(side, 0)  # ready before the other side: it waits, unwatched
            return
        if mask & selectors.EVENT_READ:
            self._read(side)
        if mask & selectors.EVENT_WRITE and not pair.closed:
            self._pump(pair.down if side is pair.client else pair.up, time.monotonic())

    def _on_timer(self, item: Any, now: float) -> None:
        if item is _SWEEP:
            self._sweep(now)
            self._schedule(now + self._sweep_interval(), _SWEEP)
        elif isinstance(item, _Pipe):
            if item.timer_at and item.timer_at <= now:
                item.timer_at = 0.0
            if not item.src.pair.closed:
                self._pump(item, now)

    def _sweep(self, now: float) -> None:
        for pair in list(self._pairs.values()):
            if pair.closed:
                continue
            if pair.deadline and now >= pair.deadline:
                self._setup_timed_out(pair)
            elif now - pair.last_active >= self._idle_timeout:
                self._close_pair(
                    pair, f"idle for {self._idle_timeout:g} s, so the relay closed it", error=True
                )

    def _close_request(self, conn_id: int, reset: bool) -> None:
        pair = self._pairs.get(conn_id)
        if pair is not None:
            how = "reset" if reset else "closed"
            self._close_pair(pair, f"{how} on purpose at the relay", error=reset, reset=reset)

    def _refresh(self) -> None:
        now = time.monotonic()
        for pair in list(self._pairs.values()):
            if not pair.closed and pair.open:
                self._pump(pair.up, now)
                if not pair.closed:
                    self._pump(pair.down, now)

    # ---- setting a connection up -----------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(64):  # then let the relayed connections have a turn
            try:
                sock, address = self._listener.accept()
            except OSError:  # nothing more waits, or accept failed for lack of resources
                return
            conn_id = next(self._ids)
            peer = format_peer(address)
            reason = ""
            if self._down:
                reason = "refused: the relay is down"
            elif len(self._pairs) >= self.max_clients:
                reason = f"refused: the relay already has {self.max_clients} connections"
            if reason:
                self.refused += 1
                _reset(sock)
                self._emit(RelayClosed(time.time(), conn_id, "client", peer, reason, True))
                continue
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._ssl_context is not None:
                    sock = self._ssl_context.wrap_socket(
                        sock, server_side=True, do_handshake_on_connect=False
                    )
            except (OSError, ValueError):
                sock.close()  # it reset before we got to it
                continue
            self.total_clients += 1
            pair = _Pair(conn_id)
            pair.client = client = _Side(pair, "client", sock, peer)
            with self._lock:
                self._pairs[conn_id] = pair
            pair.deadline = time.monotonic() + self._connect_timeout
            if self._ssl_context is not None:
                client.handshaking = True
                pair.deadline = time.monotonic() + max(
                    self._connect_timeout, self._handshake_timeout
                )
                self._watch(client, selectors.EVENT_READ)
            else:
                client.ready = True
                self._announce(client)
            pair.endpoints = list(self._endpoints)
            self._connect_next(pair, None)

    def _connect_next(self, pair: _Pair, failure: OSError | None) -> None:
        """Connect to the next endpoint of the target, or give up with ``failure``."""
        while pair.endpoints:
            endpoint = pair.endpoints.pop(0)
            sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                code = sock.connect_ex(endpoint.sockaddr)
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            if code not in _CONNECT_PENDING and code != 0:
                sock.close()
                failure = OSError(code, errno.errorcode.get(code, str(code)))
                continue
            side = _Side(pair, "target", sock, format_peer(endpoint.sockaddr))
            pair.target = side
            if code == 0:
                self._connected(side)
            else:
                self._watch(side, selectors.EVENT_WRITE)
            return
        error = failure or TimeoutError(errno.ETIMEDOUT, "timed out")
        reason = describe_connect_error(error, self._target_host, self._target_port)
        self._close_pair(pair, reason, error=True, reset=True)

    def _connected(self, side: _Side) -> None:
        """The target's socket became writable: the connect finished, one way or the other."""
        pair = side.pair
        code = side.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._unwatch(side)
            side.sock.close()
            pair.target = None
            self._connect_next(pair, OSError(code, errno.errorcode.get(code, str(code))))
            return
        side.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._client_context is None:
            self._watch(side, 0)
            side.ready = True
            self._announce(side)
            self._maybe_open(pair)
            return
        self._unwatch(side)
        try:
            side.sock = self._client_context.wrap_socket(
                side.sock, server_hostname=self._sni or None, do_handshake_on_connect=False
            )
        except (OSError, ValueError) as exc:
            self._target_tls_failed(side, exc)
            return
        side.handshaking = True
        self._handshake(side)

    def _handshake(self, side: _Side) -> None:
        sock = side.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(side, selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            self._watch(side, selectors.EVENT_WRITE)
            return
        except (OSError, ValueError) as exc:
            if side.name == "client":
                host, port = side.peer.rsplit(":", 1)
                reason = describe_ssl_error(exc, host.strip("[]"), int(port), server_side=True)
                self._close_pair(side.pair, reason, error=True, reset=True)
            else:
                self._target_tls_failed(side, exc)
            return
        side.handshaking = False
        side.ready = True
        self._watch(side, 0)
        self._announce(side)
        self._maybe_open(side.pair)

    def _target_tls_failed(self, side: _Side, exc: BaseException) -> None:
        reason = describe_ssl_error(exc, self._target_host, self._target_port)
        self._close_pair(side.pair, reason, error=True, reset=True)

    def _setup_timed_out(self, pair: _Pair) -> None:
        target = pair.target
        if not pair.client.ready:
            self._close_pair(
                pair,
                f"client {pair.client.peer} did not finish its TLS handshake in time",
                error=True,
                reset=True,
            )
        elif target is not None and target.handshaking:
            self._target_tls_failed(target, TimeoutError("the TLS handshake took too long"))
        else:
            timeout = TimeoutError(errno.ETIMEDOUT, "timed out")
            reason = describe_connect_error(timeout, self._target_host, self._target_port)
            self._close_pair(pair, reason, error=True, reset=True)

    def _announce(self, side: _Side) -> None:
        side.announced = True
        self._emit(
            RelayOpened(time.time(), side.pair.conn_id, side.name, side.peer, _tls_info(side.sock))
        )

    def _maybe_open(self, pair: _Pair) -> None:
        target = pair.target
        if pair.closed or target is None or not (pair.client.ready and target.ready):
            return
        pair.deadline = 0.0
        pair.open = True
        pair.last_active = time.monotonic()
        pair.up = _Pipe(TO_TARGET, pair.client, target)
        pair.down = _Pipe(TO_CLIENT, target, pair.client)
        self._update(pair.client)
        self._update(target)
        # Bytes may have come with the TLS handshake's last flight, where no selector sees them.
        for side in (pair.client, target):
            if isinstance(side.sock, ssl.SSLSocket) and _pending(side.sock):
                self._tls_ready.add(side)

    # ---- moving bytes ----------------------------------------------------------------------------

    def _read(self, side: _Side) -> None:
        pair = side.pair
        pipe = pair.up if side is pair.client else pair.down
        if not side.reading or pipe.buffered >= HIGH_WATER:
            return
        try:
            data = side.sock.recv(_RECV_SIZE)
        except _WOULD_BLOCK:
            return
        except ssl.SSLZeroReturnError:
            data = b""
        except OSError as exc:
            # A reset (or a broken TLS stream) is passed on as a reset.
            self._close_pair(pair, _describe_failure(exc, side), error=True, reset=True)
            return
        now = time.monotonic()
        pair.last_active = now
        if not data:
            side.reading = False
            pipe.eof = True
        else:
            faults = self._faults[pipe.direction]
            if not faults.shapes and not pipe.held:
                self._release(pipe, data)
            else:
                due = faults.due(now, self._random) if faults.delays else now
                due = max(due, pipe.last_due)  # a stream keeps its order
                pipe.last_due = due
                pipe.held.append((due, data))
                pipe.held_bytes += len(data)
            if isinstance(side.sock, ssl.SSLSocket) and _pending(side.sock):
                self._tls_ready.add(side)
        self._pump(pipe, now)

    def _release(self, pipe: _Pipe, data: bytes) -> None:
        size = len(data)
        pipe.out.append(data)
        pipe.out_bytes += size
        pipe.forwarded += size
        counter = self._counters[pipe.direction]
        counter.bytes += size
        counter.chunks += 1
        if self._on_event is not None:
            self._on_event(
                RelayData(
                    time.time(),
                    pipe.src.pair.conn_id,
                    pipe.direction,
                    pipe.src.pair.client.peer,
                    data,
                )
            )

    def _pump(self, pipe: _Pipe, now: float) -> None:
        """Release what the faults let go now, write what is released, pass a FIN on, and
        schedule the next look when something waits for a time."""
        pair = pipe.src.pair
        if pipe.held:
            self._shape(pipe, now)
        if pipe.out and not self._write(pipe):
            return  # the connection failed
        if pair.closed:
            return
        if pipe.resetting and not pipe.out:
            limit = self._faults[pipe.direction].reset_after
            self._close_pair(
                pair,
                f"reset on purpose after {limit:,} bytes {pipe.direction}",
                error=True,
                reset=True,
            )
            return
        if pipe.eof and not pipe.held and not pipe.out and not pipe.shut:
            pipe.shut = True
            _shutdown_write(pipe.dst.sock)
            if pair.up.shut and pair.down.shut:
                self._close_pair(pair, "closed by both sides", error=False)
                return
        self._update(pipe.src)
        self._update(pipe.dst)

    def _shape(self, pipe: _Pipe, now: float) -> None:
        faults = self._faults[pipe.direction]
        if faults.stall or pipe.resetting:
            return
        wake = 0.0
        while pipe.held:
            due, data = pipe.held[0]
            if due > now:
                wake = due
                break
            if pipe.pause_until > now:
                wake = pipe.pause_until
                break
            size = len(data)
            if faults.slice_bytes:
                size = min(size, faults.slice_bytes)
            if faults.rate:
                bucket = pipe.bucket
                if bucket is None or bucket.rate != faults.rate:
                    bucket = pipe.bucket = TokenBucket(faults.rate, now)
                if not bucket.ready(now):
                    wake = bucket.next_ready(now)
                    break
                size = min(size, max(1, int(bucket.burst)))
                bucket.spend(size)
            if faults.reset_after:
                left = faults.reset_after - pipe.forwarded
                if left <= 0:
                    pipe.resetting = True
                    break
                size = min(size, left)
            if size < len(data):
                pipe.held[0] = (due, data[size:])
                data = data[:size]
            else:
                pipe.held.popleft()
            pipe.held_bytes -= size
            self._release(pipe, data)
            if faults.slice_bytes and faults.slice_pause_ms:
                pipe.pause_until = now + faults.slice_pause_ms / 1000.0
            if faults.reset_after and pipe.forwarded >= faults.reset_after:
                pipe.resetting = True
                break
        if wake and (not pipe.timer_at or wake < pipe.timer_at):
            pipe.timer_at = wake
            self._schedule(wake, pipe)

    def _write(self, pipe: _Pipe) -> bool:
        """Write released bytes to ``dst`` until it would block; False if the connection failed."""
        sock = pipe.dst.sock
        tls = isinstance(sock, ssl.SSLSocket)
        out = pipe.out
        while out:
            view = memoryview(out[0])[pipe.offset :]
            if tls:
                view = view[:_TLS_WRITE_SIZE]
            try:
                sent = sock.send(view)
            except _WOULD_BLOCK:
                break
            except OSError as exc:
                self._close_pair(
                    pipe.src.pair, _describe_failure(exc, pipe.dst), error=True, reset=True
                )
                return False
            finally:
                view.release()
            pipe.out_bytes -= sent
            pipe.offset += sent
            if pipe.offset >= len(out[0]):
                out.popleft()
                pipe.offset = 0
        pipe.src.pair.last_active = time.monotonic()
        return True

    def _update(self, side: _Side) -> None:
        """Watch what ``side`` needs now: reads while its pipe has room, writes while bytes wait."""
        pair = side.pair
        if pair.closed or not side.ready or side.handshaking:
            return
        source = pair.up if side is pair.client else pair.down
        sink = pair.down if side is pair.client else pair.up
        events = 0
        if side.reading and source.buffered < HIGH_WATER:
            events |= selectors.EVENT_READ
        if sink.out:
            events |= selectors.EVENT_WRITE
        self._watch(side, events)

    def _watch(self, side: _Side, events: int) -> None:
        selector = self._selector
        if selector is None or events == side.events:
            return
        if side.events == 0:
            selector.register(side.sock, events, side)
        elif events == 0:
            selector.unregister(side.sock)
        else:
            selector.modify(side.sock, events, side)
        side.events = events

    def _unwatch(self, side: _Side) -> None:
        if side.events and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(side.sock)
        side.events = 0

    def _close_pair(self, pair: _Pair, reason: str, *, error: bool, reset: bool = False) -> None:
        if pair.closed:
            return
        pair.closed = True
        with self._lock:
            self._pairs.pop(pair.conn_id, None)
        now = time.time()
        for pipe in (getattr(pair, "up", None), getattr(pair, "down", None)):
            if pipe is not None and (pipe.held or pipe.out):
                self._counters[pipe.direction].dropped += len(pipe.held) + len(pipe.out)
        for side in (pair.client, pair.target):
            if side is None:
                continue
            self._unwatch(side)
            self._tls_ready.discard(side)
            if reset:
                _reset(side.sock)
            else:
                if isinstance(side.sock, ssl.SSLSocket) and side.ready:
                    with contextlib.suppress(OSError, ValueError):
                        side.sock.unwrap()  # close_notify, if there is room; never waits
                side.sock.close()
            if side.announced or side.name == "client":
                self._emit(RelayClosed(now, pair.conn_id, side.name, side.peer, reason, error))


_SWEEP = object()


# --- UDP -----------------------------------------------------------------------------------------


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


class _Queue:
    """Datagrams of one direction waiting for their time (delay), for tokens (rate), or a stall."""

    __slots__ = ("bucket", "bytes", "heap", "held", "held_at", "timer_at")

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, _Mapping, bytes]] = []
        self.bytes = 0
        self.bucket: TokenBucket | None = None
        self.held: tuple[_Mapping, bytes] | None = None  # waiting to be sent after the next one
        self.held_at = 0.0
        self.timer_at = 0.0


class UdpRelay(_RelayLoop):
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
        target_port: int | str,
        *,
        on_event: Callable[[RelayEvent], None] | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        max_clients: int = 256,
        idle_timeout: float = 60.0,
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
        _check_seconds("idle timeout", idle_timeout)
        self._target_host = parse_host(target_host)
        self._target_port = parse_port(target_port)
        self._endpoint = resolve(
            self._target_host, self._target_port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout
        )[0]
        super().__init__(on_event, faults, seed)
        cap = selector_capacity()
        self.max_clients = max(1, min(max_clients, cap) if cap is not None else max_clients)
        self._idle_timeout = idle_timeout
        self._mappings: dict[Any, _Mapping] = {}  # client address -> mapping, least recent first
        self._by_id: dict[int, _Mapping] = {}
        self._queues = {d: _Queue() for d in DIRECTIONS}
        self._expiry_at = 0.0
        self.target = format_peer(self._endpoint.sockaddr)
        try:
            self._listener = _bind_udp(listen_host, listen_port)
        except BaseException:
            super().close()
            raise
        self.port: int = int(self._listener.getsockname()[1])
        self.address: str = format_peer((self._listener.getsockname()[0], self.port))

    def connections(self) -> list[RelayConnection]:
        """The client mappings now, oldest first; thread-safe."""
        with self._lock:
            maps = sorted(self._by_id.values(), key=lambda m: m.conn_id)
            return [
                RelayConnection(m.conn_id, m.peer, self.target, m.since, m.bytes_up, m.bytes_down)
                for m in maps
            ]

    def run(self) -> None:
        """Relay until :meth:`shutdown`; then every mapping is forgotten and the port released."""
        selector = self._begin()
        try:
            if not self.stopping:
                selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)
                self._run(selector)
        finally:
            for mapping in list(self._by_id.values()):
                self._forget(mapping, "the relay stopped")
            self._selector = None
            selector.close()
            self._listener.close()

    def close(self) -> None:
        if hasattr(self, "_listener"):
            self._listener.close()
        for mapping in list(self._by_id.values()):
            mapping.sock.close()
        super().close()

    # ---- the loop --------------------------------------------------------------------------------

    def _on_ready(self, target: Any, mask: int) -> None:
        if target is _ACCEPT:
            self._read_clients()
        else:
            self._read_target(target)

    def _on_timer(self, item: Any, now: float) -> None:
        if item is _SWEEP:
            self._expiry_at = 0.0
            self._expire(now)
        else:
            queue = self._queues[item]
            if queue.timer_at <= now:
                queue.timer_at = 0.0
            self._drain(item, now)

    def _refresh(self) -> None:
        now = time.monotonic()
        for direction in DIRECTIONS:
            self._drain(direction, now)

    def _close_request(self, conn_id: int, reset: bool) -> None:
        mapping = self._by_id.get(conn_id)
        if mapping is not None:
            self._forget(mapping, "closed on purpose at the relay")

    def _read_clients(self) -> None:
        recvfrom = self._listener.recvfrom
        for _ in range(_UDP_BATCH):
            try:
                data, address = recvfrom(_UDP_BUFFER)
            except _WOULD_BLOCK:
                return
            except OSError:
                continue  # Windows reports an earlier send's ICMP error here; nothing to read
            mapping = self._mappings.get(address)
            if mapping is None:
                mapping = self._map(address)
                if mapping is None:
                    self._counters[TO_TARGET].dropped += 1
                    continue
            else:
                self._touch(mapping)
            self._arrived(TO_TARGET, mapping, data)

    def _read_target(self, mapping: _Mapping) -> None:
        recv = mapping.sock.recv
        for _ in range(_UDP_BATCH):
            try:
                data = recv(_UDP_BUFFER)
            except _WOULD_BLOCK:
                return
            except OSError:
                continue  # ICMP port unreachable from the target: it is not listening (yet)
            self._touch(mapping)
            self._arrived(TO_CLIENT, mapping, data)

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

    def _touch(self, mapping: _Mapping) -> None:
        mapping.last_active = time.monotonic()
        # Least recently active first: the next to expire is always the first one.
        mappings = self._mappings
        del mappings[mapping.address]
        mappings[mapping.address] = mapping

    def _plan_expiry(self) -> None:
        if not self._mappings:
            return
        first = next(iter(self._mappings.values()))
        when = first.last_active + self._idle_timeout
        if not self._expiry_at or when < self._expiry_at:
            self._expiry_at = when
            self._schedule(when, _SWEEP)

    def _expire(self, now: float) -> None:
        while self._mappings:
            first = next(iter(self._mappings.values()))
            if now - first.last_active < self._idle_timeout:
                break
            self._forget(first, f"idle for {self._idle_timeout:g} s, so the mapping expired")
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

    def _arrived(self, direction: str, mapping: _Mapping, data: bytes) -> None:
        """One datagram came in ``direction``: drop, duplicate, hold back or forward it."""
        if self._down:
            self._dropped(direction, mapping, data)
            return
        faults = self._faults[direction]
        queue = self._queues[direction]
        plain = not (faults.loss or faults.duplicate or faults.reorder or faults.shapes)
        if plain and not queue.heap and queue.held is None:
            self._send(direction, mapping, data)
            return
        dropped, duplicated, held = datagram_fate(faults, self._random)
        if dropped:
            self._dropped(direction, mapping, data)
            return
        now = time.monotonic()
        copies = 2 if duplicated else 1
        if held and queue.held is None:
            queue.held = (mapping, data)
            queue.held_at = now
            self._wake_queue(direction, now + _REORDER_WAIT)
            if duplicated:
                self._enqueue(direction, mapping, data, now, faults, duplicate=True)
            return
        for copy in range(copies):
            self._enqueue(direction, mapping, data, now, faults, duplicate=copy > 0)
        if queue.held is not None:
            # The held datagram goes after this one: their order is swapped.
            held_mapping, held_data = queue.held
            queue.held = None
            self._enqueue(direction, held_mapping, held_data, now, faults)
        self._drain(direction, now)

    def _enqueue(
        self,
        direction: str,
        mapping: _Mapping,
        data: bytes,
        now: float,
        faults: Faults,
        *,
        duplicate: bool = False,
    ) -> None:
        queue = self._queues[direction]
        if queue.bytes + len(data) > UDP_QUEUE_BYTES:
            self._dropped(direction, mapping, data)
            return
        due = faults.due(now, self._random) if faults.delays else now
        heapq.heappush(queue.heap, (due, next(self._timer_ids), mapping, data))
        queue.bytes += len(data)
        if duplicate:
            self._counters[direction].duplicated += 1
            if self._on_event is not None:
                self._on_event(
                    RelayData(
                        time.time(), mapping.conn_id, direction, mapping.peer, data, "duplicated"
                    )
                )

    def _drain(self, direction: str, now: float) -> None:
        """Send the datagrams of ``direction`` whose time has come, as the rate allows."""
        queue = self._queues[direction]
        faults = self._faults[direction]
        if queue.held is not None and now - queue.held_at >= _REORDER_WAIT:
            held_mapping, held_data = queue.held
            queue.held = None  # no next datagram came: it goes after all
            self._enqueue(direction, held_mapping, held_data, now, faults)
        heap = queue.heap
        while heap and not faults.stall:
            due = heap[0][0]
            if due > now:
                self._wake_queue(direction, due)
                break
            if faults.rate:
                bucket = queue.bucket
                if bucket is None or bucket.rate != faults.rate:
                    bucket = queue.bucket = TokenBucket(faults.rate, now)
                if not bucket.ready(now):
                    self._wake_queue(direction, bucket.next_ready(now))
                    break
                bucket.spend(len(heap[0][3]))
            _due, _seq, mapping, data = heapq.heappop(heap)
            queue.bytes -= len(data)
            if mapping.conn_id in self._by_id:
                self._send(direction, mapping, data)
        if queue.held is not None:
            self._wake_queue(direction, queue.held_at + _REORDER_WAIT)

    def _wake_queue(self, direction: str, when: float) -> None:
        queue = self._queues[direction]
        if not queue.timer_at or when < queue.timer_at:
            queue.timer_at = when
            self._schedule(when, direction)

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


# --- helpers -------------------------------------------------------------------------------------


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} (-> or <-)")
    return direction


def _check_seconds(what: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        raise AddressError(f"the {what} must be a number of seconds above 0, not {value!r}")


def _bind_udp(host: str, port: int | str) -> socket.socket:
    local = bind_endpoint(host, port, kind=socket.SOCK_DGRAM)
    sock = socket.socket(local.family, socket.SOCK_DGRAM)
    try:
        if local.family == socket.AF_INET6 and local.host == "::":
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        try:
            sock.bind(local.sockaddr)
        except OSError as exc:
            raise BindError(describe_bind_error(exc, local.host, local.port)) from exc
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: SO_LINGER on with a zero timeout (RFC 9293 section 3.10.7.1)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()


def _shutdown_write(sock: socket.socket) -> None:
    """Pass a FIN on: shutdown(SHUT_WR), or inside TLS a close_notify (RFC 8446 section 6.1),
    after which the other direction may still be read."""
    if isinstance(sock, ssl.SSLSocket):
        with contextlib.suppress(OSError, ValueError):
            sock._sslobj.shutdown()  # type: ignore[attr-defined]  # unwrap() would drop the object
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def _pending(sock: ssl.SSLSocket) -> int:
    with contextlib.suppress(OSError, ValueError):
        return sock.pending()
    return 0


def _tls_info(sock: socket.socket) -> TlsInfo | None:
    if not isinstance(sock, ssl.SSLSocket):
        return None
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    return TlsInfo(
        sock.version() or "",
        cipher[0] if cipher else "",
        certificate_fingerprint(der) if der else "",
    )


def _describe_failure(exc: OSError, side: _Side) -> str:
    who = "client" if side.name == "client" else "target"
    return f"{who} {_describe_stream_error(exc, side.peer)}"
