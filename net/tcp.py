"""TCP: a client session and a server for many clients, each one selector loop over non-blocking sockets.

Other threads never touch a socket: ``send``/``send_all``/``disconnect`` put work on a connection's
queue under a lock and wake the loop (net._loop), which writes while the socket is writable and asks
for EVENT_WRITE only while something is queued.

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
import errno
import itertools
import os
import selectors
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, Final

from net._connect import connect
from net._i18n import N_, _
from net._loop import (
    DESCRIPTOR_RESERVE,
    StoppableLoop,
    descriptor_limit,
    is_tls_socket,
    selector_capacity,
    would_block_errors,
)
from net._record import Record
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    bind_endpoint,
    bound_socket,
    format_peer,
    parse_host,
    parse_port,
    resolve,
)
from net.backoff import Backoff
from net.errors import (
    AddressError,
    ConnectError,
    NetError,
    TlsError,
    TransferError,
    describe_connect_error,
    describe_stream_error,
    system_words,
)
from net.events import (
    Connected,
    Disconnected,
    FileSent,
    Received,
    Reconnecting,
    Sent,
    TcpEvent,
    TlsInfo,
)
from net.keepalive import set_keepalive

if TYPE_CHECKING:
    import ssl

    from net.tls import ClientTls

# ssl and net.tls are imported where TLS is asked for, not here: plain TCP (`swb tcp-send`) then
# starts without loading OpenSSL.

if TYPE_CHECKING:
    from net.rules import Responder

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "MAX_QUEUED_BYTES",
    "REPLY_HIGH_WATER",
    "REPLY_MODES",
    "ClientInfo",
    "TcpClient",
    "TcpEvent",
    "TcpServer",
    "client_cap",
    "idle_reason",
]

#: Bytes of data that may wait to be sent on one connection before ``send`` refuses more.
MAX_QUEUED_BYTES: Final = 16 * 1024 * 1024
#: A server in echo or fixed-reply mode stops reading a client while this much waits for it...
REPLY_HIGH_WATER: Final = 1024 * 1024
#: ...and reads again once the queue is down to this.
REPLY_LOW_WATER: Final = 256 * 1024
REPLY_MODES: Final = ("none", "echo", "fixed")
#: Seconds a client of a TLS server has to finish its handshake before it is closed.
HANDSHAKE_TIMEOUT: Final = 10.0

CLOSED_BY_PEER: Final = N_("closed by peer")  # compared as it is; said translated
_RECV_SIZE = 64 * 1024
_FILE_READ_SIZE = 256 * 1024
_SENDFILE_SIZE = 1024 * 1024
# Bytes written to one connection per wake-up, so one fast reader cannot starve the others.
_WRITE_BUDGET = 4 * 1024 * 1024
# Plaintext handed to one SSL_write: bytes_out moves in steps, and a retry after SSLWantWriteError
# (which OpenSSL requires to repeat the same bytes) sees the same slice.
_TLS_WRITE_SIZE = 64 * 1024
# recv calls per wake-up on a TLS connection while OpenSSL still holds decrypted bytes.
_TLS_READS_PER_WAKE = 16
# sendfile(2) refusing this pair of file and socket: fall back to read + send.
_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK, errno.EAFNOSUPPORT}
# accept() failing for lack of resources: stop accepting until a client leaves, or it spins.
_ACCEPT_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_ACCEPT = object()
#: Stream files with os.sendfile where the platform has it (else, and where it refuses, read + send).
USE_SENDFILE = sys.platform != "win32" and hasattr(os, "sendfile")


class ClientInfo(Record):
    """One client of a :class:`TcpServer`, as :meth:`TcpServer.clients` lists it."""

    conn_id: int
    peer: str
    since: float  # time.time() when it connected
    bytes_in: int
    bytes_out: int


class _Bytes:
    __slots__ = ("data", "heartbeat", "offset", "view")

    def __init__(self, data: bytes, heartbeat: bool = False) -> None:
        self.data = data
        self.view = memoryview(data)
        self.offset = 0
        self.heartbeat = heartbeat

    @property
    def done(self) -> bool:
        return self.offset >= len(self.data)


class _File:
    __slots__ = ("end", "file", "offset", "path", "pending")

    def __init__(self, path: str, file: BinaryIO, size: int) -> None:
        self.path = path
        self.file = file
        self.offset = 0  # bytes of the file already written to the socket
        self.end = size
        self.pending = memoryview(b"")  # read but not yet written (read + send fallback)


class _Connection:
    __slots__ = (
        "address",
        "bytes_in",
        "bytes_out",
        "close_reason",
        "closed",
        "conn_id",
        "ended",
        "events",
        "handshake_deadline",
        "handshake_events",
        "handshaking",
        "last_in",
        "last_out",
        "local",
        "paused",
        "peer",
        "queue",
        "queued",
        "reading",
        "since",
        "sock",
        "tls",
        "use_sendfile",
        "would_block",
    )

    def __init__(self, sock: socket.socket, conn_id: int, peer: str, local: str) -> None:
        self.sock = sock
        self.conn_id = conn_id
        self.peer = peer
        self.local = local
        self.since = time.time()
        self.bytes_in = 0
        self.bytes_out = 0
        self.queue: deque[_Bytes | _File] = deque()
        self.queued = 0  # bytes of data (not files) in the queue
        self.reading = True  # False once the peer has closed its side
        self.paused = False  # reading stopped until the replies queued for it drain
        self.events = 0  # what the selector watches for now
        self.closed = False
        self.close_reason: str | None = None  # close with this once the queue is written
        self.ended: tuple[str, bool] | None = None  # (reason, error) once closed
        self.tls = is_tls_socket(sock)
        # Not an error on a non-blocking socket: try again when the selector says so.
        self.would_block = would_block_errors(sock)
        # The kernel cannot encrypt, so inside TLS files are read and written through OpenSSL.
        self.use_sendfile = USE_SENDFILE and not self.tls
        self.handshaking = False  # a TLS server's client whose handshake is still running
        self.handshake_events = selectors.EVENT_READ  # what the handshake waits for
        self.handshake_deadline = 0.0  # time.monotonic() by which it must be done
        self.address: tuple[str, int] = ("", 0)  # the peer's host and port, for sentences
        self.last_in = self.last_out = time.monotonic()  # the last bytes read / written


class _TcpLoop(StoppableLoop):
    """The selector loop, queues and event plumbing shared by the client and the server."""

    def __init__(self, on_event: Callable[[TcpEvent], None]) -> None:
        super().__init__()
        self._on_event = on_event
        self._lock = threading.Lock()
        self._conns: dict[int, _Connection] = {}
        self._dirty: set[int] = set()  # connections whose queue other threads added to
        self._drop: dict[int, str] = {}  # disconnect requests from other threads
        # TLS connections with decrypted bytes waiting inside OpenSSL, which no selector reports.
        self._tls_ready: set[_Connection] = set()
        self._selector: selectors.BaseSelector | None = None
        self._loop_thread: int | None = None
        self._started = False
        #: Totals over every connection so far.
        self.bytes_in = 0
        self.bytes_out = 0

    # ---- called from any thread -------------------------------------------------------------

    def _queue_bytes(
        self, conn: _Connection, data: bytes, *, bounded: bool = True, heartbeat: bool = False
    ) -> _Bytes | None:
        if not data:
            return None
        data = bytes(data)
        item = _Bytes(data, heartbeat)
        on_loop = threading.get_ident() == self._loop_thread
        with self._lock:
            if conn.closed:
                raise ConnectError(_("{peer} is no longer connected").format(peer=conn.peer))
            if bounded and conn.queued and conn.queued + len(data) > MAX_QUEUED_BYTES:
                raise ConnectError(
                    _(
                        "{peer} is not reading what it is sent: {queued:,} bytes are already "
                        "waiting, so nothing more is queued"
                    ).format(peer=conn.peer, queued=conn.queued)
                )
            conn.queue.append(item)
            conn.queued += len(data)
            if not on_loop:
                self._dirty.add(conn.conn_id)
        if on_loop:
            self._update(conn)
        else:
            self._waker.wake()
        return item

    def _queue_file(self, conn: _Connection, path: str) -> None:
        item = _open_file(path)
        on_loop = threading.get_ident() == self._loop_thread
        with self._lock:
            if conn.closed:
                item.file.close()
                raise ConnectError(_("{peer} is no longer connected").format(peer=conn.peer))
            conn.queue.append(item)
            if not on_loop:
                self._dirty.add(conn.conn_id)
        if on_loop:
            self._update(conn)
        else:
            self._waker.wake()

    def _request_close(self, conn_id: int, reason: str) -> None:
        with self._lock:
            if conn_id not in self._conns:
                return
            self._drop[conn_id] = reason
        self._waker.wake()

    # ---- the loop's thread only --------------------------------------------------------------

    def _loop(self, selector: selectors.BaseSelector, keep_going: Callable[[], bool]) -> None:
        while not self.stopping and keep_going():
            # Timers (handshake deadlines, heartbeats, dead peers) live in the select timeout:
            # no extra thread and no sleeping.
            deadline = self._run_timers(time.monotonic())
            if self.stopping or not keep_going():
                break
            timeout: float | None = None
            if self._tls_ready:
                timeout = 0.0
            elif deadline is not None:
                timeout = max(0.0, deadline - time.monotonic())
            for key, mask in selector.select(timeout):
                target = key.data
                if target is self._waker:
                    self._waker.drain()
                elif target is _ACCEPT:
                    self._accept()
                elif isinstance(target, _Connection) and not target.closed:
                    if target.handshaking:
                        self._continue_handshake(target)
                        continue
                    if mask & selectors.EVENT_READ:
                        self._read(target)
                    if mask & selectors.EVENT_WRITE and not target.closed:
                        self._write(target)
            if self._tls_ready:
                ready, self._tls_ready = self._tls_ready, set()
                for conn in ready:
                    if not conn.closed and conn.reading and not conn.paused:
                        self._read(conn)
            if self._dirty or self._drop:
                self._apply_requests()

    def _run_timers(self, now: float) -> float | None:
        """Hook: act on whatever is due at ``now``; return when next to look (monotonic), or None."""
        return None

    def _continue_handshake(self, conn: _Connection) -> None:
        """Hook: a connection whose TLS handshake is still running is ready."""

    def _apply_requests(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            drop, self._drop = self._drop, {}
        for conn_id, reason in drop.items():
            conn = self._conns.get(conn_id)
            if conn is not None:
                self._close(conn, reason, error=False)
        for conn_id in dirty:
            conn = self._conns.get(conn_id)
            if conn is not None:
                self._update(conn)

    def _add(self, conn: _Connection) -> None:
        with self._lock:
            self._conns[conn.conn_id] = conn
        self._update(conn)

    def _update(self, conn: _Connection) -> None:
        """Make the selector watch what ``conn`` needs now: reads unless paused, writes if queued
        (or, during a TLS handshake, whatever the handshake waits for)."""
        if conn.closed or self._selector is None:
            return
        events = 0
        if conn.handshaking:
            events = conn.handshake_events
        else:
            if conn.reading and not conn.paused:
                events |= selectors.EVENT_READ
            if conn.queue:
                events |= selectors.EVENT_WRITE
        if events == conn.events:
            return
        if conn.events == 0:
            self._selector.register(conn.sock, events, conn)
        elif events == 0:
            self._selector.unregister(conn.sock)
        else:
            self._selector.modify(conn.sock, events, conn)
        conn.events = events

    def _read(self, conn: _Connection) -> None:
        for _read in range(_TLS_READS_PER_WAKE if conn.tls else 1):
            try:
                data = conn.sock.recv(_RECV_SIZE)
            except conn.would_block:
                return
            except OSError as exc:
                self._close(conn, describe_stream_error(exc, conn.peer), error=True)
                return
            if not data:
                conn.reading = False
                if conn.queue:
                    # The peer only closed its sending side: what is queued for it (an echo, say)
                    # still goes out, and then the connection closes.
                    conn.close_reason = CLOSED_BY_PEER
                    self._update(conn)
                else:
                    self._close(conn, CLOSED_BY_PEER, error=False)
                return
            conn.last_in = time.monotonic()
            conn.bytes_in += len(data)
            self.bytes_in += len(data)
            self._on_event(Received(time.time(), conn.conn_id, conn.peer, data))
            if conn.closed:
                return
            self._after_receive(conn, data)
            if conn.closed or conn.paused or not _pending(conn):
                return
        self._tls_ready.add(conn)  # more decrypted bytes wait; read them on the next turn

    def _after_receive(self, conn: _Connection, data: bytes) -> None:
        """Hook for the server's reply modes."""

    def _accept(self) -> None:
        """Hook: the server's listening socket is readable."""

    def _write(self, conn: _Connection) -> None:
        budget = _WRITE_BUDGET
        while budget > 0 and not conn.closed:
            with self._lock:
                item = conn.queue[0] if conn.queue else None
            if item is None:
                break
            if isinstance(item, _Bytes):
                written = self._write_bytes(conn, item)
            else:
                written = self._write_file(conn, item)
            if written is None:
                break
            budget -= written
        if conn.closed:
            return
        if conn.paused and conn.queued <= REPLY_LOW_WATER:
            conn.paused = False
            if _pending(conn):
                self._tls_ready.add(conn)
        if not conn.queue and conn.close_reason is not None:
            self._close(conn, conn.close_reason, error=False)
            return
        self._update(conn)

    def _write_bytes(self, conn: _Connection, item: _Bytes) -> int | None:
        chunk = item.view[item.offset :]
        if conn.tls:
            chunk = chunk[:_TLS_WRITE_SIZE]
        try:
            sent = conn.sock.send(chunk)
        except conn.would_block:
            return None
        except OSError as exc:
            self._write_failed(conn, exc)
            return None
        finally:
            chunk.release()
        item.offset += sent
        self._count_out(conn, sent)
        done = item.done
        with self._lock:
            conn.queued -= sent
            if done:
                conn.queue.popleft()
        if done:
            item.view.release()
            self._on_event(
                Sent(time.time(), conn.conn_id, conn.peer, item.data, heartbeat=item.heartbeat)
            )
        return sent

    def _write_file(self, conn: _Connection, item: _File) -> int | None:
        sent = 0
        try:
            if item.offset < item.end:
                if sys.platform != "win32" and conn.use_sendfile and not item.pending:
                    try:
                        sent = os.sendfile(
                            conn.sock.fileno(),
                            item.file.fileno(),
                            item.offset,
                            min(item.end - item.offset, _SENDFILE_SIZE),
                        )
                    except OSError as exc:
                        if exc.errno not in _NO_SENDFILE:
                            raise
                        conn.use_sendfile = False
                        return 0
                    if sent == 0:
                        item.end = item.offset  # the file shrank while it was being sent
                else:
                    if not item.pending:
                        item.file.seek(item.offset)
                        chunk = item.file.read(min(item.end - item.offset, _FILE_READ_SIZE))
                        if not chunk:
                            item.end = item.offset
                        item.pending = memoryview(chunk)
                    if item.pending:
                        piece = item.pending[:_TLS_WRITE_SIZE] if conn.tls else item.pending
                        sent = conn.sock.send(piece)
                        item.pending = item.pending[sent:]
        except conn.would_block:
            return None
        except OSError as exc:
            self._write_failed(conn, exc)
            return None
        item.offset += sent
        self._count_out(conn, sent)
        if item.offset >= item.end:
            with self._lock:
                conn.queue.popleft()
            item.file.close()
            self._on_event(FileSent(time.time(), conn.conn_id, conn.peer, item.path, item.offset))
        return sent

    def _write_failed(self, conn: _Connection, exc: OSError) -> None:
        if conn.tls and _is_close_notify(exc):
            # The peer has sent its TLS close_notify, after which OpenSSL writes nothing: what is
            # still queued cannot go out, but the connection ended in order all the same.
            self._close(conn, CLOSED_BY_PEER, error=False)
        else:
            self._close(conn, describe_stream_error(exc, conn.peer), error=True)

    def _count_out(self, conn: _Connection, sent: int) -> None:
        if sent:
            conn.last_out = time.monotonic()
        conn.bytes_out += sent
        self.bytes_out += sent

    def _close(self, conn: _Connection, reason: str, *, error: bool, announce: bool = True) -> None:
        if conn.closed:
            return
        with self._lock:
            conn.closed = True
            conn.ended = (reason, error)
            self._conns.pop(conn.conn_id, None)
            leftovers = list(conn.queue)
            conn.queue.clear()
            conn.queued = 0
        self._tls_ready.discard(conn)
        if conn.events and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn.sock)
            conn.events = 0
        if conn.tls and not error and not conn.handshaking:
            # Say goodbye in TLS (close_notify), so the peer can tell an end from a cut. The
            # socket is non-blocking: this sends the alert if there is room and never waits.
            with contextlib.suppress(OSError, ValueError):
                conn.sock.unwrap()  # type: ignore[attr-defined]
        conn.sock.close()
        for item in leftovers:
            if isinstance(item, _File):
                item.file.close()
        self._closed(conn)
        if announce:
            said = _(reason)  # CLOSED_BY_PEER is marked with N_; the others are made translated
            self._on_event(Disconnected(time.time(), conn.conn_id, conn.peer, said, error))

    def _closed(self, conn: _Connection) -> None:
        """Hook: a connection has just been closed."""

    def _close_all(self, reason: str, *, announce: bool) -> None:
        for conn in list(self._conns.values()):
            # A client still in its TLS handshake was never announced, so it leaves quietly.
            self._close(conn, reason, error=False, announce=announce and not conn.handshaking)

    def _begin(self) -> None:
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} runs once; make a new one to start again")
        self._started = True
        self._loop_thread = threading.get_ident()


