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
import selectors
import socket
import ssl
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from net._connect import connect_outcome, start_connect
from net._faults import TO_CLIENT, TO_TARGET, Faults, TokenBucket
from net._i18n import N_, _
from net._relay_base import (
    DIRECTIONS,
    LISTENER,
    SWEEP,
    RelayConnection,
    RelayEvent,
    RelayLoop,
)
from net._relay_udp import UDP_QUEUE_BYTES, UdpRelay
from net.address import DEFAULT_RESOLVE_TIMEOUT, format_peer
from net.errors import TlsError, describe_connect_error, describe_stream_error
from net.events import RelayClosed, RelayData, RelayOpened
from net.tcp import (
    HANDSHAKE_TIMEOUT,
    _check_seconds,
    _tls_info,
    listening_socket,
)
from net.tls import ClientTls, client_context, describe_ssl_error

__all__ = [
    "DIRECTIONS",
    "HIGH_WATER",
    "TO_CLIENT",
    "TO_TARGET",
    "UDP_QUEUE_BYTES",
    "Faults",
    "RelayConnection",
    "RelayEvent",
    "TcpRelay",
    "UdpRelay",
]

#: Bytes one direction of a TCP connection may hold (read, not yet written) before its source is
#: no longer read: the backpressure that keeps a fast sender from filling the relay's memory.
HIGH_WATER: Final = 1024 * 1024

_RECV_SIZE = 256 * 1024
_TLS_WRITE_SIZE = 64 * 1024  # a retry after SSLWantWriteError must repeat the same bytes
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
# SO_LINGER on with 0 s: close() sends RST. Winsock's struct linger holds two u_shorts.
if sys.platform == "win32":
    _LINGER_RESET = struct.pack("HH", 1, 0)
else:
    _LINGER_RESET = struct.pack("ii", 1, 0)


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


class TcpRelay(RelayLoop):
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
            (N_("connect timeout"), connect_timeout),
            (N_("idle timeout"), idle_timeout),
            (N_("TLS handshake timeout"), handshake_timeout),
        ):
            _check_seconds(what, value)
        self._client_context = client_context(target_tls) if target_tls is not None else None
        super().__init__(
            target_host,
            target_port,
            kind=socket.SOCK_STREAM,
            resolve_timeout=resolve_timeout,
            max_clients=max_clients,
            sockets_per_client=2,
            on_event=on_event,
            faults=faults,
            seed=seed,
        )
        self._sni = self._target_host.split("%", 1)[0]
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
        self._listen(lambda: listening_socket(listen_host, listen_port)[0])

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

    def _on_start(self) -> None:
        self._schedule(time.monotonic() + self._sweep_interval(), SWEEP)

    def _end_all(self, reason: str) -> None:
        for pair in list(self._pairs.values()):
            self._close_pair(pair, reason, error=False)

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
        if target is LISTENER:
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
        if item is SWEEP:
            self._sweep(now)
            self._schedule(now + self._sweep_interval(), SWEEP)
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
                    pair,
                    _("idle for {idle_timeout:g} s, so the relay closed it").format(
                        idle_timeout=self._idle_timeout
                    ),
                    error=True,
                )

    def _close_request(self, conn_id: int, reset: bool) -> None:
        pair = self._pairs.get(conn_id)
        if pair is not None:
            how = "reset" if reset else "closed"
            self._close_pair(
                pair, _("{how} on purpose at the relay").format(how=how), error=reset, reset=reset
            )

    def _refresh(self) -> None:
        now = time.monotonic()
        for pair in list(self._pairs.values()):
            if not pair.closed and pair.open:
                self._pump(pair.up, now)
                if not pair.closed:
                    self._pump(pair.down, now)

    # ---- setting a connection up -----------------------------------------------------------------

    def _accept(self) -> None:
        for _accepted in range(64):  # then let the relayed connections have a turn
            try:
                sock, address = self._listener.accept()
            except OSError:  # nothing more waits, or accept failed for lack of resources
                return
            conn_id = next(self._ids)
            peer = format_peer(address)
            reason = ""
            if self._down:
                reason = _("refused: the relay is down")
            elif len(self._pairs) >= self.max_clients:
                reason = _("refused: the relay already has {max_clients} connections").format(
                    max_clients=self.max_clients
                )
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
            try:
                sock, done = start_connect(endpoint)
            except OSError as exc:
                failure = exc
                continue
            side = _Side(pair, "target", sock, format_peer(endpoint.sockaddr))
            pair.target = side
            if done:
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
        failure = connect_outcome(side.sock)
        if failure is not None:
            self._unwatch(side)
            side.sock.close()
            pair.target = None
            self._connect_next(pair, failure)
            return
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
        except TlsError as exc:  # a pinned fingerprint that does not match: already a sentence
            self._close_pair(side.pair, str(exc), error=True, reset=True)
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
                _("client {peer} did not finish its TLS handshake in time").format(
                    peer=pair.client.peer
                ),
                error=True,
                reset=True,
            )
        elif target is not None and target.handshaking:
            self._target_tls_failed(target, TimeoutError(_("the TLS handshake took too long")))
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
                _("reset on purpose after {limit:,} bytes {direction}").format(
                    limit=limit, direction=pipe.direction
                ),
                error=True,
                reset=True,
            )
            return
        if pipe.eof and not pipe.held and not pipe.out and not pipe.shut:
            pipe.shut = True
            _shutdown_write(pipe.dst.sock)
            if pair.up.shut and pair.down.shut:
                self._close_pair(pair, _("closed by both sides"), error=False)
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


def _describe_failure(exc: OSError, side: _Side) -> str:
    who = "client" if side.name == "client" else "target"
    return f"{who} {describe_stream_error(exc, side.peer)}"
