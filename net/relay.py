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

Where the parts are: net._relay_base (what both relays share: faults, counters, timers, requests
from other threads), net._relay_tcp_setup (accepting, connecting, TLS handshakes, closing),
net._relay_tcp (a TCP connection's sides and pipes: shaping and writing one direction),
net._relay_udp (the UDP relay and its fault queues). This module moves the TCP bytes.
"""

from __future__ import annotations

import selectors
import ssl
import time
from collections.abc import Callable
from typing import Any

from net._faults import TO_CLIENT, TO_TARGET, Faults
from net._i18n import N_, _
from net._relay_base import (
    DIRECTIONS,
    LISTENER,
    SWEEP,
    RelayConnection,
    RelayEvent,
)
from net._relay_tcp import HIGH_WATER, RECV_SIZE, WOULD_BLOCK, Pair, Pipe, Side, shutdown_write
from net._relay_tcp_setup import TcpRelaySetup
from net._relay_udp import UDP_QUEUE_BYTES, UdpRelay
from net.address import DEFAULT_RESOLVE_TIMEOUT, format_peer
from net.events import RelayData
from net.tcp import HANDSHAKE_TIMEOUT, _check_seconds, listening_socket
from net.tls import ClientTls

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


class TcpRelay(TcpRelaySetup):
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
        super().__init__(
            target_host,
            target_port,
            connect_timeout=connect_timeout,
            idle_timeout=idle_timeout,
            target_tls=target_tls,
            ssl_context=ssl_context,
            handshake_timeout=handshake_timeout,
            resolve_timeout=resolve_timeout,
            max_clients=max_clients,
            sockets_per_client=2,
            on_event=on_event,
            faults=faults,
            seed=seed,
        )
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
        side: Side = target
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
            side.watch(self._selector, 0)  # ready before the other side: it waits, unwatched
            return
        if mask & selectors.EVENT_READ:
            self._read(side)
        if mask & selectors.EVENT_WRITE and not pair.closed:
            self._pump(pair.pipes(side)[1], time.monotonic())

    def _on_timer(self, item: Any, now: float) -> None:
        if item is SWEEP:
            self._sweep(now)
            self._schedule(now + self._sweep_interval(), SWEEP)
        elif isinstance(item, Pipe):
            if item.timer_at and item.timer_at <= now:
                item.timer_at = 0.0
            if not item.src.pair.closed:
                self._pump(item, now)

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

    def _maybe_open(self, pair: Pair) -> None:
        target = pair.target
        if pair.closed or target is None or not (pair.client.ready and target.ready):
            return
        pair.deadline = 0.0
        pair.open = True
        pair.last_active = time.monotonic()
        pair.up = Pipe(TO_TARGET, pair.client, target)
        pair.down = Pipe(TO_CLIENT, target, pair.client)
        self._update(pair.client)
        self._update(target)
        # Bytes may have come with the TLS handshake's last flight, where no selector sees them.
        for side in (pair.client, target):
            if side.tls_pending():
                self._tls_ready.add(side)

    # ---- moving bytes ----------------------------------------------------------------------------

    def _read(self, side: Side) -> None:
        pair = side.pair
        pipe = pair.pipes(side)[0]
        if not side.reading or pipe.buffered >= HIGH_WATER:
            return
        try:
            data = side.sock.recv(RECV_SIZE)
        except WOULD_BLOCK:
            return
        except ssl.SSLZeroReturnError:
            data = b""
        except OSError as exc:
            # A reset (or a broken TLS stream) is passed on as a reset.
            self._close_pair(pair, side.describe(exc), error=True, reset=True)
            return
        now = time.monotonic()
        pair.last_active = now
        if not data:
            side.reading = False
            pipe.eof = True
        else:
            faults = self._faults[pipe.direction]
            if not faults.shapes and not pipe.held:
                pipe.release(data)
                self._released(pipe, data)
            else:
                pipe.hold(data, faults.due(now, self._random) if faults.delays else now)
            if side.tls_pending():
                self._tls_ready.add(side)
        self._pump(pipe, now)

    def _released(self, pipe: Pipe, data: bytes) -> None:
        """Count ``data`` as forwarded ``pipe.direction`` and say so (RelayData)."""
        counter = self._counters[pipe.direction]
        counter.bytes += len(data)
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

    def _pump(self, pipe: Pipe, now: float) -> None:
        """Release what the faults let go now, write what is released, pass a FIN on, and
        schedule the next look when something waits for a time."""
        pair = pipe.src.pair
        if pipe.held:
            wake = pipe.shape(self._faults[pipe.direction], now, self._released)
            if wake and (not pipe.timer_at or wake < pipe.timer_at):
                pipe.timer_at = wake
                self._schedule(wake, pipe)
        if pipe.out:
            try:
                pipe.write()
            except OSError as exc:
                self._close_pair(pair, pipe.dst.describe(exc), error=True, reset=True)
                return
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
            shutdown_write(pipe.dst.sock)
            if pair.up.shut and pair.down.shut:
                self._close_pair(pair, _("closed by both sides"), error=False)
                return
        self._update(pipe.src)
        self._update(pipe.dst)

    def _update(self, side: Side) -> None:
        """Watch what ``side`` needs now: reads while its pipe has room, writes while bytes wait."""
        pair = side.pair
        if pair.closed or not side.ready or side.handshaking:
            return
        source, sink = pair.pipes(side)
        events = 0
        if side.reading and source.buffered < HIGH_WATER:
            events |= selectors.EVENT_READ
        if sink.out:
            events |= selectors.EVENT_WRITE
        side.watch(self._selector, events)
