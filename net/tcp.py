"""TCP: a client session and a server for many clients, each one selector loop over non-blocking sockets.

This module is where callers import TCP from. The server lives here; the client in net._tcp_client;
the loop they share (queues, reads, writes, closing) in net._tcp_loop, over the connections of
net._tcp_conn; how a client gets into the server (listening, refusing at the limits, the TLS
handshake) in net._tcp_admission.

Queues are bounded: :data:`MAX_QUEUED_BYTES` of data may wait per connection (a larger single send
is accepted when nothing else waits, since the caller already holds it in memory), and a server in
echo or fixed-reply mode stops reading from a client while more than :data:`REPLY_HIGH_WATER` of
replies wait for it, so a client that sends without reading cannot make the server's memory grow.
Files are streamed from disk and do not count against the bound.

TLS (client: ``tls=ClientTls(...)``; server: ``ssl_context=...``) runs in the same loops: the
client handshakes right after connecting (net.tls.wrap_client, within the connect timeout); the
server wraps each accepted socket and drives its handshake non-blocking inside the loop, with a
deadline, so a client that never finishes it cannot hold up the others. Inside TLS there is no
sendfile (the kernel cannot encrypt), so files are read in chunks and written through the
SSLSocket, and bytes OpenSSL has already decrypted (``pending()``) are read without waiting for the
selector, which cannot see them.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

from net._i18n import N_, _
from net._loop import DESCRIPTOR_RESERVE, descriptor_limit, selector_capacity
from net._record import Record
from net._tcp_admission import (
    Listener,
    ServerHandshakes,
    check_max_clients,
    listening_socket,
    prepare,
    refusal,
)
from net._tcp_client import TcpClient
from net._tcp_conn import Connection
from net._tcp_loop import (
    ACCEPT,
    CLOSED_BY_PEER,
    MAX_QUEUED_BYTES,
    REPLY_HIGH_WATER,
    REPLY_LOW_WATER,
    IdleWatch,
    TcpLoop,
    check_seconds,
    idle_reason,
    tls_info,
)
from net.address import DEFAULT_RESOLVE_TIMEOUT, format_peer
from net.errors import ConnectError
from net.events import Connected, Disconnected, TcpEvent, TlsInfo
from net.keepalive import check_keepalive

if TYPE_CHECKING:
    import ssl

    from net.rules import Responder

__all__ = [
    "CLOSED_BY_PEER",
    "HANDSHAKE_TIMEOUT",
    "MAX_QUEUED_BYTES",
    "REPLY_HIGH_WATER",
    "REPLY_LOW_WATER",
    "REPLY_MODES",
    "ClientInfo",
    "TcpClient",
    "TcpEvent",
    "TcpServer",
    "client_cap",
    "idle_reason",
    "listening_socket",
]

# Older names, for the modules that import them from here (net.relay, net._relay_udp).
_check_seconds = check_seconds
_tls_info = tls_info

REPLY_MODES: Final = ("none", "echo", "fixed")
#: Seconds a client of a TLS server has to finish its handshake before it is closed.
HANDSHAKE_TIMEOUT: Final = 10.0


class ClientInfo(Record):
    """One client of a :class:`TcpServer`, as :meth:`TcpServer.clients` lists it."""

    conn_id: int
    peer: str
    since: float  # time.time() when it connected
    bytes_in: int
    bytes_out: int


class TcpServer(TcpLoop):
    """A TCP server for many clients at once (at most ``max_clients``), in one selector loop.

    Clients beyond ``max_clients`` (lowered to what the process can hold: :attr:`max_clients`,
    :attr:`limit_reason`), and clients that arrive when the process has no descriptor left, are
    accepted and closed at once; each one is counted in :attr:`refused` and reported as a
    Disconnected event with ``error`` True, no Connected before, and a reason that names the
    client and the limit ("refused 127.0.0.1:50000: the server already has 256 clients, its
    limit").

    Liveness: TCP keepalive is on for every accepted socket by default, so the slot of a client
    whose host vanished is freed after about two minutes; ``idle_timeout`` also closes clients
    that send and receive nothing for that long.

    With ``ssl_context`` every client speaks TLS. Its handshake runs inside the loop (never
    blocking the others) and must finish within ``handshake_timeout`` seconds; Connected comes once
    it has. A client whose handshake fails (plain TCP or HTTP to the TLS port, a certificate it
    does not trust, too slow) is closed, counted in :attr:`tls_failures` and reported as a
    Disconnected event with ``error`` True, no Connected before, and net.tls's sentence for it
    ("client 127.0.0.1:50000 spoke plain TCP to a TLS port").
    """

    def __init__(
        self,
        host: str,
        port: int | str,
        *,
        on_event: Callable[[TcpEvent], None],
        reply_mode: str = "none",
        fixed_reply: bytes = b"",
        max_clients: int = 256,
        backlog: int = 128,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        idle_timeout: float | None = None,
        keepalive: bool = True,
        keepalive_idle: int = 60,
        keepalive_interval: int = 10,
        keepalive_count: int = 5,
        responder: Responder | None = None,
    ) -> None:
        """Bind and listen at once.

        Args:
            host: "" every IPv4 address, "::" every IPv6 address (and IPv4 where the OS allows
                dual-stack), or one address of this computer.
            port: 0 picks any free port (read it from :attr:`port`).
            on_event: called on the loop's thread for every event of every client; must be cheap.
            reply_mode: "none", "echo" (send each client back what it sent) or "fixed" (answer
                every chunk received with ``fixed_reply``).
            max_clients: clients served at once (those still in their TLS handshake count). It
                is lowered to what the process can hold (:attr:`max_clients`, with the reason in
                :attr:`limit_reason`): the selector's capacity (select() on Windows) and the
                descriptor limit less a reserve for everything else.
            ssl_context: a server-side context (net.tls.server_context) to speak TLS with.
            handshake_timeout: seconds a client has to finish its TLS handshake.
            keepalive: let the system probe every idle client (net.keepalive), so the slot of a
                client whose host vanished is freed: after ``keepalive_idle`` quiet seconds,
                every ``keepalive_interval`` seconds, giving up after ``keepalive_count``
                unanswered probes (110 s with the defaults).
            idle_timeout: close a client (``error`` False) after this many seconds with nothing
                sent or received; None keeps quiet clients as long as keepalive says they live.
            responder: rule-based replies (net.rules); while set, it answers every client and
                ``reply_mode`` is not used (the responder has its own fallback).
        Raises:
            AddressError: a bad host or port, a handshake or idle timeout that is not positive,
                keepalive values out of range, or max_clients below 1.
            BindError: the port is in use, or the address is not this computer's.
            ValueError: an unknown reply mode.
        """
        _check_reply_mode(reply_mode)
        check_seconds(N_("TLS handshake timeout"), handshake_timeout)
        self._idle = IdleWatch.optional(idle_timeout)
        check_max_clients(max_clients)
        self._keepalive = (
            (keepalive_idle, keepalive_interval, keepalive_count) if keepalive else None
        )
        if self._keepalive is not None:
            check_keepalive(*self._keepalive)
        super().__init__(on_event)
        self._reply = (reply_mode, bytes(fixed_reply))
        #: The cap asked for, the cap in force (lower where the process cannot hold that many),
        #: and why it was lowered (None when it was not).
        self.requested_max_clients = max_clients
        self.max_clients, self.limit_reason = client_cap(max_clients)
        self._responder = responder
        self._ids = itertools.count(1)
        self._handshakes = (
            ServerHandshakes(ssl_context, handshake_timeout) if ssl_context is not None else None
        )
        #: True when clients must speak TLS.
        self.tls = ssl_context is not None
        #: Clients accepted (with TLS: whose handshake succeeded) so far, clients turned away
        #: because max_clients were connected, and clients whose TLS handshake failed.
        self.total_clients = 0
        self.refused = 0
        self.tls_failures = 0
        self._listener = self._opening(lambda: self._listen(host, port, backlog, resolve_timeout))

    @property
    def idle_timeout(self) -> float | None:
        """Seconds a client may stay silent before it is closed (None: no limit); setting it
        takes effect at the next check (checked as the constructor's argument)."""
        return None if self._idle is None else self._idle.limit

    @idle_timeout.setter
    def idle_timeout(self, seconds: float | None) -> None:
        self._idle = IdleWatch.optional(seconds)

    def _listen(self, host: str, port: int | str, backlog: int, resolve_timeout: float) -> Listener:
        sock, self.address = listening_socket(host, port, backlog, resolve_timeout)
        self.port: int = int(sock.getsockname()[1])
        return Listener(sock)

    def serve_forever(self) -> None:
        """Accept and serve clients until :meth:`shutdown`; then every client is disconnected
        (Disconnected "server stopped") and the port is released."""
        self._begin()
        self._selector = selector = self.new_selector()
        try:
            if not self.stopping:
                selector.register(self._listener.sock, selectors.EVENT_READ, ACCEPT)
                self._loop(selector, lambda: True)
        except BaseException:
            self._close_all(_("server stopped"), announce=False)
            raise
        finally:
            self._close_all(_("server stopped"), announce=True)
            self._selector = None
            selector.close()
            self._listener.close()

    def set_reply(self, mode: str, fixed_reply: bytes = b"") -> None:
        """Change the reply mode ("none", "echo", "fixed") while running; thread-safe."""
        _check_reply_mode(mode)
        self._reply = (mode, bytes(fixed_reply))

    def set_responder(self, responder: Responder | None) -> None:
        """Answer by rules from the next chunk on (None: by the reply mode again); thread-safe."""
        self._responder = responder

    def send(self, conn_id: int, data: bytes) -> None:
        """Queue ``data`` for one client. Thread-safe, never blocks.

        Raises:
            ConnectError: no such client (any more), or its queue is full.
        """
        self._queue_bytes(self._client(conn_id), data)

    def send_file(self, conn_id: int, path: str) -> None:
        """Queue a file for one client, streamed from disk (FileSent at its end).

        Raises:
            TransferError: the file cannot be opened.
            ConnectError: no such client (any more).
        """
        self._queue_file(self._client(conn_id), path)

    def send_all(self, data: bytes) -> int:
        """Queue ``data`` for every client; returns how many it was queued for (clients whose
        queue is full are skipped)."""
        count = 0
        with self._lock:
            conns = [c for c in self._conns.values() if not c.handshaking]
        for conn in conns:
            with contextlib.suppress(ConnectError):
                self._queue_bytes(conn, data)
                count += 1
        return count

    def disconnect(self, conn_id: int) -> None:
        """Close one client's connection (Disconnected "disconnected by the server"); thread-safe.
        Unknown or already closed clients are ignored."""
        self._request_close(conn_id, _("disconnected by the server"))

    def clients(self) -> list[ClientInfo]:
        """The clients connected now, oldest first; thread-safe."""
        with self._lock:
            conns = sorted(
                (c for c in self._conns.values() if not c.handshaking), key=lambda c: c.conn_id
            )
        return [ClientInfo(c.conn_id, c.peer, c.since, c.bytes_in, c.bytes_out) for c in conns]

    def close(self) -> None:
        if hasattr(self, "_listener"):
            self._listener.close()
        super().close()

    def _client(self, conn_id: int) -> Connection:
        conn = self._conns.get(conn_id)
        if conn is None or conn.closed or conn.handshaking:
            raise ConnectError(
                _("client #{conn_id} is not connected any more").format(conn_id=conn_id)
            )
        return conn

    def _accept(self) -> None:
        for sock, address in self._listener.accepted(self._selector, 64, self._refused):
            conn_id = next(self._ids)
            peer = format_peer(address)
            if len(self._conns) >= self.max_clients:
                sock.close()
                self._refused(peer, refusal(peer, self.max_clients, self.limit_reason), conn_id)
                continue
            ready = prepare(sock, self._keepalive, self._handshakes)
            if ready is None:
                continue  # it reset before we got to it
            conn = Connection(ready[0], conn_id, peer, ready[1])
            if self._handshakes is not None:
                self._handshakes.begin(conn, address)
                self._add(conn)  # Connected once the handshake is done
                continue
            self.total_clients += 1
            self._add(conn)
            self._admitted(conn, None)

    def _admitted(self, conn: Connection, info: TlsInfo | None) -> None:
        if self._idle is not None:
            self._idle.watch(conn)
        self._on_event(Connected(conn.since, conn.conn_id, conn.peer, conn.local, info))

    def _refused(self, peer: str, reason: str, conn_id: int | None = None) -> None:
        self.refused += 1
        conn_id = next(self._ids) if conn_id is None else conn_id
        self._on_event(Disconnected(time.time(), conn_id, peer, reason, True))

    def _continue_handshake(self, conn: Connection) -> None:
        assert self._handshakes is not None  # only a TLS server has clients handshaking
        outcome = self._handshakes.step(conn)
        if outcome is False:
            self._update(conn)
            return
        if outcome is not True:
            self._fail_handshake(conn, outcome)
            return
        conn.since = time.time()
        conn.last_in = conn.last_out = time.monotonic()
        self.total_clients += 1
        self._update(conn)
        self._admitted(conn, tls_info(conn.sock))
        if not conn.closed:
            # Data may have come with the handshake's last flight, already decrypted by
            # OpenSSL: the selector would not report it.
            self._read(conn)

    def _fail_handshake(self, conn: Connection, exc: BaseException) -> None:
        assert self._handshakes is not None
        self.tls_failures += 1
        self._close(conn, self._handshakes.failure(conn, exc), error=True)

    def _run_timers(self, now: float) -> float | None:
        due: float | None = None
        if self._handshakes is not None:
            while (late := self._handshakes.late(now)) is not None:
                self._fail_handshake(late, TimeoutError(_("the TLS handshake took too long")))
            due = self._handshakes.next_deadline()
        if self._idle is not None:
            idle_due = self._idle.due(now, self._conns.values(), partial(self._close, error=False))
            if idle_due is not None and (due is None or idle_due < due):
                due = idle_due
        return due

    def _after_receive(self, conn: Connection, data: bytes) -> None:
        mode, fixed = self._reply
        responder = self._responder
        if responder is not None:
            reply = responder.respond(conn.conn_id, data)
            if not reply:
                return
            self._queue_bytes(conn, reply, bounded=False)
        elif mode == "echo":
            self._queue_bytes(conn, data, bounded=False)
        elif mode == "fixed" and fixed:
            self._queue_bytes(conn, fixed, bounded=False)
        else:
            return
        if conn.queued > REPLY_HIGH_WATER and not conn.paused:
            conn.paused = True
            self._update(conn)

    def _closed(self, conn: Connection) -> None:
        if self._handshakes is not None:
            self._handshakes.forget(conn)
        if self._responder is not None:
            self._responder.forget(conn.conn_id)
        if not self.stopping:
            self._listener.resume(self._selector)


def client_cap(requested: int) -> tuple[int, str | None]:
    """How many clients one server loop of this process can hold, at most ``requested``.

    Returns:
        The cap, and why it is below ``requested`` (None when it is not): the selector's
        capacity (net._loop.selector_capacity: select() on Windows), or the descriptor limit
        less :data:`net._loop.DESCRIPTOR_RESERVE` for the rest of the process.
    """
    cap, reason = requested, None
    capacity = selector_capacity()
    if capacity is not None and capacity < cap:
        cap = capacity
        reason = _(
            "select() on this system lets one server watch at most {capacity} connections"
        ).format(capacity=capacity)
    limit = descriptor_limit()
    if limit is not None and limit - DESCRIPTOR_RESERVE < cap:
        cap = max(1, limit - DESCRIPTOR_RESERVE)
        reason = _(
            "this process may open only {limit} files and sockets (its descriptor "
            "limit), and keeps {descriptor_reserve} of them for other uses"
        ).format(limit=limit, descriptor_reserve=DESCRIPTOR_RESERVE)
    return cap, reason


def _check_reply_mode(mode: str) -> None:
    if mode not in REPLY_MODES:
        raise ValueError(_("unknown reply mode {mode!r} (none, echo or fixed)").format(mode=mode))