class TcpClient(_TcpLoop):
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
        _check_seconds(N_("connect timeout"), connect_timeout)
        if keepalive:
            _check_keepalive(keepalive_idle, keepalive_interval, keepalive_count)
        if heartbeat is not None:
            if not heartbeat:
                raise AddressError(_("the heartbeat is empty: give the bytes to send"))
            _check_seconds(N_("heartbeat interval"), heartbeat_interval)
        if dead_after is not None:
            _check_seconds(N_("dead-peer time"), dead_after)
        if idle_timeout is not None:
            _check_seconds(N_("idle timeout"), idle_timeout)
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
        self._heartbeat = bytes(heartbeat) if heartbeat else None
        self._heartbeat_interval = heartbeat_interval
        self._next_heartbeat = 0.0
        self._last_heartbeat: _Bytes | None = None
        self._dead_after = dead_after
        self._idle_timeout = idle_timeout
        self._reconnect = reconnect
        self._reconnect_reset_after = reconnect_reset_after
        self._reconnecting = False
        self._ids = itertools.count(1)
        self._conn: _Connection | None = None
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

    def _require_connection(self) -> _Connection:
        conn = self._conn
        if conn is None or conn.closed:
            if self._reconnecting:
                raise ConnectError(_("not connected (reconnecting…)"))
            raise ConnectError(_("not connected to {peer}").format(peer=self.peer))
        return conn

    def _open(self) -> _Connection | None:
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
        return _Connection(sock, next(self._ids), peer, local)

    def _session(
        self, selector: selectors.BaseSelector, conn: _Connection
    ) -> tuple[str, bool] | None:
        """Move data on ``conn`` until it ends; returns how it ended: (reason, error)."""
        self.peer = conn.peer
        self.tls_info = info = _tls_info(conn.sock)
        self._conn = conn
        self._reconnecting = False
        self._next_heartbeat = time.monotonic() + self._heartbeat_interval
        self._last_heartbeat = None
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
        if self._idle_timeout is not None:
            idle_at = max(conn.last_in, conn.last_out) + self._idle_timeout
            if now >= idle_at:
                self._close(conn, idle_reason(self._idle_timeout), error=False)
                return None
            due.append(idle_at)
        if self._heartbeat is not None:
            if now >= self._next_heartbeat:
                self._beat(conn, self._heartbeat)
                self._next_heartbeat += self._heartbeat_interval
                if self._next_heartbeat <= now:  # the loop was busy: do not send a burst
                    self._next_heartbeat = now + self._heartbeat_interval
            due.append(self._next_heartbeat)
        return min(due) if due else None

    def _beat(self, conn: _Connection, payload: bytes) -> None:
        last = self._last_heartbeat
        if last is not None and not last.done:
            return  # the previous one has not gone out yet: the peer is not reading
        with contextlib.suppress(ConnectError):  # the queue is full: same reason
            self._last_heartbeat = self._queue_bytes(conn, payload, heartbeat=True)

    def _connect(self) -> socket.socket | None:
        endpoints = resolve(self._host, self._port, timeout=self._resolve_timeout)
        sock = connect(self, endpoints, self._connect_timeout, self._host, self._port)
        if sock is not None and self._keepalive is not None:
            # Checked in __init__; a socket refusing it still works without.
            with contextlib.suppress(OSError):
                set_keepalive(sock, *self._keepalive)
        return sock


