"""TCP: a client session and a server for many clients, each one selector loop over non-blocking sockets.

Other threads never touch a socket: ``send``/``send_all``/``disconnect`` put work on a connection's
queue under a lock and wake the loop (net._loop), which writes while the socket is writable and asks
for EVENT_WRITE only while something is queued.

Queues are bounded: :data:`MAX_QUEUED_BYTES` of data may wait per connection (a larger single send
is accepted when nothing else waits, since the caller already holds it in memory), and a server in
echo or fixed-reply mode stops reading from a client while more than :data:`REPLY_HIGH_WATER` of
replies wait for it, so a client that sends without reading cannot make the server's memory grow.
Files are streamed from disk and do not count against the bound.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Final

from net._loop import StoppableLoop
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    bind_endpoint,
    format_peer,
    parse_host,
    parse_port,
    resolve,
)
from net.errors import (
    BindError,
    ConnectError,
    TransferError,
    describe_bind_error,
    describe_connect_error,
    describe_io_error,
)
from net.events import Connected, Disconnected, FileSent, Received, Sent
from net.keepalive import set_keepalive

__all__ = [
    "MAX_QUEUED_BYTES",
    "REPLY_HIGH_WATER",
    "REPLY_MODES",
    "ClientInfo",
    "TcpClient",
    "TcpEvent",
    "TcpServer",
]

TcpEvent = Connected | Received | Sent | FileSent | Disconnected

#: Bytes of data that may wait to be sent on one connection before ``send`` refuses more.
MAX_QUEUED_BYTES: Final = 16 * 1024 * 1024
#: A server in echo or fixed-reply mode stops reading a client while this much waits for it...
REPLY_HIGH_WATER: Final = 1024 * 1024
#: ...and reads again once the queue is down to this.
REPLY_LOW_WATER: Final = 256 * 1024
REPLY_MODES: Final = ("none", "echo", "fixed")

CLOSED_BY_PEER: Final = "closed by peer"
_RECV_SIZE = 64 * 1024
_FILE_READ_SIZE = 256 * 1024
_SENDFILE_SIZE = 1024 * 1024
# Bytes written to one connection per wake-up, so one fast reader cannot starve the others.
_WRITE_BUDGET = 4 * 1024 * 1024
_CONNECT_PENDING = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035}
# sendfile(2) refusing this pair of file and socket: fall back to read + send.
_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK, errno.EAFNOSUPPORT}
# accept() failing for lack of resources: stop accepting until a client leaves, or it spins.
_ACCEPT_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_ACCEPT = object()
#: Stream files with os.sendfile where the platform has it (else, and where it refuses, read + send).
USE_SENDFILE = hasattr(os, "sendfile")


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """One client of a :class:`TcpServer`, as :meth:`TcpServer.clients` lists it."""

    conn_id: int
    peer: str
    since: float  # time.time() when it connected
    bytes_in: int
    bytes_out: int


class _Bytes:
    __slots__ = ("data", "offset", "view")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.offset = 0


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
        "bytes_in",
        "bytes_out",
        "close_reason",
        "closed",
        "conn_id",
        "events",
        "local",
        "paused",
        "peer",
        "queue",
        "queued",
        "reading",
        "since",
        "sock",
        "use_sendfile",
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
        self.use_sendfile = USE_SENDFILE


class _TcpLoop(StoppableLoop):
    """The selector loop, queues and event plumbing shared by the client and the server."""

    def __init__(self, on_event: Callable[[TcpEvent], None]) -> None:
        super().__init__()
        self._on_event = on_event
        self._lock = threading.Lock()
        self._conns: dict[int, _Connection] = {}
        self._dirty: set[int] = set()  # connections whose queue other threads added to
        self._drop: dict[int, str] = {}  # disconnect requests from other threads
        self._selector: selectors.BaseSelector | None = None
        self._loop_thread: int | None = None
        self._started = False
        #: Totals over every connection so far.
        self.bytes_in = 0
        self.bytes_out = 0

    # ---- called from any thread -------------------------------------------------------------

    def _queue_bytes(self, conn: _Connection, data: bytes, *, bounded: bool = True) -> None:
        if not data:
            return
        data = bytes(data)
        on_loop = threading.get_ident() == self._loop_thread
        with self._lock:
            if conn.closed:
                raise ConnectError(f"{conn.peer} is no longer connected")
            if bounded and conn.queued and conn.queued + len(data) > MAX_QUEUED_BYTES:
                raise ConnectError(
                    f"{conn.peer} is not reading what it is sent: "
                    f"{conn.queued:,} bytes are already waiting, so nothing more is queued"
                )
            conn.queue.append(_Bytes(data))
            conn.queued += len(data)
            if not on_loop:
                self._dirty.add(conn.conn_id)
        if on_loop:
            self._update(conn)
        else:
            self._waker.wake()

    def _queue_file(self, conn: _Connection, path: str) -> None:
        item = _open_file(path)
        on_loop = threading.get_ident() == self._loop_thread
        with self._lock:
            if conn.closed:
                item.file.close()
                raise ConnectError(f"{conn.peer} is no longer connected")
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
            for key, mask in selector.select():
                target = key.data
                if target is self._waker:
                    self._waker.drain()
                elif target is _ACCEPT:
                    self._accept()
                elif isinstance(target, _Connection) and not target.closed:
                    if mask & selectors.EVENT_READ:
                        self._read(target)
                    if mask & selectors.EVENT_WRITE and not target.closed:
                        self._write(target)
            if self._dirty or self._drop:
                self._apply_requests()

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
        """Make the selector watch what ``conn`` needs now: reads unless paused, writes if queued."""
        if conn.closed or self._selector is None:
            return
        events = 0
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
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._close(conn, describe_io_error(exc, conn.peer), error=True)
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
        conn.bytes_in += len(data)
        self.bytes_in += len(data)
        self._on_event(Received(time.time(), conn.conn_id, conn.peer, data))
        if not conn.closed:
            self._after_receive(conn, data)

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
        if not conn.queue and conn.close_reason is not None:
            self._close(conn, conn.close_reason, error=False)
            return
        self._update(conn)

    def _write_bytes(self, conn: _Connection, item: _Bytes) -> int | None:
        try:
            sent = conn.sock.send(item.view[item.offset :])
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            self._close(conn, describe_io_error(exc, conn.peer), error=True)
            return None
        item.offset += sent
        conn.bytes_out += sent
        self.bytes_out += sent
        done = item.offset >= len(item.data)
        with self._lock:
            conn.queued -= sent
            if done:
                conn.queue.popleft()
        if done:
            item.view.release()
            self._on_event(Sent(time.time(), conn.conn_id, conn.peer, item.data))
        return sent

    def _write_file(self, conn: _Connection, item: _File) -> int | None:
        sent = 0
        try:
            if item.offset < item.end:
                if conn.use_sendfile and not item.pending:
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
                        sent = conn.sock.send(item.pending)
                        item.pending = item.pending[sent:]
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            self._close(conn, describe_io_error(exc, conn.peer), error=True)
            return None
        item.offset += sent
        conn.bytes_out += sent
        self.bytes_out += sent
        if item.offset >= item.end:
            with self._lock:
                conn.queue.popleft()
            item.file.close()
            self._on_event(FileSent(time.time(), conn.conn_id, conn.peer, item.path, item.offset))
        return sent

    def _close(self, conn: _Connection, reason: str, *, error: bool, announce: bool = True) -> None:
        if conn.closed:
            return
        with self._lock:
            conn.closed = True
            self._conns.pop(conn.conn_id, None)
            leftovers = list(conn.queue)
            conn.queue.clear()
            conn.queued = 0
        if conn.events and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn.sock)
            conn.events = 0
        conn.sock.close()
        for item in leftovers:
            if isinstance(item, _File):
                item.file.close()
        self._closed(conn)
        if announce:
            self._on_event(Disconnected(time.time(), conn.conn_id, conn.peer, reason, error))

    def _closed(self, conn: _Connection) -> None:
        """Hook: a connection has just been closed."""

    def _close_all(self, reason: str, *, announce: bool) -> None:
        for conn in list(self._conns.values()):
            self._close(conn, reason, error=False, announce=announce)

    def _begin(self) -> None:
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} runs once; make a new one to start again")
        self._started = True
        self._loop_thread = threading.get_ident()


class TcpClient(_TcpLoop):
    """One TCP connection to a server: connect with a deadline, then send and receive until it ends.

    Every event goes to ``on_event`` on the thread that calls :meth:`run`: Connected once, Received
    and Sent as data moves, Disconnected once at the end (``error`` True for resets and failures).
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
    ) -> None:
        """Check the host and port (no network yet; :meth:`run` resolves and connects).

        Raises:
            AddressError: a malformed host or port.
        """
        self._host = parse_host(host)
        self._port = parse_port(port)
        super().__init__(on_event)
        self._connect_timeout = connect_timeout
        self._resolve_timeout = resolve_timeout
        self._keepalive = keepalive
        self._conn: _Connection | None = None
        #: "127.0.0.1:5000"; before the connection is up, the host and port as given.
        self.peer: str = format_peer((self._host, self._port))

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed

    def run(self) -> None:
        """Resolve, connect, then move data until the peer closes, the connection fails, or
        :meth:`shutdown`. Returns quietly if shut down before the connection is up.

        Raises:
            AddressError: the host name does not exist.
            ConnectError: no address of the host accepted the connection in time.
        """
        self._begin()
        sock = self._connect()
        if sock is None:
            return
        self._selector = selector = self.new_selector()
        conn = _Connection(
            sock, 1, format_peer(sock.getpeername()), format_peer(sock.getsockname())
        )
        self.peer = conn.peer
        self._conn = conn
        try:
            self._add(conn)
            self._on_event(Connected(conn.since, conn.conn_id, conn.peer, conn.local))
            self._loop(selector, lambda: not conn.closed)
        except BaseException:
            self._close_all("disconnected", announce=False)
            raise
        finally:
            self._close_all("disconnected", announce=True)
            self._selector = None
            selector.close()

    def send(self, data: bytes) -> None:
        """Queue ``data``; the loop writes it and emits Sent. Thread-safe, never blocks.

        Raises:
            ConnectError: not connected, or the peer has not been reading and the queue is full.
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
            raise ConnectError(f"not connected to {self.peer}")
        return conn

    def _connect(self) -> socket.socket | None:
        endpoints = resolve(self._host, self._port, timeout=self._resolve_timeout)
        deadline = time.monotonic() + self._connect_timeout
        failure: OSError = TimeoutError(errno.ETIMEDOUT, "timed out")
        selector = self.new_selector()
        try:
            for endpoint in endpoints:
                if time.monotonic() >= deadline:
                    break
                sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
                try:
                    sock.setblocking(False)
                    code = sock.connect_ex(endpoint.sockaddr)
                    if code in _CONNECT_PENDING:
                        outcome = self._wait_connected(selector, sock, deadline)
                        if outcome is None:  # shut down while connecting
                            sock.close()
                            return None
                        code = outcome
                    if code == 0:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        if self._keepalive:
                            set_keepalive(sock)
                        return sock
                    failure = OSError(code, os.strerror(code))
                    if code == errno.ETIMEDOUT:
                        failure = TimeoutError(code, os.strerror(code))
                    sock.close()
                except BaseException:
                    sock.close()
                    raise
        finally:
            selector.close()
        raise ConnectError(describe_connect_error(failure, self._host, self._port)) from failure

    def _wait_connected(
        self, selector: selectors.BaseSelector, sock: socket.socket, deadline: float
    ) -> int | None:
        """Wait for a pending connect; its errno (ETIMEDOUT at the deadline), None on shutdown."""
        selector.register(sock, selectors.EVENT_WRITE, sock)
        try:
            while True:
                if self.stopping:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return errno.ETIMEDOUT
                for key, _mask in selector.select(remaining):
                    if key.data is self._waker:
                        self._waker.drain()
                    else:
                        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        finally:
            selector.unregister(sock)


class TcpServer(_TcpLoop):
    """A TCP server for many clients at once (at most ``max_clients``), in one selector loop.

    Clients beyond ``max_clients`` are accepted and closed at once; each one is counted in
    :attr:`refused` and reported as a Disconnected event with ``error`` True and no Connected before.
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
    ) -> None:
        """Bind and listen at once.

        Args:
            host: "" every IPv4 address, "::" every IPv6 address (and IPv4 where the OS allows
                dual-stack), or one address of this computer.
            port: 0 picks any free port (read it from :attr:`port`).
            on_event: called on the loop's thread for every event of every client; must be cheap.
            reply_mode: "none", "echo" (send each client back what it sent) or "fixed" (answer
                every chunk received with ``fixed_reply``).
            max_clients: clients served at once.
        Raises:
            AddressError: a bad host or port.
            BindError: the port is in use, or the address is not this computer's.
            ValueError: an unknown reply mode.
        """
        _check_reply_mode(reply_mode)
        super().__init__(on_event)
        self._reply = (reply_mode, bytes(fixed_reply))
        self.max_clients = max_clients
        self._ids = itertools.count(1)
        self._accept_paused = False
        #: Clients accepted so far, and clients turned away because max_clients were connected.
        self.total_clients = 0
        self.refused = 0
        try:
            self._listener = self._listen(host, port, backlog, resolve_timeout)
        except BaseException:
            super().close()
            raise

    def _listen(
        self, host: str, port: int | str, backlog: int, resolve_timeout: float
    ) -> socket.socket:
        local = bind_endpoint(host, port, kind=socket.SOCK_STREAM, timeout=resolve_timeout)
        sock = socket.socket(local.family, socket.SOCK_STREAM)
        try:
            if os.name != "nt":
                # Restart at once on a port whose old connections sit in TIME_WAIT. (On Windows
                # this option would let another program take the port; it needs none.)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if local.family == socket.AF_INET6 and local.host == "::":
                with contextlib.suppress(OSError, AttributeError):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                sock.bind(local.sockaddr)
                sock.listen(backlog)
            except OSError as exc:
                raise BindError(describe_bind_error(exc, local.host, local.port)) from exc
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.port: int = int(sock.getsockname()[1])
        self.address: str = format_peer((local.host, self.port))
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
            self._close_all("server stopped", announce=False)
            raise
        finally:
            self._close_all("server stopped", announce=True)
            self._selector = None
            selector.close()
            self._listener.close()

    def set_reply(self, mode: str, fixed_reply: bytes = b"") -> None:
        """Change the reply mode ("none", "echo", "fixed") while running; thread-safe."""
        _check_reply_mode(mode)
        self._reply = (mode, bytes(fixed_reply))

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
            conns = list(self._conns.values())
        for conn in conns:
            with contextlib.suppress(ConnectError):
                self._queue_bytes(conn, data)
                count += 1
        return count

    def disconnect(self, conn_id: int) -> None:
        """Close one client's connection (Disconnected "disconnected by the server"); thread-safe.
        Unknown or already closed clients are ignored."""
        self._request_close(conn_id, "disconnected by the server")

    def clients(self) -> list[ClientInfo]:
        """The clients connected now, oldest first; thread-safe."""
        with self._lock:
            conns = sorted(self._conns.values(), key=lambda c: c.conn_id)
        return [ClientInfo(c.conn_id, c.peer, c.since, c.bytes_in, c.bytes_out) for c in conns]

    def close(self) -> None:
        if hasattr(self, "_listener"):
            self._listener.close()
        super().close()

    def _client(self, conn_id: int) -> _Connection:
        conn = self._conns.get(conn_id)
        if conn is None or conn.closed:
            raise ConnectError(f"client #{conn_id} is not connected any more")
        return conn

    def _accept(self) -> None:
        for _ in range(64):  # then let the connected clients have a turn
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _ACCEPT_EXHAUSTED and self._selector is not None:
                    self._selector.unregister(self._listener)
                    self._accept_paused = True
                return
            conn_id = next(self._ids)
            peer = format_peer(address)
            if len(self._conns) >= self.max_clients:
                sock.close()
                self.refused += 1
                reason = f"refused: the server already has {self.max_clients} clients"
                self._on_event(Disconnected(time.time(), conn_id, peer, reason, True))
                continue
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                local = format_peer(sock.getsockname())
            except OSError:
                sock.close()  # it reset before we got to it
                continue
            conn = _Connection(sock, conn_id, peer, local)
            self.total_clients += 1
            self._add(conn)
            self._on_event(Connected(conn.since, conn_id, peer, local))

    def _after_receive(self, conn: _Connection, data: bytes) -> None:
        mode, fixed = self._reply
        if mode == "echo":
            self._queue_bytes(conn, data, bounded=False)
        elif mode == "fixed" and fixed:
            self._queue_bytes(conn, fixed, bounded=False)
        else:
            return
        if conn.queued > REPLY_HIGH_WATER and not conn.paused:
            conn.paused = True
            self._update(conn)

    def _closed(self, conn: _Connection) -> None:
        if self._accept_paused and self._selector is not None and not self.stopping:
            self._accept_paused = False
            self._selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)


def _check_reply_mode(mode: str) -> None:
    if mode not in REPLY_MODES:
        raise ValueError(f"unknown reply mode {mode!r} (none, echo or fixed)")


def _open_file(path: str) -> _File:
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed when sent or when the connection ends
    except FileNotFoundError as exc:
        raise TransferError(f"cannot send {path}: there is no such file") from exc
    except IsADirectoryError as exc:
        raise TransferError(f"cannot send {path}: it is a folder, not a file") from exc
    except PermissionError as exc:
        raise TransferError(f"cannot send {path}: permission denied") from exc
    except OSError as exc:
        raise TransferError(f"cannot send {path}: {exc.strerror or exc}") from exc
    try:
        size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        file.close()
        raise TransferError(f"cannot send {path}: {exc.strerror or exc}") from exc
    return _File(path, file, size)
