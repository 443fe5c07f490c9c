"""The TCP client: one connection to a server, with deadlines, TLS, heartbeats and reconnecting.

It connects with net._connect (and net.tls.wrap_client within the same timeout), then moves data in
the loop it shares with the server (net._tcp_loop). Re-exported by net.tcp, where callers import it.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from net._connect import connect
from net._i18n import N_, _
from net._loop import is_tls_socket
from net._tcp_conn import Connection, QueuedBytes
from net._tcp_loop import CLOSED_BY_PEER, IdleWatch, TcpLoop, check_seconds, tls_info
from net.address import DEFAULT_RESOLVE_TIMEOUT, format_peer, parse_host, parse_port, resolve
from net.backoff import Backoff
from net.errors import AddressError, ConnectError, NetError, TlsError, describe_connect_error
from net.events import Connected, Reconnecting, TcpEvent, TlsInfo
from net.keepalive import check_keepalive, set_keepalive

# ssl and net.tls are imported where TLS is asked for, not here: plain TCP (`swb tcp-send`) then
# starts without loading OpenSSL.
if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["TcpClient"]


class TcpClient(TcpLoop):
    """One TCP connection to a server: connect with a deadline, then send and receive until it ends.

    Every event goes to ``on_event`` on the thread that calls :meth:`run`: Connected once, Received
    and Sent as data moves, Disconnected once at the end (``error`` True for resets and failures).

    With ``reconnect`` the client keeps its connection up until :meth:`shutdown`: after the server
    closes it or it breaks (and after a failed first attempt), it emits Reconnecting, waits an
    exponential, jittered backoff (which :meth:`shutdown` ends at once), connects again and emits
    a new Connected with the next ``conn_id``. What is retried and what is not:

    - retried: refused or unanswered connections, resets, the server closing, a peer declared dead
      (``dead_after``), TLS handshakes that time out or are cut off, and, once the host name has
      resolved before, a failing DNS lookup (the network is probably down);
    - not retried (raised from :meth:`run`, as without ``reconnect``): bad input (a host name that
      never resolved, an unusable CA file), certificate problems (not trusted, wrong host, expired,
      a fingerprint that does not match the pin) and TLS disagreements (the server does not speak
      TLS, or only old versions): trying again would only fail again the same way;
    - the connection ending on purpose (:meth:`shutdown`, ``idle_timeout``) ends :meth:`run`.
    The backoff starts again from ``reconnect_initial`` after a connection that stayed up for
    ``reconnect_reset_after`` seconds.
    """

    def __init__(
        self,
        host: str,
        port: int | str,
        *,
        on_event: Callable[[TcpEvent], None],
        connect_timeout: float = 10.0,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        keepalive: bool = False,
        keepalive_idle: int = 60,
        keepalive_interval: int = 10,
        keepalive_count: int = 5,
        tls: ClientTls | None = None,
        heartbeat: bytes | None = None,
        heartbeat_interval: float = 30.0,
        dead_after: float | None = None,
        idle_timeout: float | None = None,
        reconnect: bool = False,
        reconnect_initial: float = 1.0,
        reconnect_max: float = 30.0,
        reconnect_reset_after: float = 10.0,
    ) -> None:
        """Check the settings (no network yet; :meth:`run` resolves and connects).

        Args:
            connect_timeout: seconds for the TCP connection, and again for the TLS handshake.
            keepalive: let the system probe an idle connection (net.keepalive): after
                ``keepalive_idle`` quiet seconds, every ``keepalive_interval`` seconds, giving up
                after ``keepalive_count`` unanswered probes.
            tls: speak TLS, checking the server as it says (verified, pinned or insecure).
            heartbeat: bytes sent every ``heartbeat_interval`` seconds while connected (Sent
                events with ``heartbeat`` True); skipped while the previous one still waits.
            dead_after: a server that sends nothing for this many seconds is treated as dead:
                the connection is closed (Disconnected with ``error`` True).
            idle_timeout: close the connection (``error`` False) after this many seconds with
                nothing sent or received.
            reconnect: connect again after the connection is lost (see the class docstring),
                waiting from ``reconnect_initial`` up to ``reconnect_max`` seconds between tries.
        Raises:
            AddressError: a malformed host or port, a keepalive, heartbeat, timeout or backoff
                value out of range, an empty heartbeat, or an unusable CA file.
        """
        self._host = parse_host(host)
        self._port = parse_port(port)
        check_seconds(N_("connect timeout"), connect_timeout)
        if keepalive:
            check_keepalive(keepalive_idle, keepalive_interval, keepalive_count)
        self._heartbeat = (
            Heartbeat(heartbeat, heartbeat_interval) if heartbeat is not None else None
        )
        if dead_after is not None:
            check_seconds(N_("dead-peer time"), dead_after)
        self._idle = IdleWatch.optional(idle_timeout)
        self._backoff_settings = (reconnect_initial, reconnect_max)
        if reconnect:
            try:
                Backoff(reconnect_initial, reconnect_max)
            except ValueError as exc:
                raise AddressError(_("cannot reconnect that way: {exc}").format(exc=exc)) from None
        if tls is not None and tls.cafile:
            from net.tls import client_context

            client_context(tls)  # AddressError now for a missing or unusable CA file
        super().__init__(on_event)
        self._connect_timeout = connect_timeout
        self._resolve_timeout = resolve_timeout
        self._keepalive = (
            (keepalive_idle, keepalive_interval, keepalive_count) if keepalive else None
        )
        self._tls = tls
        self._dead_after = dead_after
        self._reconnect = reconnect
        self._reconnect_reset_after = reconnect_reset_after
        self._reconnecting = False
        self._ids = itertools.count(1)
        self._conn: Connection | None = None
        #: "127.0.0.1:5000"; before the connection is up, the host and port as given.
        self.peer: str = format_peer((self._host, self._port))
        #: What the TLS handshake of the latest connection agreed on (None without TLS).
        self.tls_info: TlsInfo | None = None

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed

    @property
    def reconnecting(self) -> bool:
        """True while waiting to connect again, or connecting again, after a lost connection."""
        return self._reconnecting

    @property
    def tls_fingerprint(self) -> str | None:
        """The SHA-256 fingerprint ("AB:CD:...") of the server's certificate, once connected."""
        return self.tls_info.peer_fingerprint if self.tls_info is not None else None

    @property
    def tls_version(self) -> str | None:
        """The TLS version ("TLSv1.3" or "TLSv1.2") once connected with TLS."""
        return self.tls_info.version if self.tls_info is not None else None

    @property
    def tls_cipher(self) -> str | None:
        """The cipher suite's OpenSSL name once connected with TLS."""
        return self.tls_info.cipher if self.tls_info is not None else None

    def run(self) -> None:
        """Resolve, connect, then move data until the peer closes, the connection fails, or
        :meth:`shutdown` (with ``reconnect``: until :meth:`shutdown` or an error that is not worth
        retrying). Returns quietly if shut down before the connection is up.

        Raises:
            AddressError: the host name does not exist; an unusable CA file.
            TlsError: the TLS handshake failed or the server's certificate is not acceptable.
            ConnectError: no address of the host accepted the connection in time.
        """
        self._begin()
        self._selector = selector = self.new_selector()
        backoff = Backoff(*self._backoff_settings) if self._reconnect else None
        connected_before = False
        try:
            while not self.stopping:
                try:
                    conn = self._open()
                except NetError as exc:
                    if self.stopping:
                        return
                    if backoff is None or not _retryable(exc, connected_before):
                        raise
                    reason = str(exc)
                else:
                    if conn is None:
                        return
                    connected_before = True
                    started = time.monotonic()
                    ended = self._session(selector, conn)
                    if backoff is None or self.stopping or ended is None:
                        return
                    reason, error = ended
                    if not error and reason != CLOSED_BY_PEER:
                        return  # closed on purpose (idle timeout)
                    if time.monotonic() - started >= self._reconnect_reset_after:
                        backoff.reset()
                self._reconnecting = True
                delay = backoff.next_delay()
                self._on_event(Reconnecting(time.time(), backoff.attempt, delay, reason, self.peer))
                if self.wait_stopped(delay):
                    return
        finally:
            self._reconnecting = False
            self._selector = None
            selector.close()

    def send(self, data: bytes) -> None:
        """Queue ``data``; the loop writes it and emits Sent. Thread-safe, never blocks.

        Raises:
            ConnectError: not connected (or reconnecting), or the peer has not been reading and
                the queue is full.
        """
        self._queue_bytes(self._require_connection(), data)

    def send_file(self, path: str) -> None:
        """Queue the file at ``path``; it is streamed from disk and FileSent is emitted at its end.

        Raises:
            TransferError: the file cannot be opened.
            ConnectError: not connected.
        """
        self._queue_file(self._require_connection(), path)

    def _require_connection(self) -> Connection:
        conn = self._conn
        if conn is None or conn.closed:
            if self._reconnecting:
                raise ConnectError(_("not connected (reconnecting…)"))
            raise ConnectError(_("not connected to {peer}").format(peer=self.peer))
        return conn

    def _open(self) -> Connection | None:
        """Connect (and handshake); None if shut down meanwhile."""
        sock = self._connect()
        if sock is None:
            return None
        if self._tls is not None:
            from net.tls import wrap_client

            try:
                sock = wrap_client(sock, self._host, self._tls, self._connect_timeout, loop=self)
            except ConnectError:
                if self.stopping:
                    return None
                raise
            if is_tls_socket(sock):
                # An end without close_notify is a cut (RFC 8446 section 6.1), not the end of
                # the stream: let recv raise SSLEOFError instead of returning b"".
                sock.suppress_ragged_eofs = False  # type: ignore[attr-defined]
        try:
            peer, local = format_peer(sock.getpeername()), format_peer(sock.getsockname())
        except OSError as exc:  # reset in the meantime
            sock.close()
            raise ConnectError(describe_connect_error(exc, self._host, self._port)) from exc
        return Connection(sock, next(self._ids), peer, local)

    def _session(
        self, selector: selectors.BaseSelector, conn: Connection
    ) -> tuple[str, bool] | None:
        """Move data on ``conn`` until it ends; returns how it ended: (reason, error)."""
        self.peer = conn.peer
        self.tls_info = info = tls_info(conn.sock)
        self._conn = conn
        self._reconnecting = False
        if self._heartbeat is not None:
            self._heartbeat.restart(time.monotonic())
        try:
            self._add(conn)
            self._on_event(Connected(conn.since, conn.conn_id, conn.peer, conn.local, info))
            self._loop(selector, lambda: not conn.closed)
        except BaseException:
            self._close_all("disconnected", announce=False)
            raise
        self._close_all("disconnected", announce=True)
        return conn.ended

    def _run_timers(self, now: float) -> float | None:
        conn = self._conn
        if conn is None or conn.closed:
            return None
        due: list[float] = []
        if self._dead_after is not None:
            dead_at = conn.last_in + self._dead_after
            if now >= dead_at:
                reason = _("{peer} sent nothing for {dead_after:g} s; treating it as dead").format(
                    peer=conn.peer, dead_after=self._dead_after
                )
                self._close(conn, reason, error=True)
                return None
            due.append(dead_at)
        if self._idle is not None:
            idle_at = self._idle.due(now, (conn,), partial(self._close, error=False))
            if conn.closed:
                return None
            if idle_at is not None:
                due.append(idle_at)
        if self._heartbeat is not None:
            due.append(
                self._heartbeat.due(now, lambda data: self._queue_bytes(conn, data, heartbeat=True))
            )
        return min(due) if due else None

    def _connect(self) -> socket.socket | None:
        endpoints = resolve(self._host, self._port, timeout=self._resolve_timeout)
        sock = connect(self, endpoints, self._connect_timeout, self._host, self._port)
        if sock is not None and self._keepalive is not None:
            # Checked in __init__; a socket refusing it still works without.
            with contextlib.suppress(OSError):
                set_keepalive(sock, *self._keepalive)
        return sock