class TcpServer(_TcpLoop):
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
        keepalive: bool = True,
        keepalive_idle: int = 60,
        keepalive_interval: int = 10,
        keepalive_count: int = 5,
        idle_timeout: float | None = None,
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
        _check_seconds(N_("TLS handshake timeout"), handshake_timeout)
        if idle_timeout is not None:
            _check_seconds(N_("idle timeout"), idle_timeout)
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise AddressError(
                _("the most clients at once must be 1 or more, not {max_clients!r}").format(
                    max_clients=max_clients
                )
            )
        self._keepalive = (keepalive_idle, keepalive_interval, keepalive_count)
        if keepalive:
            _check_keepalive(*self._keepalive)
        self._keepalive_on = keepalive
        super().__init__(on_event)
        self._reply = (reply_mode, bytes(fixed_reply))
        #: The cap asked for, the cap in force (lower where the process cannot hold that many),
        #: and why it was lowered (None when it was not).
        self.requested_max_clients = max_clients
        self.max_clients, self.limit_reason = client_cap(max_clients)
        self.idle_timeout = idle_timeout
        self._next_idle_scan: float | None = None
        self._responder = responder
        self._ids = itertools.count(1)
        self._accept_paused = False
        self._ssl_context = ssl_context
        self._handshake_timeout = handshake_timeout
        # Clients in their TLS handshake, oldest (so soonest deadline) first.
        self._handshaking: dict[int, _Connection] = {}
        #: True when clients must speak TLS.
        self.tls = ssl_context is not None
        #: Clients accepted (with TLS: whose handshake succeeded) so far, clients turned away
        #: because max_clients were connected, and clients whose TLS handshake failed.
        self.total_clients = 0
        self.refused = 0
        self.tls_failures = 0
        self._listener = self._opening(lambda: self._listen(host, port, backlog, resolve_timeout))
        self._spare = _spare_descriptor()

    def _listen(
        self, host: str, port: int | str, backlog: int, resolve_timeout: float
    ) -> socket.socket:
        sock, self.address = listening_socket(host, port, backlog, resolve_timeout)
        self.port: int = int(sock.getsockname()[1])
        return sock

    def serve_forever(self) -> None:
        """Accept and serve clients until :meth:`shutdown`; then every client is disconnected
        (Disconnected "server stopped") and the port is released."""
        self._begin()
        self._selector = selector = self.new_selector()
        try:
            if not self.stopping:
                selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)
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
        spare, self._spare = getattr(self, "_spare", None), None
        if spare is not None:
            os.close(spare)
        super().close()

    def _client(self, conn_id: int) -> _Connection:
        conn = self._conns.get(conn_id)
        if conn is None or conn.closed or conn.handshaking:
            raise ConnectError(
                _("client #{conn_id} is not connected any more").format(conn_id=conn_id)
            )
        return conn

    def _accept(self) -> None:
        for _accepted in range(64):  # then let the connected clients have a turn
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in _ACCEPT_EXHAUSTED:
                    return
                refused = self._refuse_with_spare()
                if refused:
                    continue
                if refused is None:
                    return  # nobody else waits (Linux says EMFILE before it looks)
                if self._selector is not None:
                    # Until a client leaves (_closed), or the listener would wake the loop
                    # again at once, for ever.
                    self._selector.unregister(self._listener)
                    self._accept_paused = True
                return
            conn_id = next(self._ids)
            peer = format_peer(address)
            if len(self._conns) >= self.max_clients:
                sock.close()
                self.refused += 1
                self._on_event(Disconnected(time.time(), conn_id, peer, self._refusal(peer), True))
                continue
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._keepalive_on:
                    with contextlib.suppress(OSError):  # checked in __init__; works without
                        set_keepalive(sock, *self._keepalive)
                local = format_peer(sock.getsockname())
                if self._ssl_context is not None:
                    # A cut without close_notify must read as an error, not as the end.
                    sock = self._ssl_context.wrap_socket(
                        sock,
                        server_side=True,
                        do_handshake_on_connect=False,
                        suppress_ragged_eofs=False,
                    )
            except (OSError, ValueError):
                sock.close()  # it reset before we got to it
                continue
            conn = _Connection(sock, conn_id, peer, local)
            if conn.tls:
                conn.handshaking = True
                conn.handshake_deadline = time.monotonic() + self._handshake_timeout
                conn.address = (str(address[0]), int(address[1]))
                self._handshaking[conn_id] = conn
                self._add(conn)  # Connected once the handshake is done
                continue
            self.total_clients += 1
            self._add(conn)
            self._watch_idle(conn)
            self._on_event(Connected(conn.since, conn_id, peer, local))

    def _continue_handshake(self, conn: _Connection) -> None:
        import ssl  # loaded already: the server's ssl_context made this socket

        assert isinstance(conn.sock, ssl.SSLSocket)
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            conn.handshake_events = selectors.EVENT_READ
            self._update(conn)
            return
        except ssl.SSLWantWriteError:
            conn.handshake_events = selectors.EVENT_WRITE
            self._update(conn)
            return
        except (OSError, ValueError) as exc:
            self._fail_handshake(conn, exc)
            return
        self._handshaking.pop(conn.conn_id, None)
        conn.handshaking = False
        conn.since = time.time()
        conn.last_in = conn.last_out = time.monotonic()
        self.total_clients += 1
        self._update(conn)
        self._watch_idle(conn)
        info = _tls_info(conn.sock)
        self._on_event(Connected(conn.since, conn.conn_id, conn.peer, conn.local, info))
        if not conn.closed:
            # Data may have come with the handshake's last flight, already decrypted by
            # OpenSSL: the selector would not report it.
            self._read(conn)

    def _fail_handshake(self, conn: _Connection, exc: BaseException) -> None:
        self._handshaking.pop(conn.conn_id, None)
        self.tls_failures += 1
        host, port = conn.address
        from net.tls import describe_ssl_error

        reason = describe_ssl_error(exc, host, port, server_side=True)
        self._close(conn, reason, error=True)

    def _refuse_with_spare(self) -> bool | None:
        """accept() failed for lack of descriptors: free the spare one, accept the waiting
        client with it, close it with a reason, and take the spare again (libuv's way of
        refusing at the limit, instead of leaving the client hanging in the backlog).

        Returns:
            True when a client was refused; None when no client was waiting after all; False
            when there is no spare, or the client could not be accepted even so.
        """
        if self._spare is None:
            return False
        os.close(self._spare)
        self._spare = None
        try:
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError:
                return False
            sock.close()
        finally:
            self._spare = _spare_descriptor()
        peer = format_peer(address)
        self.refused += 1
        limit = descriptor_limit()
        reason = _(
            "refused {peer}: this process has no descriptors left for another connection"
        ).format(peer=peer)
        if limit is not None:
            reason += _(" (its limit is {limit} open files and sockets)").format(limit=limit)
        self._on_event(Disconnected(time.time(), next(self._ids), peer, reason, True))
        return True

    def _refusal(self, peer: str) -> str:
        reason = _(
            "refused {peer}: the server already has {max_clients} clients, its limit"
        ).format(peer=peer, max_clients=self.max_clients)
        if self.limit_reason:
            reason += f" ({self.limit_reason})"
        return reason

    def _run_timers(self, now: float) -> float | None:
        due: float | None = None
        while self._handshaking:
            oldest = next(iter(self._handshaking.values()))
            if oldest.handshake_deadline > now:
                due = oldest.handshake_deadline
                break
            self._fail_handshake(oldest, TimeoutError(_("the TLS handshake took too long")))
        if self.idle_timeout is not None:
            idle_due = self._close_idle(now, self.idle_timeout)
            if idle_due is not None and (due is None or idle_due < due):
                due = idle_due
        return due

    def _close_idle(self, now: float, limit: float) -> float | None:
        """Close the clients quiet for ``limit`` s; return when the next one may be (monotonic).

        Activity only moves a client's deadline later and a new client's is later than any
        known one, so the clients are scanned only when the earliest known deadline is due.
        """
        if self._next_idle_scan is not None and now < self._next_idle_scan:
            return self._next_idle_scan
        earliest: float | None = None
        for conn in list(self._conns.values()):
            if conn.handshaking:
                continue  # the handshake deadline watches it
            idle_at = max(conn.last_in, conn.last_out) + limit
            if now >= idle_at:
                self._close(conn, idle_reason(limit), error=False)
            elif earliest is None or idle_at < earliest:
                earliest = idle_at
        self._next_idle_scan = earliest
        return earliest

    def _watch_idle(self, conn: _Connection) -> None:
        if self.idle_timeout is not None and self._next_idle_scan is None:
            self._next_idle_scan = max(conn.last_in, conn.last_out) + self.idle_timeout

    def _after_receive(self, conn: _Connection, data: bytes) -> None:
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

    def _closed(self, conn: _Connection) -> None:
        self._handshaking.pop(conn.conn_id, None)
        if self._responder is not None:
            self._responder.forget(conn.conn_id)
        if self._accept_paused and self._selector is not None and not self.stopping:
            self._accept_paused = False
            self._selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)


