"""Setting up and tearing down net.relay's TCP connections: accept (or refuse) a client, connect to
the target endpoint by endpoint (non-blocking, within a deadline), the TLS handshakes on both
sides, and closing a connection (FIN, close_notify or RST) with the reason said once per side.

:class:`TcpRelaySetup` is the base of :class:`net.relay.TcpRelay`, which moves the bytes once both
sides are ready (:meth:`TcpRelaySetup._maybe_open`).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import ssl
import time
from typing import Any

from net._connect import connect_outcome, start_connect
from net._i18n import _
from net._relay_base import RelayLoop
from net._relay_tcp import Pair, Side, close_with_reset
from net.address import format_peer
from net.errors import TlsError, describe_connect_error
from net.events import RelayClosed, RelayOpened
from net.tcp import _tls_info
from net.tls import ClientTls, client_context, describe_ssl_error, handshake_step

__all__ = ["TcpRelaySetup"]


class TcpRelaySetup(RelayLoop):
    """The life of a relayed TCP connection up to the moment data flows, and its end."""

    def __init__(
        self,
        target_host: str,
        target_port: int | str,
        *,
        connect_timeout: float,
        idle_timeout: float,
        target_tls: ClientTls | None,
        ssl_context: ssl.SSLContext | None,
        handshake_timeout: float,
        **loop: Any,
    ) -> None:
        """Keep the setup's options; ``loop`` goes to :class:`RelayLoop` (it resolves the target).

        Raises:
            AddressError: as RelayLoop does, or an unusable CA file in ``target_tls``.
        """
        self._client_context = client_context(target_tls) if target_tls is not None else None
        super().__init__(target_host, target_port, kind=socket.SOCK_STREAM, **loop)
        self._sni = self._target_host.split("%", 1)[0]
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._ssl_context = ssl_context
        self._handshake_timeout = handshake_timeout
        self._pairs: dict[int, Pair] = {}
        #: Sides whose TLS holds decrypted bytes that no selector reports: read them next.
        self._tls_ready: set[Side] = set()
        #: Connections accepted so far, and those refused (down, or max_clients reached).
        self.total_clients = 0
        self.refused = 0

    def _maybe_open(self, pair: Pair) -> None:
        """A side became ready: let data flow once both are."""
        raise NotImplementedError

    # ---- accepting and connecting ----------------------------------------------------------------

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
                close_with_reset(sock)
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
            pair = Pair(conn_id)
            pair.client = client = Side(pair, "client", sock, peer)
            with self._lock:
                self._pairs[conn_id] = pair
            pair.deadline = time.monotonic() + self._connect_timeout
            if self._ssl_context is not None:
                client.handshaking = True
                pair.deadline = time.monotonic() + max(
                    self._connect_timeout, self._handshake_timeout
                )
                client.watch(self._selector, selectors.EVENT_READ)
            else:
                client.ready = True
                self._announce(client)
            pair.endpoints = list(self._endpoints)
            self._connect_next(pair, None)

    def _connect_next(self, pair: Pair, failure: OSError | None) -> None:
        """Connect to the next endpoint of the target, or give up with ``failure``."""
        while pair.endpoints:
            endpoint = pair.endpoints.pop(0)
            try:
                sock, done = start_connect(endpoint)
            except OSError as exc:
                failure = exc
                continue
            side = Side(pair, "target", sock, format_peer(endpoint.sockaddr))
            pair.target = side
            if done:
                self._connected(side)
            else:
                side.watch(self._selector, selectors.EVENT_WRITE)
            return
        self._connect_failed(pair, failure or TimeoutError(errno.ETIMEDOUT, "timed out"))

    def _connect_failed(self, pair: Pair, error: OSError) -> None:
        reason = describe_connect_error(error, self._target_host, self._target_port)
        self._close_pair(pair, reason, error=True, reset=True)

    def _connected(self, side: Side) -> None:
        """The target's socket became writable: the connect finished, one way or the other."""
        pair = side.pair
        failure = connect_outcome(side.sock)
        if failure is not None:
            side.unwatch(self._selector)
            side.sock.close()
            pair.target = None
            self._connect_next(pair, failure)
            return
        if self._client_context is None:
            side.watch(self._selector, 0)
            side.ready = True
            self._announce(side)
            self._maybe_open(pair)
            return
        side.unwatch(self._selector)
        try:
            side.sock = self._client_context.wrap_socket(
                side.sock, server_hostname=self._sni or None, do_handshake_on_connect=False
            )
        except (OSError, ValueError) as exc:
            self._target_tls_failed(side, exc)
            return
        side.handshaking = True
        self._handshake(side)

    def _handshake(self, side: Side) -> None:
        sock = side.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            waits_for = handshake_step(sock)
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
        if waits_for:
            side.watch(self._selector, waits_for)
            return
        side.handshaking = False
        side.ready = True
        side.watch(self._selector, 0)
        self._announce(side)
        self._maybe_open(side.pair)

    def _target_tls_failed(self, side: Side, exc: BaseException) -> None:
        reason = describe_ssl_error(exc, self._target_host, self._target_port)
        self._close_pair(side.pair, reason, error=True, reset=True)

    def _announce(self, side: Side) -> None:
        side.announced = True
        self._emit(
            RelayOpened(time.time(), side.pair.conn_id, side.name, side.peer, _tls_info(side.sock))
        )

    # ---- deadlines and the end -------------------------------------------------------------------

    def _sweep(self, now: float) -> None:
        """Close the connections past their setup deadline or idle for too long."""
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

    def _setup_timed_out(self, pair: Pair) -> None:
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
            self._connect_failed(pair, TimeoutError(errno.ETIMEDOUT, "timed out"))

    def _close_pair(self, pair: Pair, reason: str, *, error: bool, reset: bool = False) -> None:
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
            side.unwatch(self._selector)
            self._tls_ready.discard(side)
            if reset:
                close_with_reset(side.sock)
            else:
                if isinstance(side.sock, ssl.SSLSocket) and side.ready:
                    with contextlib.suppress(OSError, ValueError):
                        side.sock.unwrap()  # close_notify, if there is room; never waits
                side.sock.close()
            if side.announced or side.name == "client":
                self._emit(RelayClosed(now, pair.conn_id, side.name, side.peer, reason, error))
