"""The selector loop shared by TcpClient and TcpServer: queues, reads, writes and closes.

Other threads never touch a socket: ``send``/``send_all``/``disconnect`` put work on a connection's
queue under a lock and wake the loop (net._loop), which writes while the socket is writable and asks
for EVENT_WRITE only while something is queued. Bytes OpenSSL has already decrypted
(``pending()``) are read without waiting for the selector, which cannot see them.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final

from net._i18n import N_, _
from net._loop import StoppableLoop, is_tls_socket
from net._tcp_conn import Connection, QueuedBytes, QueuedFile, open_file
from net.errors import AddressError, ConnectError, describe_stream_error
from net.events import Disconnected, FileSent, Received, Sent, TcpEvent, TlsInfo

__all__ = [
    "ACCEPT",
    "CLOSED_BY_PEER",
    "MAX_QUEUED_BYTES",
    "REPLY_HIGH_WATER",
    "REPLY_LOW_WATER",
    "IdleWatch",
    "TcpLoop",
    "check_seconds",
    "idle_reason",
    "tls_info",
]

#: Bytes of data that may wait to be sent on one connection before ``send`` refuses more.
MAX_QUEUED_BYTES: Final = 16 * 1024 * 1024
#: A server in echo or fixed-reply mode stops reading a client while this much waits for it...
REPLY_HIGH_WATER: Final = 1024 * 1024
#: ...and reads again once the queue is down to this.
REPLY_LOW_WATER: Final = 256 * 1024

CLOSED_BY_PEER: Final = N_("closed by peer")  # compared as it is; said translated
#: The selector key data of a server's listening socket.
ACCEPT: Final = object()

_RECV_SIZE = 64 * 1024
# Bytes written to one connection per wake-up, so one fast reader cannot starve the others.
_WRITE_BUDGET = 4 * 1024 * 1024
# recv calls per wake-up on a TLS connection while OpenSSL still holds decrypted bytes.
_TLS_READS_PER_WAKE = 16


class TcpLoop(StoppableLoop):
    """The selector loop, queues and event plumbing shared by the client and the server.

    Subclasses fill in the hooks: :meth:`_run_timers`, :meth:`_accept`,
    :meth:`_continue_handshake`, :meth:`_after_receive` and :meth:`_closed`.
    """

    def __init__(self, on_event: Callable[[TcpEvent], None]) -> None:
        super().__init__()
        self._on_event = on_event
        self._lock = threading.Lock()
        self._conns: dict[int, Connection] = {}
        self._dirty: set[int] = set()  # connections whose queue other threads added to
        self._drop: dict[int, str] = {}  # disconnect requests from other threads
        # TLS connections with decrypted bytes waiting inside OpenSSL, which no selector reports.
        self._tls_ready: set[Connection] = set()
        self._selector: selectors.BaseSelector | None = None
        self._loop_thread: int | None = None
        self._started = False
        #: Totals over every connection so far.
        self.bytes_in = 0
        self.bytes_out = 0

    # ---- called from any thread -------------------------------------------------------------

    def _queue_bytes(
        self, conn: Connection, data: bytes, *, bounded: bool = True, heartbeat: bool = False
    ) -> QueuedBytes | None:
        if not data:
            return None
        item = QueuedBytes(bytes(data), heartbeat)
        self._enqueue(conn, item, len(item.data), bounded=bounded)
        return item

    def _queue_file(self, conn: Connection, path: str) -> None:
        item = open_file(path)
        try:
            self._enqueue(conn, item, 0, bounded=False)
        except ConnectError:
            item.file.close()
            raise

    def _enqueue(
        self, conn: Connection, item: QueuedBytes | QueuedFile, size: int, *, bounded: bool
    ) -> None:
        """Append ``item`` (``size`` bytes of data) to ``conn``'s queue and have the loop write it.

        Raises:
            ConnectError: ``conn`` is closed, or (``bounded``) its queue is full.
        """
        on_loop = threading.get_ident() == self._loop_thread
        with self._lock:
            if conn.closed:
                raise ConnectError(_("{peer} is no longer connected").format(peer=conn.peer))
            if bounded and conn.queued and conn.queued + size > MAX_QUEUED_BYTES:
                raise ConnectError(
                    _(
                        "{peer} is not reading what it is sent: {queued:,} bytes are already "
                        "waiting, so nothing more is queued"
                    ).format(peer=conn.peer, queued=conn.queued)
                )
            conn.queue.append(item)
            conn.queued += size
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
                elif target is ACCEPT:
                    self._accept()
                elif isinstance(target, Connection) and not target.closed:
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

    def _continue_handshake(self, conn: Connection) -> None:
        """Hook: a connection whose TLS handshake is still running is ready."""

    def _after_receive(self, conn: Connection, data: bytes) -> None:
        """Hook for the server's reply modes."""

    def _accept(self) -> None:
        """Hook: the server's listening socket is readable."""

    def _closed(self, conn: Connection) -> None:
        """Hook: a connection has just been closed."""

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

    def _add(self, conn: Connection) -> None:
        with self._lock:
            self._conns[conn.conn_id] = conn
        self._update(conn)

    def _update(self, conn: Connection) -> None:
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

    def _read(self, conn: Connection) -> None:
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
            if conn.closed or conn.paused or not conn.pending():
                return
        self._tls_ready.add(conn)  # more decrypted bytes wait; read them on the next turn

    def _write(self, conn: Connection) -> None:
        budget = _WRITE_BUDGET
        while budget > 0 and not conn.closed:
            with self._lock:
                item = conn.queue[0] if conn.queue else None
            if item is None:
                break
            try:
                sent = conn.send(item)
            except conn.would_block:
                break
            except OSError as exc:
                self._write_failed(conn, exc)
                break
            self._count_out(conn, item, sent)
            budget -= sent
        if conn.closed:
            return
        if conn.paused and conn.queued <= REPLY_LOW_WATER:
            conn.paused = False
            if conn.pending():
                self._tls_ready.add(conn)
        if not conn.queue and conn.close_reason is not None:
            self._close(conn, conn.close_reason, error=False)
            return
        self._update(conn)

    def _count_out(self, conn: Connection, item: QueuedBytes | QueuedFile, sent: int) -> None:
        """Count ``sent`` bytes of ``item`` written; once it is all out, drop it and say so."""
        if sent:
            conn.last_out = time.monotonic()
        conn.bytes_out += sent
        self.bytes_out += sent
        done = item.done
        with self._lock:
            if isinstance(item, QueuedBytes):
                conn.queued -= sent
            if done:
                conn.queue.popleft()
        if not done:
            return
        if isinstance(item, QueuedBytes):
            item.view.release()
            self._on_event(
                Sent(time.time(), conn.conn_id, conn.peer, item.data, heartbeat=item.heartbeat)
            )
        else:
            item.file.close()
            self._on_event(FileSent(time.time(), conn.conn_id, conn.peer, item.path, item.offset))

    def _write_failed(self, conn: Connection, exc: OSError) -> None:
        if conn.tls and _is_close_notify(exc):
            # The peer has sent its TLS close_notify, after which OpenSSL writes nothing: what is
            # still queued cannot go out, but the connection ended in order all the same.
            self._close(conn, CLOSED_BY_PEER, error=False)
        else:
            self._close(conn, describe_stream_error(exc, conn.peer), error=True)

    def _close(self, conn: Connection, reason: str, *, error: bool, announce: bool = True) -> None:
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
        conn.shut(leftovers, orderly=not error)
        self._closed(conn)
        if announce:
            said = _(reason)  # CLOSED_BY_PEER is marked with N_; the others are made translated
            self._on_event(Disconnected(time.time(), conn.conn_id, conn.peer, said, error))

    def _close_all(self, reason: str, *, announce: bool) -> None:
        for conn in list(self._conns.values()):
            # A client still in its TLS handshake was never announced, so it leaves quietly.
            self._close(conn, reason, error=False, announce=announce and not conn.handshaking)

    def _begin(self) -> None:
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} runs once; make a new one to start again")
        self._started = True
        self._loop_thread = threading.get_ident()