class Heartbeat:
    """Bytes a client sends every ``interval`` seconds while connected; a beat is skipped while
    the previous one has not gone out (the peer is not reading)."""

    def __init__(self, payload: bytes, interval: float) -> None:
        """Check the settings.

        Raises:
            AddressError: an empty ``payload``, or an ``interval`` that is not seconds above 0.
        """
        if not payload:
            raise AddressError(_("the heartbeat is empty: give the bytes to send"))
        check_seconds(N_("heartbeat interval"), interval)
        self.payload = bytes(payload)
        self.interval = interval
        self._next = 0.0
        self._last: QueuedBytes | None = None

    def restart(self, now: float) -> None:
        """A new connection is up at ``now`` (time.monotonic()): the first beat is one interval on."""
        self._next = now + self.interval
        self._last = None

    def due(self, now: float, send: Callable[[bytes], QueuedBytes | None]) -> float:
        """Beat through ``send`` if it is time at ``now``; returns when the next beat is due."""
        if now >= self._next:
            last = self._last
            if last is None or last.done:
                with contextlib.suppress(ConnectError):  # the queue is full: not reading either
                    self._last = send(self.payload)
            self._next += self.interval
            if self._next <= now:  # the loop was busy: do not send a burst
                self._next = now + self.interval
        return self._next


def _retryable(exc: NetError, connected_before: bool) -> bool:
    """Whether a reconnecting client should try again after ``exc`` (TcpClient's docstring)."""
    if isinstance(exc, AddressError):
        # A name that resolved before and fails now means the network or DNS is down.
        return connected_before
    if isinstance(exc, TlsError):
        import ssl  # loaded: only net.tls raises TlsError

        cause = exc.__cause__
        if isinstance(cause, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError):
            return True  # cut off during the handshake: a server restarting, say
        if isinstance(cause, ssl.SSLError):
            return False  # certificate, protocol or version trouble: it would fail again
        # Timeouts and resets are worth retrying; no cause means the pin did not match.
        return isinstance(cause, OSError)
    return isinstance(exc, ConnectError)