def idle_reason(seconds: float) -> str:
    """The sentence for a connection closed after ``seconds`` of silence both ways."""
    return _("nothing was sent or received for {seconds:g} s, so the connection was closed").format(
        seconds=seconds
    )


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


def _spare_descriptor() -> int | None:
    """A descriptor held in reserve for refusing a client at the descriptor limit, or None."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _check_keepalive(idle: int, interval: int, count: int) -> None:
    # set_keepalive checks the values; let it do so now, not at the first connection.
    with socket.socket() as probe:
        set_keepalive(probe, idle, interval, count)


def listening_socket(
    host: str, port: int | str, backlog: int = 128, resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT
) -> tuple[socket.socket, str]:
    """A non-blocking TCP socket listening on ``host:port``, and its address ("127.0.0.1:8000").

    Raises:
        AddressError: a bad host or port.
        BindError: the port is in use, or the address is not this computer's.
    """
    local = bind_endpoint(host, port, kind=socket.SOCK_STREAM, timeout=resolve_timeout)
    sock = bound_socket(local, socket.SOCK_STREAM, listen=backlog, reuse_address=True)
    return sock, format_peer((local.host, int(sock.getsockname()[1])))


def _check_reply_mode(mode: str) -> None:
    if mode not in REPLY_MODES:
        raise ValueError(_("unknown reply mode {mode!r} (none, echo or fixed)").format(mode=mode))


def _open_file(path: str) -> _File:
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed when sent or when the connection ends
    except FileNotFoundError as exc:
        raise TransferError(
            _("cannot send {path}: there is no such file").format(path=path)
        ) from exc
    except IsADirectoryError as exc:
        raise TransferError(
            _("cannot send {path}: it is a folder, not a file").format(path=path)
        ) from exc
    except PermissionError as exc:
        raise TransferError(_("cannot send {path}: permission denied").format(path=path)) from exc
    except OSError as exc:
        raise TransferError(
            _("cannot send {path}: {system_words}").format(
                path=path, system_words=system_words(exc)
            )
        ) from exc
    try:
        size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        file.close()
        raise TransferError(
            _("cannot send {path}: {system_words}").format(
                path=path, system_words=system_words(exc)
            )
        ) from exc
    return _File(path, file, size)


def _check_seconds(what: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        raise AddressError(
            _("the {what} must be a number of seconds above 0, not {value!r}").format(
                what=_(what), value=value
            )
        )


def _pending(conn: _Connection) -> int:
    """Bytes OpenSSL has decrypted for ``conn`` but nobody has read yet (0 for plain TCP)."""
    if conn.tls:
        with contextlib.suppress(OSError, ValueError):
            return conn.sock.pending()  # type: ignore[attr-defined, no-any-return]
    return 0


def _is_close_notify(exc: OSError) -> bool:
    """Whether a TLS socket's ``exc`` says the peer sent its close_notify (RFC 8446 section 6.1)."""
    import ssl  # loaded: a TLS socket raised exc

    return isinstance(exc, ssl.SSLZeroReturnError)


def _tls_info(sock: socket.socket) -> TlsInfo | None:
    if not is_tls_socket(sock):
        return None
    import ssl  # loaded: sock is an SSLSocket

    from net.tls import certificate_fingerprint

    assert isinstance(sock, ssl.SSLSocket)
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    return TlsInfo(
        sock.version() or "",
        cipher[0] if cipher else "",
        certificate_fingerprint(der) if der else "",
    )


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