class IdleWatch:
    """Closes the connections along which nothing was sent or received for ``limit`` seconds.

    Activity only moves a connection's deadline later and a new connection's is later than any
    known one, so the connections are scanned only when the earliest known deadline is due.
    """

    @classmethod
    def optional(cls, limit: float | None) -> IdleWatch | None:
        """A watch for ``limit`` seconds (checked as the user's "idle timeout"); None for None.

        Raises:
            AddressError: ``limit`` is not a number of seconds above 0.
        """
        if limit is None:
            return None
        check_seconds(N_("idle timeout"), limit)
        return cls(limit)

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._next_scan: float | None = None

    def watch(self, conn: Connection) -> None:
        """Count ``conn`` in from now (a new connection, or one whose handshake just ended)."""
        if self._next_scan is None:
            self._next_scan = max(conn.last_in, conn.last_out) + self.limit

    def due(
        self, now: float, conns: Iterable[Connection], close: Callable[[Connection, str], None]
    ) -> float | None:
        """``close`` the connections quiet since ``now - limit`` with :func:`idle_reason`;
        return when the next one may be due (time.monotonic()), or None."""
        if self._next_scan is not None and now < self._next_scan:
            return self._next_scan
        earliest: float | None = None
        for conn in list(conns):
            if conn.handshaking:
                continue  # the handshake deadline watches it
            idle_at = max(conn.last_in, conn.last_out) + self.limit
            if now >= idle_at:
                close(conn, idle_reason(self.limit))
            elif earliest is None or idle_at < earliest:
                earliest = idle_at
        self._next_scan = earliest
        return earliest


def idle_reason(seconds: float) -> str:
    """The sentence for a connection closed after ``seconds`` of silence both ways."""
    return _("nothing was sent or received for {seconds:g} s, so the connection was closed").format(
        seconds=seconds
    )


def check_seconds(what: str, value: float) -> None:
    """Check a time the user gave (``what``, marked with N_) is a number of seconds above 0.

    Raises:
        AddressError: it is not a number, or not above 0 (or absurdly large).
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        raise AddressError(
            _("the {what} must be a number of seconds above 0, not {value!r}").format(
                what=_(what), value=value
            )
        )


def tls_info(sock: socket.socket) -> TlsInfo | None:
    """What a TLS connection's handshake agreed on (version, cipher, the peer's certificate
    fingerprint); None for a plain socket."""
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


def _is_close_notify(exc: OSError) -> bool:
    """Whether a TLS socket's ``exc`` says the peer sent its close_notify (RFC 8446 section 6.1)."""
    import ssl  # loaded: a TLS socket raised exc

    return isinstance(exc, ssl.SSLZeroReturnError)
