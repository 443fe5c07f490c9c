"""The file server: one port that answers HTTP/1.1 and the classic raw dialect, optionally inside TLS.

How it is built (design.md, "File sharing" and "Limits"):

* One selector loop accepts connections, does TLS handshakes, and reads request heads of every
  pending connection, non-blocking, each with a wall-clock deadline. A connection that has not sent
  a complete request never holds a transfer slot, so slow or idle clients cannot exhaust them; a
  larger cap on pending connections closes new ones beyond it (idle persistent connections are
  closed first to make room).
* Complete requests go to a bounded pool of transfer threads (``max_connections``). Bodies go out
  with ``os.sendfile`` (TLS: read + send). Beyond the cap, HTTP gets 503 and raw gets a close.
* Persistent HTTP/1.1 connections are kept (h11 ``start_next_cycle``): between requests they go back
  to the loop, so an idle one holds no slot. A request with a body, or any error, ends with
  ``Connection: close``.
* Errors the loop answers itself (400, 414, 431, 503) are written without blocking, then the
  connection is half-closed and drained for a moment, so the client reads the answer instead of a
  reset.

Sniffing of the two dialects is described in :mod:`net.httpfile`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import io
import itertools
import logging
import os
import selectors
import socket
import ssl
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Literal

import h11

from net._body import BodySender, Cancelled, ShortFile
from net._i18n import N_, _
from net._loop import StoppableLoop, Waker, selector_capacity
from net.address import format_peer, parse_host, parse_port, resolve
from net.errors import BindError, describe_bind_error, describe_stream_error
from net.events import (
    TransferEvent,
    TransferFailed,
    TransferFinished,
    TransferProgress,
    TransferStarted,
)
from net.httpfile import (
    MAX_HEAD_BYTES,
    Target,
    check_head,
    content_disposition,
    evaluate_preconditions,
    file_url_path,
    format_repr_digest,
    http_date,
    if_range_matches,
    make_etag,
    parse_raw_name,
    parse_repr_digest,
    parse_target,
    plan_range,
    render_json,
    sniff,
)
from net.interfaces import local_addresses
from net.share import SharedFile, ShareTable
from net.sharepage import (
    choose_language,
    favicon,
    file_headers,
    https_hint,
    page_headers,
    page_origin,
    render_index,
)
from net.upload import (
    PART_MAX_AGE,
    AuthThrottle,
    FormReceiver,
    Receiver,
    UploadRefused,
    check_basic,
    expire_parts,
    partial_size,
    upload_name,
)
from net.zipstream import MemberChanged, ZipMember, ZipPlan

__all__ = ["FileServer", "TransferEvent", "local_addresses"]

_log = logging.getLogger(__name__)


_SERVER = "socket-workbench"
_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
_PROGRESS_INTERVAL = 0.1  # at most ~10 progress events per second per transfer
_RECV_CHUNK = 256 * 1024  # bytes per read of an upload body
_MIN_BODY_PROGRESS = 16 * 1024  # bytes an upload must bring per idle_timeout (see _BodyPace)
_ZIP_COALESCE = 64 * 1024  # zip pieces smaller than this are gathered before they are sent
_LINGER_BYTES = 1024 * 1024  # drained after an error answer before giving up on a polite close
_REFUSING = 8  # connections beyond the pending cap read only to be refused politely
_REFUSE_TIMEOUT = 1.0  # seconds such a connection gets to send its request line
_ACCEPT_PAUSE = 0.1  # out of file descriptors: stop accepting this long instead of spinning


class _FileSpan:
    """Stands for a file body in h11's ``send_with_data_passthrough``: only its length matters."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length


Phase = Literal["handshake", "head", "closing", "delay"]


class _Conn:
    """One connection while the loop owns it (handshake, request head, or closing)."""

    __slots__ = (
        "body",
        "buf",
        "cycle",
        "deadline",
        "dialect",
        "drained",
        "eof",
        "eof_fed",
        "grace_until",
        "http",
        "mask",
        "out",
        "peer",
        "phase",
        "refuse",
        "shut",
        "since",
        "sock",
        "tls",
    )

    def __init__(self, sock: socket.socket, peer: str, tls: bool, phase: Phase, deadline: float):
        self.sock = sock
        self.peer = peer
        self.tls = tls
        self.phase: Phase = phase
        self.deadline = deadline
        self.buf = bytearray()  # bytes of the current request head (limits and sniffing)
        self.dialect: Literal["http", "raw"] | None = None
        self.grace_until: float | None = None
        self.http: h11.Connection | None = None
        self.eof = False
        self.eof_fed = False
        self.out = b""
        self.shut = False
        self.drained = 0
        self.mask = 0
        self.cycle = 0  # requests already answered on this connection
        self.body: BodySender | None = None  # set while a transfer thread owns the connection
        self.refuse = False  # accepted beyond the pending cap: answered 503 or closed
        self.since = time.monotonic()  # accepted, or back from a transfer thread


@dataclass(frozen=True, slots=True)
class _RawJob:
    entry: SharedFile


@dataclass(frozen=True, slots=True)
class _HttpJob:
    request: h11.Request
    body_done: bool  # the request had no body (or all of it was read)
    first: object = None  # the h11 event after the request (a first piece of its body), if any


class FileServer(StoppableLoop):
    """Serve a :class:`ShareTable` on one port (binds and listens at once).

    Args:
        share: the files to serve; it may change while serving.
        host: address to listen on; "" = every address (IPv6 and IPv4 where the OS allows).
        port: 0 = any free port (then read :attr:`port`).
        raw_dialect: also answer the classic raw dialect (a bare file name).
        ssl_context: a server-side context; every connection then starts with a TLS handshake and
            both dialects run inside TLS.
        max_connections: transfers at once (transfer threads).
        max_pending: connections still sending their request (or idle between requests) at once;
            also never more than the platform's selector takes (512 sockets with select() on
            Windows, see :func:`net._loop.selector_capacity`). Beyond it, idle connections make
            room (keep-alive ones first, then the oldest that sent nothing); when none is idle, a
            few more are read just far enough to answer HTTP with 503 + Retry-After and to close
            raw ones, and any beyond those are closed at once.
        head_timeout: seconds for the TLS handshake plus the whole request head, wall clock.
        idle_timeout: seconds a transfer may wait for the client between writes.
        raw_grace: seconds to wait for more bytes when the first ones could still be either dialect.
        rate_limit: bytes per second per transfer (None = as fast as possible); may be changed
            while serving.
        password: HTTP Basic authentication (RFC 7617) on every HTTP request, any user name;
            without it (or with a wrong one) 401. Wrong passwords are answered after a delay that
            doubles per attempt from the same address (``auth_delay`` seconds first, 8 s at most),
            kept by the loop's timers. Raw requests are closed while a password is set (the raw
            dialect cannot carry one).
        upload_dir: accept uploads into this folder (None = uploads off: PUT/POST/PATCH get 405):
            ``PUT /name``, multipart form POSTs to an index, see :meth:`_receive`.
        max_upload: bytes one upload may have (None = no limit); more gets 413.
        part_max_age: seconds an interrupted resumable upload's ``.part`` is kept after its last
            byte (default 24 h): older ones are removed when the server starts and then at most
            hourly (:func:`net.upload.expire_parts`), and a plain PUT of that name replaces one;
            a newer one makes a plain PUT of the name get 409 with a sentence saying it is kept.
        on_event: transfer events, from transfer threads and the loop, one at a time (never
            concurrently). A request for a name that is not shared (HTTP 404, an unknown raw
            name, a raw name that is not UTF-8) is a TransferStarted + TransferFailed of 0 bytes.
    Raises:
        AddressError: the host is not valid or cannot be resolved.
        BindError: the port cannot be listened on (in use, permission, ...).
    """

    _selector: selectors.BaseSelector
    _pool: concurrent.futures.ThreadPoolExecutor

    def __init__(
        self,
        share: ShareTable,
        host: str = "",
        port: int = 8000,
        *,
        raw_dialect: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 256,
        max_pending: int = 512,
        head_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        raw_grace: float = 0.1,
        rate_limit: float | None = None,
        linger: float = 2.0,
        password: str | None = None,
        auth_delay: float = 0.5,
        upload_dir: str | os.PathLike[str] | None = None,
        max_upload: int | None = None,
        part_max_age: float = PART_MAX_AGE,
        on_event: Callable[[TransferEvent], None] | None = None,
    ) -> None:
        super().__init__()
        self.part_max_age = part_max_age
        self._parts_expired_at: float | None = None  # time.monotonic() of the last expiry
        self.password = password or None
        self.auth = AuthThrottle(auth_delay)
        self.upload_dir = Path(upload_dir) if upload_dir is not None else None
        self.max_upload = max_upload
        self._uploading: set[str] = set()  # names being received (guarded by _lock)
        self.share = share
        self.raw_dialect = raw_dialect
        self.rate_limit = rate_limit
        self._ssl_context = ssl_context
        self._max_connections = max(1, max_connections)
        capacity = selector_capacity()
        cap = max(1, max_pending)
        if capacity is not None:
            cap = min(cap, capacity - _REFUSING)
        self._max_pending = cap
        self._head_timeout = head_timeout
        self._idle_timeout = idle_timeout
        self._raw_grace = raw_grace
        self._linger = linger
        self._on_event = on_event
        self._event_lock = threading.Lock()
        self._lock = threading.Condition()
        self._active = 0  # transfer threads busy (guarded by _lock)
        self._busy: set[socket.socket] = set()  # their sockets, shut down when the server stops
        self._returned: deque[tuple[_Conn, Phase]] = deque()  # handed back by transfer threads
        self._loop_done = False
        self._transfer_ids = itertools.count(1)
        self._pending: set[_Conn] = set()
        self._refused = 0
        self._listener, self._dual_stack = self._opening(lambda: _listen(host, port))
        self.port: int = self._listener.getsockname()[1]
        self._serving = False
        self._closed = False

    # ---- public -----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """Where it listens: "[::]:8000", "0.0.0.0:8000", "127.0.0.1:8000"."""
        return format_peer(self._listener.getsockname())

    @property
    def refused(self) -> int:
        """Connections refused because too many were pending (HTTP answered 503, others closed)."""
        return self._refused

    def urls(self) -> list[str]:
        """Every URL the share can be reached at: LAN addresses first, loopback last."""
        scheme = "https" if self._ssl_context is not None else "http"
        bound = self._listener.getsockname()[0]
        if bound in ("0.0.0.0", "::"):
            hosts = local_addresses(ipv6=self._listener.family == socket.AF_INET6)
        else:
            hosts = [bound]
        return [f"{scheme}://{format_peer((h, self.port))}/" for h in hosts]

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`; then stop every transfer (within about a second) and return."""
        if self._closed:
            raise RuntimeError("this FileServer is closed")
        self._serving = True
        self.expire_parts(now=True)  # uploads abandoned while no server ran
        selector = self.new_selector()
        self._selector = selector
        self._listener.setblocking(False)
        selector.register(self._listener, _READ, None)
        accept_paused_until: float | None = None
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self._max_connections, thread_name_prefix="swb-transfer"
        )
        self._pool = pool
        try:
            while not self.stopping:
                timeout = self._next_timeout(time.monotonic(), accept_paused_until)
                accept = False
                events = selector.select(timeout)
                # The clock is read after the wait: select() may have slept for hours, and a
                # deadline counted from before it would already have passed (issue 12.1).
                now = time.monotonic()
                for key, mask in events:
                    if isinstance(key.data, Waker):
                        key.data.drain()
                    elif key.data is None:
                        accept = True
                    else:
                        self._on_ready(key.data, mask)
                # Accept last, so that places freed by this round's closes count already.
                if accept and not self._accept():
                    selector.unregister(self._listener)
                    accept_paused_until = now + _ACCEPT_PAUSE
                if self.stopping:
                    break
                self._take_returned()
                now = time.monotonic()
                if accept_paused_until is not None and now >= accept_paused_until:
                    accept_paused_until = None
                    selector.register(self._listener, _READ, None)
                self._expire(now)
        finally:
            self._finish(pool)

    def close(self) -> None:
        """Close the listening socket (after :meth:`serve_forever` returned, or instead of it)."""
        if not self._closed:
            self._closed = True
            self._listener.close()
            super().close()

    # ---- the loop: accepting, handshakes, heads ---------------------------------------------

    def _next_timeout(self, now: float, accept_paused_until: float | None) -> float | None:
        soonest = accept_paused_until
        for conn in self._pending:
            when = conn.deadline
            if conn.grace_until is not None and conn.grace_until < when:
                when = conn.grace_until
            if soonest is None or when < soonest:
                soonest = when
        if soonest is None:
            return None
        return max(0.0, soonest - now)

    def _accept(self) -> bool:
        """Accept what is waiting; False when out of file descriptors (pause accepting)."""
        for _accepted in range(64):
            try:
                sock, addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    return False
                continue  # ECONNABORTED and friends: that client is gone already
            refuse = False
            if self._admitted() >= self._max_pending and not self._make_room():
                self._refused += 1
                if len(self._pending) >= self._max_pending + _REFUSING:
                    sock.close()
                    continue
                refuse = True  # read just enough to say 503 (HTTP) or close (raw)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer = format_peer(addr)
            deadline = time.monotonic() + (
                min(self._head_timeout, _REFUSE_TIMEOUT) if refuse else self._head_timeout
            )
            if self._ssl_context is not None:
                try:
                    tls_sock = self._ssl_context.wrap_socket(
                        sock, server_side=True, do_handshake_on_connect=False
                    )
                except (OSError, ValueError):
                    sock.close()
                    continue
                conn = _Conn(tls_sock, peer, True, "handshake", deadline)
            else:
                conn = _Conn(sock, peer, False, "head", deadline)
                if not self.raw_dialect:
                    self._start_http(conn)
            conn.refuse = refuse
            self._pending.add(conn)
            self._watch(conn, _READ)
        return True

    def _admitted(self) -> int:
        """Pending connections that count against the cap (not those being refused)."""
        return sum(1 for conn in self._pending if not conn.refuse)

    def _make_room(self) -> bool:
        """Close one idle connection to make room: a persistent one idle between requests, else
        the oldest that has sent nothing at all (a client with a request sends it at once, so
        only the idle lose their place)."""
        idle = sorted(
            (c for c in self._pending if not c.refuse and not c.buf and c.phase != "closing"),
            key=lambda c: (c.cycle == 0, c.since),
        )
        for conn in idle:
            if _nothing_waiting(conn.sock):
                self._drop(conn)
                return True
        return False

    def _watch(self, conn: _Conn, mask: int) -> None:
        if conn.mask == mask:
            return
        if conn.mask == 0:
            self._selector.register(conn.sock, mask, conn)
        else:
            self._selector.modify(conn.sock, mask, conn)
        conn.mask = mask

    def _unwatch(self, conn: _Conn) -> None:
        if conn.mask:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
            conn.mask = 0

    def _drop(self, conn: _Conn) -> None:
        self._unwatch(conn)
        self._pending.discard(conn)
        with contextlib.suppress(OSError):
            conn.sock.close()

    def _on_ready(self, conn: _Conn, mask: int) -> None:
        if conn not in self._pending:
            return
        if conn.phase == "handshake":
            self._handshake(conn)
        elif conn.phase == "head":
            self._read_head(conn)
        else:
            self._closing(conn)

    def _handshake(self, conn: _Conn) -> None:
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(conn, _READ)
            return
        except ssl.SSLWantWriteError:
            self._watch(conn, _WRITE)
            return
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError: a failed handshake
            if getattr(exc, "reason", None) == "HTTP_REQUEST":
                self._hint_https(conn)
            else:
                self._drop(conn)
            return
        conn.phase = "head"
        if not self.raw_dialect:
            self._start_http(conn)
        self._watch(conn, _READ)
        self._read_head(conn)  # application data may already sit in the TLS buffer

    def _hint_https(self, conn: _Conn) -> None:
        """Answer plain HTTP sent to the TLS port with a 400 page that names the https:// URL
        (nginx's 497 "The plain HTTP request was sent to HTTPS port"), instead of a reset."""
        self._unwatch(conn)
        plain = socket.socket(fileno=conn.sock.detach())
        try:
            plain.setblocking(False)
            try:
                received = plain.recv(MAX_HEAD_BYTES)
            except (BlockingIOError, InterruptedError):
                received = b""
            _url, page = https_hint(received, plain.getsockname())
        except OSError:
            self._pending.discard(conn)
            plain.close()
            return
        conn.sock = plain
        conn.tls = False
        self._reject(conn, 400, page, "text/html; charset=utf-8")

    def _read_head(self, conn: _Conn) -> None:
        while len(conn.buf) <= MAX_HEAD_BYTES + 1024 and not conn.eof:
            if conn.tls and not self._tls_readable(conn):
                break
            try:
                data = conn.sock.recv(64 * 1024)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                break
            except ssl.SSLWantWriteError:
                self._watch(conn, _WRITE)
                break
            except (OSError, ValueError):
                self._drop(conn)
                return
            if not data:
                conn.eof = True
                break
            conn.buf += data
            if conn.http is not None:
                conn.http.receive_data(data)
        self._advance(conn, time.monotonic())

    @staticmethod
    def _tls_readable(conn: _Conn) -> bool:
        """Whether a TLS read may find bytes; a client's FIN is noted here, below TLS.

        A client may half-close its socket right after its request (nc, scripts). If OpenSSL 3
        read that end of the stream itself, it would take it for a truncation attack, mark the
        connection broken and refuse to send the answer; noticed on the plain socket, it is just
        the end of the request (TLS 1.3 allows half-closed connections).
        """
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        if sock.pending():
            return True
        try:
            peeked = socket.socket.recv(sock, 1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True  # a reset: the TLS read reports it
        if not peeked:
            conn.eof = True
            return False
        return True

    def _advance(self, conn: _Conn, now: float) -> None:
        """Move a connection in the head phase as far as the bytes it sent allow."""
        if conn.dialect is None:
            if not conn.buf:
                if conn.eof:
                    self._drop(conn)
                return
            final = conn.eof or (conn.grace_until is not None and now >= conn.grace_until)
            verdict = sniff(bytes(conn.buf), self.share.__contains__, final=final)
            if verdict == "more":
                if conn.grace_until is None:
                    conn.grace_until = now + self._raw_grace
                return
            conn.grace_until = None
            if verdict == "raw":
                self._start_raw(conn)
                return
            self._start_http(conn)
            assert conn.http is not None
            conn.http.receive_data(bytes(conn.buf))
        if conn.dialect == "http":
            self._advance_http(conn)

    def _start_http(self, conn: _Conn) -> None:
        conn.dialect = "http"
        # h11's own limit sits above ours so that check_head() decides between 414 and 431.
        conn.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES + 4096)

    def _advance_http(self, conn: _Conn) -> None:
        http = conn.http
        assert http is not None
        verdict = check_head(conn.buf)
        if verdict.status is not None:
            self._reject(conn, verdict.status)
            return
        if conn.eof and not conn.eof_fed:
            conn.eof_fed = True
            http.receive_data(b"")
        try:
            event = http.next_event()
        except h11.RemoteProtocolError as exc:
            self._reject(conn, exc.error_status_hint)
            return
        if event is h11.NEED_DATA:
            if conn.eof:
                self._drop(conn)
            else:
                self._watch(conn, _READ)
            return
        if not isinstance(event, h11.Request):  # ConnectionClosed, or PAUSED after an error
            self._drop(conn)
            return
        if self.password is not None and not self._authorized(conn, event):
            return
        first: object = None
        try:
            first = http.next_event()
        except h11.RemoteProtocolError:
            first = None
        body_done = isinstance(first, h11.EndOfMessage)
        self._dispatch(conn, _HttpJob(event, body_done, first))

    def _authorized(self, conn: _Conn, request: h11.Request) -> bool:
        """Check the request's password; when wrong or missing, answer 401 from the loop (after
        the address's delay for a wrong one: the connection waits in phase "delay", unwatched)."""
        password = self.password
        assert password is not None
        given = _header(request, b"authorization")
        host = _peer_host(conn.peer)
        if check_basic(given, password):
            self.auth.succeeded(host)
            return True
        delay = self.auth.failed(host) if given is not None else 0.0
        if given is not None:
            self._report_unknown(conn, _target_name(request), "http", _("wrong password"))
        if delay <= 0:
            self._reject(conn, 401)
            return False
        self._unwatch(conn)
        conn.phase = "delay"
        conn.deadline = time.monotonic() + delay
        conn.grace_until = None
        return False

    def _start_raw(self, conn: _Conn) -> None:
        conn.dialect = "raw"
        data = bytes(conn.buf)
        name = parse_raw_name(data)
        entry = self.share.lookup(name) if name is not None else None
        if entry is not None and self.password is not None:
            self._report_unknown(
                conn,
                entry.name,
                "raw",
                _("raw is refused: the share has a password, raw cannot send one"),
            )
            self._drop(conn)
            return
        if entry is None:
            # The classic answer to an unknown name: close, say nothing; the user sees it.
            shown, reason = _unknown_raw_name(data)
            self._report_unknown(conn, shown, "raw", reason)
            self._drop(conn)
            return
        self._dispatch(conn, _RawJob(entry))

    def _dispatch(self, conn: _Conn, job: _HttpJob | _RawJob) -> None:
        with self._lock:
            full = conn.refuse or self._active >= self._max_connections
            if not full:
                self._active += 1
                self._busy.add(conn.sock)
        if full:
            if isinstance(job, _HttpJob):
                self._reject(conn, 503)
            else:
                self._drop(conn)
            return
        self._unwatch(conn)
        self._pending.discard(conn)
        try:
            self._pool.submit(self._transfer, conn, job)
        except RuntimeError:  # the pool is shutting down
            with self._lock:
                self._active -= 1
                self._busy.discard(conn.sock)
                self._lock.notify_all()
            with contextlib.suppress(OSError):
                conn.sock.close()

    def _reject(
        self, conn: _Conn, status: int, body: bytes | None = None, content: str | None = None
    ) -> None:
        """Answer an error from the loop, then close politely (see :meth:`_closing`)."""
        extra = [("WWW-Authenticate", _CHALLENGE)] if status == 401 else []
        conn.out = _error_response(status, body, content, extra)
        conn.phase = "closing"
        conn.deadline = time.monotonic() + self._linger
        conn.grace_until = None
        self._closing(conn)

    def _closing(self, conn: _Conn) -> None:
        """Write what is left, half-close, and read until the client closes (or the linger ends)."""
        sock = conn.sock
        while conn.out:
            try:
                sent = sock.send(conn.out)
            except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
                self._watch(conn, _WRITE)
                return
            except ssl.SSLWantReadError:
                self._watch(conn, _READ)
                return
            except (OSError, ValueError):
                self._drop(conn)
                return
            conn.out = conn.out[sent:]
        if not conn.shut:
            conn.shut = True
            try:
                socket.socket.shutdown(sock, socket.SHUT_WR)
            except OSError:
                self._drop(conn)
                return
        self._watch(conn, _READ)
        while True:
            try:
                # The raw socket's recv, even under TLS: these bytes are only thrown away.
                data = socket.socket.recv(sock, 64 * 1024)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(conn)
                return
            conn.drained += len(data)
            if not data or conn.drained > _LINGER_BYTES:
                self._drop(conn)
                return

    def _expire(self, now: float) -> None:
        for conn in list(self._pending):
            if conn.phase == "delay":
                if now >= conn.deadline:
                    self._reject(conn, 401)
                continue
            if conn.grace_until is not None and now >= conn.grace_until and conn.dialect is None:
                self._advance(conn, now)
                if conn not in self._pending:
                    continue
            if now >= conn.deadline:
                self._drop(conn)  # nginx does the same on client_header_timeout

    def _take_returned(self) -> None:
        while True:
            with self._lock:
                if not self._returned:
                    return
                conn, phase = self._returned.popleft()
            try:
                conn.sock.setblocking(False)
            except OSError:
                with contextlib.suppress(OSError):
                    conn.sock.close()
                continue
            if self._admitted() >= self._max_pending:
                # No place to wait for its next request: a persistent connection may be closed
                # between requests (RFC 9112 §9.6), the client opens a new one. It goes rather
                # than a new connection whose request may be on its way.
                with contextlib.suppress(OSError):
                    conn.sock.close()
                continue
            self._pending.add(conn)
            now = time.monotonic()
            if phase == "closing":
                conn.phase = "closing"
                conn.deadline = now + self._linger
                self._closing(conn)
                continue
            conn.phase = "head"
            conn.cycle += 1
            conn.since = now
            conn.deadline = now + self._head_timeout
            http = conn.http
            assert http is not None
            # Bytes of a pipelined next request that h11 already holds count toward its head.
            conn.buf = bytearray(http.trailing_data[0])
            self._advance_http(conn)

    def _finish(self, pool: concurrent.futures.ThreadPoolExecutor) -> None:
        """Stop the transfers in flight, then close everything the loop still holds."""
        with self._lock:
            self._loop_done = True
            busy = list(self._busy)
        for sock in busy:
            with contextlib.suppress(OSError):
                # shutdown() (unlike close()) wakes a thread blocked on this socket; the plain
                # socket method also works under TLS without touching the TLS object.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        with self._lock:
            done = self._lock.wait_for(lambda: self._active == 0, timeout=1.5)
            returned = list(self._returned)
            self._returned.clear()
        pool.shutdown(wait=done, cancel_futures=True)
        for conn, _phase in returned:
            with contextlib.suppress(OSError):
                conn.sock.close()
        for conn in list(self._pending):
            self._drop(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(self._listener)
        self._selector.close()

    # ---- transfer threads ---------------------------------------------------------------------

    def _transfer(self, conn: _Conn, job: _HttpJob | _RawJob) -> None:
        phase: Phase | None = None
        try:
            # Non-blocking: every wait for the client goes through BodySender.await_room, whose
            # idle clock runs from the client's last progress (a socket timeout would run per call).
            conn.sock.settimeout(0.0)
            conn.body = BodySender(
                conn.sock,
                idle_timeout=self._idle_timeout,
                stopping=lambda: self.stopping,
                wait_stopped=self.wait_stopped,
                rate_limit=lambda: self.rate_limit,
            )
            if isinstance(job, _RawJob):
                phase = self._send_raw(conn, job.entry)
            else:
                phase = self._answer_http(conn, job)
        except (OSError, ValueError, Cancelled, h11.LocalProtocolError):
            phase = None  # the peer is gone or broke the protocol: nothing more to say to it
        except Exception:
            # A bug of ours: the connection ends, the loop and the other transfers go on, and
            # the log says what happened (the traceback only at debug level).
            phase = None
            _log.error("file server: internal error answering %s", conn.peer, exc_info=False)
            _log.debug("file server: internal error", exc_info=True)
        finally:
            conn.body = None
            with self._lock:
                self._busy.discard(conn.sock)
                self._active -= 1
                keep = phase is not None and not self._loop_done
                if keep:
                    assert phase is not None
                    self._returned.append((conn, phase))
                self._lock.notify_all()
            if keep:
                self._waker.wake()
            else:
                with contextlib.suppress(OSError):
                    conn.sock.close()

    def _answer_http(self, conn: _Conn, job: _HttpJob) -> Phase | None:
        http = conn.http
        assert http is not None
        request = job.request
        keep_alive = job.body_done and not self.stopping
        head_only = request.method == b"HEAD"
        target = parse_target(request.target)
        if not request.http_version.startswith(b"1."):
            self._send_simple(
                conn, 505, b"Only HTTP/1.x is spoken here.\n", keep_alive=False, head_only=False
            )
        elif request.method in (b"PUT", b"PATCH") and self.upload_dir is not None:
            return self._receive(conn, job, target)
        elif request.method == b"POST" and self.upload_dir is not None and target.kind == "index":
            return self._receive_form(conn, job)
        elif (
            head_only
            and self.upload_dir is not None
            and _header(request, b"upload-draft-interop-version") is not None
        ):
            self._send_offset(conn, target, keep_alive=keep_alive)
        elif request.method not in (b"GET", b"HEAD"):
            uploads = self.upload_dir is not None
            self._send_simple(
                conn,
                405,
                b"Only GET, HEAD, PUT, PATCH and POST (a form, to /) are supported.\n"
                if uploads
                else b"Only GET and HEAD are supported (uploads are off).\n",
                keep_alive=False,
                extra=[("Allow", "GET, HEAD, PUT, PATCH, POST" if uploads else "GET, HEAD")],
                head_only=False,
            )
        elif target.kind == "bad":
            self._send_simple(
                conn, 400, b"Bad request target.\n", keep_alive=False, head_only=head_only
            )
        elif _header(request, b"service-worker") is not None:
            # Service Workers §4.6: a worker script fetch says so; nothing here is one.
            self._send_simple(
                conn, 403, b"No service workers here.\n", keep_alive=keep_alive, head_only=head_only
            )
        elif target.kind in ("index", "json", "zip"):
            if target.name:
                self.share.rescan(target.name)  # at most every RESCAN_AFTER seconds
            offset = (target.page - 1) * target.per_page
            listing = (
                self.share.page(target.name, offset, target.per_page)
                if target.kind != "zip"
                else self.share.page(target.name, 0, 0)
            )
            if listing is None:
                self._report_unknown(
                    conn, target.name[:_SHOWN_NAME] + "/", "http", _("no such folder is shared")
                )
                self._send_simple(
                    conn,
                    404,
                    b"No folder by that name is shared here.\n",
                    keep_alive=keep_alive,
                    head_only=head_only,
                )
            elif target.kind == "zip":
                if not self._send_zip(conn, request, target.name, keep_alive=keep_alive):
                    return None
            else:
                folders, files, total = listing
                sizes = [(d, *self.share.folder_size(d.name)) for d in folders]
                paging = _page_links(target, total)
                if target.kind == "json":
                    body = render_json(files, [(d, size) for d, _count, size in sizes])
                    self._send_simple(
                        conn,
                        200,
                        body,
                        content="application/json",
                        extra=[("Cache-Control", "no-store"), *paging],
                        keep_alive=keep_alive,
                        head_only=head_only,
                    )
                else:
                    language = choose_language(_text_header(request, b"accept-language"))
                    origin = page_origin(
                        _header(request, b"host"), conn.sock.getsockname(), tls=conn.tls
                    )
                    uploads = self.upload_dir is not None
                    page = render_index(
                        files,
                        language=language,
                        origin=origin,
                        folder=target.name,
                        folders=sizes,
                        uploads=uploads,
                        page=(target.page, target.per_page, total)
                        if paging or target.page > 1
                        else None,
                    )
                    self._send_simple(
                        conn,
                        200,
                        page,
                        content="text/html; charset=utf-8",
                        extra=[
                            *page_headers("index", uploads=uploads),
                            ("Cache-Control", "no-store"),
                            *paging,
                        ],
                        keep_alive=keep_alive,
                        head_only=head_only,
                    )
        elif target == _FAVICON and target.name not in self.share and favicon() is not None:
            self._send_simple(
                conn,
                200,
                favicon() or b"",
                content="image/x-icon",
                extra=[("Cache-Control", "max-age=86400")],
                keep_alive=keep_alive,
                head_only=head_only,
            )
        elif target.kind == "file" and (folder := self.share.folder(target.name)) is not None:
            # "/photos" names a folder: its index is at "/photos/" (what nginx and Apache do), so
            # that the page's relative links resolve inside it.
            self._send_simple(
                conn,
                301,
                b"The folder's index is at the same address with a trailing /.\n",
                keep_alive=keep_alive,
                head_only=head_only,
                extra=[("Location", file_url_path(folder.name, folder=True))],
            )
        else:
            entry = self.share.lookup(target.name) if target.kind == "file" else None
            if entry is None:
                asked = target.name or request.target.decode("utf-8", "backslashreplace")
                self._report_unknown(conn, asked[:_SHOWN_NAME], "http", _("no such file is shared"))
            if not self._send_file(conn, request, entry, keep_alive=keep_alive):
                return None
        if keep_alive and http.our_state is h11.DONE and http.their_state is h11.DONE:
            http.start_next_cycle()
            return "head"
        return "closing"

    # ---- uploads (transfer threads) -------------------------------------------------------

    def _receive(self, conn: _Conn, job: _HttpJob, target: Target) -> Phase | None:
        """``PUT /name`` (curl -T) and ``PATCH /name``: store the body as ``name`` in the upload
        folder.

        201 when stored; 409 when the name exists (never overwritten) or another upload of it is
        running; 413 when the body is over ``max_upload`` (by Content-Length before a byte is
        stored, or cut while a chunked body arrives); 400 for a ``Repr-Digest`` (RFC 9530, the
        whole file's SHA-256) that does not match; a client silent for ``idle_timeout`` is cut.
        ``Expect: 100-continue`` (RFC 9110 §10.1.1) is answered only once the upload is
        accepted, so a refused one sends no body.

        Resumable uploads follow draft-ietf-httpbis-resumable-upload-05, with the file's URL as
        the upload resource: a PUT with ``Upload-Complete`` keeps its ``.part`` when it is cut
        (``?0``: the client sends the rest later); ``HEAD /name`` with
        ``Upload-Draft-Interop-Version`` tells the ``Upload-Offset``; ``PATCH /name`` with
        ``Upload-Offset`` (and ``Content-Type: application/partial-upload``) appends, 409 with
        the right ``Upload-Offset`` when it is not where the upload stopped; ``Upload-Complete:
        ?1`` ends it. Without ``Upload-Complete`` nothing is left behind but a complete file.
        """
        request = job.request
        patch = request.method == b"PATCH"
        if target.kind != "file" or not target.name:
            return self._refuse(conn, 400, "Uploads need a file name: PUT /name.")
        folder = self.upload_dir
        assert folder is not None
        name = upload_name(target.name)
        complete_text = _text_header(request, b"upload-complete")
        complete = _sf_boolean(complete_text)
        if complete_text is not None and complete is None:
            return self._refuse(conn, 400, "Upload-Complete must be ?0 or ?1.")
        offset = 0
        if patch:
            offset_text = _text_header(request, b"upload-offset") or ""
            if not offset_text.isdigit() or len(offset_text) > 19 or complete is None:
                return self._refuse(
                    conn, 400, "PATCH needs Upload-Offset and Upload-Complete (resumable uploads)."
                )
            offset = int(offset_text)
        length_text = _text_header(request, b"content-length")
        length = int(length_text) if length_text is not None else None  # h11 checked the digits
        limit = self.max_upload
        if limit is not None and offset + (length or 0) > limit:
            return self._refuse(conn, 413, f"Uploads may have at most {limit:,} bytes.")
        digest_text = _text_header(request, b"repr-digest")
        expected = parse_repr_digest(digest_text) if digest_text is not None else None
        if digest_text is not None and expected is None:
            return self._refuse(conn, 400, "Repr-Digest must carry a sha-256 (RFC 9530).")
        self.expire_parts()
        with self._lock:
            busy = name in self._uploading
            self._uploading.add(name)
        if busy:
            return self._refuse(conn, 409, f"{name} is being uploaded right now.")
        try:
            return self._store(conn, job, folder, name, offset, length, expected, complete, patch)
        finally:
            with self._lock:
                self._uploading.discard(name)

    def expire_parts(self, *, now: bool = False) -> None:
        """Remove abandoned ``.part`` files from the upload folder (see ``part_max_age``): when
        ``now``, or when the last look is an hour old (or ``part_max_age``, when shorter)."""
        if self.upload_dir is None:
            return
        clock = time.monotonic()
        with self._lock:
            last = self._parts_expired_at
            if not now and last is not None and clock - last < min(3600.0, self.part_max_age):
                return
            self._parts_expired_at = clock
        expire_parts(self.upload_dir, self.part_max_age)

    def _receive_form(self, conn: _Conn, job: _HttpJob) -> Phase | None:
        """``POST /`` with ``multipart/form-data`` (the share page's form, ``curl -F``): every
        file of the form is stored in the upload folder, under a new name ("name (2).ext") when
        its name is taken. Each file is a transfer ("in"); each is complete when stored, so a
        form cut in the middle keeps the files before the cut and drops the one being sent.
        Answers 303 to the index (POST/redirect/GET), 413/415/400 otherwise."""
        folder = self.upload_dir
        assert folder is not None
        content_type = _text_header(job.request, b"content-type") or ""
        current: list[tuple[int, str]] = []  # (transfer id, name) of the file being received

        def on_file(name: str, size: int | None) -> None:
            if size is None:
                tid = next(self._transfer_ids)
                current[:] = [(tid, name)]
                dialect = _dialect(conn, "http")
                self._emit(TransferStarted(time.time(), tid, conn.peer, name, dialect, 0, 0, "in"))
            else:
                self._emit(TransferFinished(time.time(), current[0][0], size))
                current.clear()

        def failed(reason: str, stopped: bool = False) -> None:
            if current:
                self._emit(TransferFailed(time.time(), current[0][0], 0, reason, stopped))

        try:
            form = FormReceiver(folder, content_type, max_file=self.max_upload, on_file=on_file)
        except UploadRefused as exc:
            return self._refuse(conn, exc.status, str(exc))
        http = conn.http
        assert http is not None
        event = job.first
        pace = _BodyPace(self._idle_timeout)
        try:
            if http.they_are_waiting_for_100_continue:
                self._body(conn).send(
                    http.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            while True:
                if event is None or event is h11.NEED_DATA:
                    event = self._next_body_event(conn, pace)
                if isinstance(event, h11.Data):
                    form.feed(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
                event = None
            stored = form.close()
        except UploadRefused as exc:
            form.abort()
            failed(str(exc))
            return self._refuse(conn, exc.status, str(exc))
        except (h11.RemoteProtocolError, Cancelled, OSError) as exc:
            form.abort()
            stopped = self.stopping
            reason = (
                _("the server was stopped")
                if stopped
                else describe_stream_error(exc, conn.peer, receiving=False)
                if isinstance(exc, OSError)
                else _("{peer} ended the upload before all of it arrived").format(peer=conn.peer)
            )
            failed(reason, stopped)
            return None
        for path in stored[:1]:
            self._uploaded(path)
        names = "".join(f"Stored {path.name}\n" for path in stored) or "No file was sent.\n"
        self._send_simple(
            conn,
            303,
            names.encode(),
            keep_alive=False,
            head_only=False,
            extra=[("Location", "/")],
        )
        return "closing"

    def _store(
        self,
        conn: _Conn,
        job: _HttpJob,
        folder: Path,
        name: str,
        offset: int,
        length: int | None,
        expected: bytes | None,
        complete: bool | None,
        patch: bool,
    ) -> Phase | None:
        """The body of :meth:`_receive` once the upload of ``name`` is ours alone."""
        try:
            if patch:
                receiver = Receiver.resume(folder, name, offset, expected=expected)
            else:
                receiver = Receiver(
                    folder,
                    name,
                    expected=expected,
                    resumable=complete is not None,
                    part_max_age=self.part_max_age,
                )
        except UploadRefused as exc:
            held = [] if exc.offset is None else [("Upload-Offset", str(exc.offset))]
            return self._refuse(conn, exc.status, str(exc), held)
        http = conn.http
        assert http is not None
        try:
            if http.they_are_waiting_for_100_continue:
                self._body(conn).send(
                    http.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            stored = self._take_body(conn, job, receiver, name, length, complete is not False)
        finally:
            receiver.abort(keep=True)  # a no-op unless it broke off; _take_body decided
        if stored is None:
            return None
        if isinstance(stored, UploadRefused):
            return self._refuse(conn, stored.status, str(stored))
        if isinstance(stored, int):
            text = f"Holding {stored:,} bytes of {name}; send the rest with PATCH.\n"
            self._send_simple(
                conn,
                200 if patch else 201,
                text.encode(),
                keep_alive=False,
                head_only=False,
                extra=[("Upload-Offset", str(stored)), ("Upload-Complete", "?0")],
            )
            return "closing"
        self._uploaded(stored)
        body = f"Stored {stored.name} ({receiver.received:,} bytes).\n".encode()
        self._send_simple(
            conn,
            201,
            body,
            keep_alive=False,
            head_only=False,
            extra=[
                ("Location", file_url_path(stored.name, folder=False)),
                ("Repr-Digest", format_repr_digest(receiver.sha256)),
                ("Upload-Offset", str(receiver.received)),
                ("Upload-Complete", "?1"),
            ],
        )
        return "closing"

    def _send_offset(self, conn: _Conn, target: Target, *, keep_alive: bool) -> None:
        """``HEAD /name`` with ``Upload-Draft-Interop-Version``: where an interrupted resumable
        upload of ``name`` stopped (``Upload-Offset``), or 404 when there is none."""
        folder = self.upload_dir
        assert folder is not None
        held = partial_size(folder, upload_name(target.name)) if target.name else None
        if held is None:
            self._send_simple(
                conn,
                404,
                b"No upload of that name to resume.\n",
                keep_alive=keep_alive,
                head_only=True,
            )
            return
        self._send_simple(
            conn,
            200,
            b"",
            keep_alive=keep_alive,
            head_only=True,
            extra=[
                ("Upload-Offset", str(held)),
                ("Upload-Complete", "?0"),
                ("Cache-Control", "no-store"),
            ],
        )

    def _take_body(
        self,
        conn: _Conn,
        job: _HttpJob,
        receiver: Receiver,
        name: str,
        length: int | None,
        complete: bool,
    ) -> Path | UploadRefused | int | None:
        """Read the request body into ``receiver`` with transfer events; the stored path, the
        bytes held when the client said the upload is not complete yet, the refusal to answer
        with, or None when the connection broke (the event says why). A failed upload's
        ``.part`` is gone (or, resumable and cut, closed) before its TransferFailed is emitted."""
        limit = self.max_upload
        start = receiver.received
        tid = next(self._transfer_ids)
        dialect = _dialect(conn, "http")
        self._emit(
            TransferStarted(time.time(), tid, conn.peer, name, dialect, start, length or 0, "in")
        )
        progress = _Progress(self, tid, length or 0)
        pace = _BodyPace(self._idle_timeout)

        def failed(reason: str, stopped: bool = False, *, keep: bool = False) -> None:
            receiver.abort(keep=keep)
            done = receiver.received - start
            self._emit(TransferFailed(time.time(), tid, done, reason, stopped))

        event = job.first
        try:
            first = job.first
            if length is not None and (
                first in (None, h11.NEED_DATA) or isinstance(first, h11.Data)
            ):
                # Uploads always close the connection after their answer, so a body of known
                # length can bypass h11, whose receive buffer copies every byte twice: the piece
                # h11 parsed with the head (a client sends the body right behind it), what h11
                # holds already, then the socket straight into the hashing buffers (h11 may
                # answer while the client is still in SEND_BODY: the 201 then closes).
                if isinstance(first, h11.Data):
                    receiver.write(first.data)
                    length -= len(first.data)
                self._read_body(conn, receiver, length, limit, progress, pace, start)
                event = h11.EndOfMessage()
            while True:
                if event is None or event is h11.NEED_DATA:
                    event = self._next_body_event(conn, pace)
                if isinstance(event, h11.Data):
                    if limit is not None and receiver.received + len(event.data) > limit:
                        refused = UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")
                        failed(str(refused))
                        return refused
                    receiver.write(event.data)
                    progress.update(receiver.received - start)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
                event = None
            if not complete:
                receiver.abort(keep=True)
                self._emit(TransferFinished(time.time(), tid, receiver.received - start))
                return receiver.received
            path = receiver.finish()
        except UploadRefused as exc:
            failed(str(exc))
            return exc
        except h11.RemoteProtocolError:
            failed(
                _("{peer} ended the upload before all of it arrived").format(peer=conn.peer),
                keep=True,
            )
            return None
        except Cancelled:
            failed(_("the server was stopped"), True, keep=True)
            return None
        except OSError as exc:
            stopped = self.stopping
            reason = (
                _("the server was stopped")
                if stopped
                else describe_stream_error(exc, conn.peer, receiving=False)
            )
            failed(reason, stopped, keep=True)
            return None
        except Exception as exc:
            failed(_internal_error(tid, name, exc))
            return None
        self._emit(TransferFinished(time.time(), tid, receiver.received - start))
        return path

    def _read_body(
        self,
        conn: _Conn,
        receiver: Receiver,
        length: int,
        limit: int | None,
        progress: _Progress,
        pace: _BodyPace,
        start: int,
    ) -> None:
        """Read a ``Content-Length`` body of ``length`` bytes into ``receiver`` without h11 (see
        :meth:`_take_body`): UploadRefused (413) past ``limit``; ConnectionResetError when the
        client closes early; Cancelled when the server stops; TimeoutError when it goes silent."""
        http = conn.http
        assert http is not None
        held, _closed = http.trailing_data
        left = length
        if held:
            taken = bytes(held[:left])
            left -= len(taken)
            receiver.write(taken)
        body = self._body(conn)
        while left:
            if limit is not None and receiver.received > limit:
                raise UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")
            if self.stopping:
                raise Cancelled
            room = receiver.room()  # received straight into the hashing thread's buffer
            try:
                count = conn.sock.recv_into(room[:left])
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                body.await_room(readable=True)
                continue
            except ssl.SSLWantWriteError:
                body.await_room()
                continue
            if not count:
                raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
            pace.took(count)
            receiver.commit(count)
            left -= count
            progress.update(receiver.received - start)
        if limit is not None and receiver.received > limit:
            raise UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")

    def _next_body_event(self, conn: _Conn, pace: _BodyPace) -> object:
        """The next h11 event of the request body, reading from the client as needed (waits go
        through :meth:`BodySender.await_room`: TimeoutError after ``idle_timeout`` of silence,
        and from ``pace`` when the client trickles: see :class:`_BodyPace`)."""
        http = conn.http
        assert http is not None
        body = self._body(conn)
        while True:
            event = http.next_event()
            if event is not h11.NEED_DATA:
                return event
            if self.stopping:
                raise Cancelled
            try:
                data = conn.sock.recv(_RECV_CHUNK)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                body.await_room(readable=True)
                continue
            except ssl.SSLWantWriteError:
                body.await_room()
                continue
            pace.took(len(data))
            http.receive_data(data)

    def _refuse(
        self, conn: _Conn, status: int, text: str, extra: list[tuple[str, str]] | None = None
    ) -> Phase:
        """Answer an upload that is not taken, and close (the body, if any, is drained)."""
        self._send_simple(
            conn, status, (text + "\n").encode(), keep_alive=False, head_only=False, extra=extra
        )
        return "closing"

    def _uploaded(self, path: Path) -> None:
        """A received file is downloadable at once when the upload folder is a shared folder (or
        inside one): that folder is walked again now. Otherwise it is not shared."""
        folder = path.parent
        for shared in self.share.shared_folders():
            if folder == shared.path or shared.path in folder.parents:
                self.share.rescan(shared.name, max_age=0)

    def _send_simple(
        self,
        conn: _Conn,
        status: int,
        body: bytes,
        *,
        keep_alive: bool,
        head_only: bool,
        content: str = "text/plain; charset=utf-8",
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        http = conn.http
        assert http is not None
        headers = [
            *_common_headers(),
            ("Content-Type", content),
            ("Content-Length", str(len(body))),
            *(extra or []),
        ]
        if not any(name == "Content-Security-Policy" for name, _value in headers):
            headers += page_headers("locked")
        if not keep_alive:
            headers.append(("Connection", "close"))
        data = http.send(h11.Response(status_code=status, headers=headers, reason=_reason(status)))
        if not head_only and body:
            data += http.send(h11.Data(data=body)) or b""
        data += http.send(h11.EndOfMessage()) or b""
        self._body(conn).send(data or b"")

    def _send_zip(
        self, conn: _Conn, request: h11.Request, folder: str, *, keep_alive: bool
    ) -> bool:
        """Answer ``?format=zip`` for a folder ("" = the whole share) with a zip made while it
        is sent (:mod:`net.zipstream`); False when the connection broke during the body.

        The archive's length is exact (stored members, sizes known), so the answer carries a
        Content-Length and HEAD gets the same headers. Files are stat()ed now; one that changed
        size by the time it is read ends the transfer (the client sees a short body).
        """
        folders, files = self.share.tree(folder)
        members = [ZipMember(d.name + "/", 0, d.mtime) for d in folders]
        for f in files:
            try:
                st = f.path.stat()
            except OSError:
                continue  # gone since the last walk: left out of the archive
            if stat.S_ISREG(st.st_mode):
                members.append(ZipMember(f.name, st.st_size, st.st_mtime, f))
        members.sort(key=lambda m: m.name)  # a folder ("a/") before what it holds ("a/b")
        plan = ZipPlan(members)
        base = folder.rpartition("/")[2] if folder else "shared files"
        headers = [
            *_common_headers(),
            ("Content-Type", "application/zip"),
            ("Content-Disposition", content_disposition(base + ".zip", inline=False)),
            ("Content-Length", str(plan.length)),
            ("Cache-Control", "no-store"),
            *page_headers("locked"),
        ]
        if not keep_alive:
            headers.append(("Connection", "close"))
        http = conn.http
        assert http is not None
        head = http.send(h11.Response(status_code=200, headers=headers, reason=_reason(200)))
        if request.method == b"HEAD":
            self._body(conn).send((head or b"") + (http.send(h11.EndOfMessage()) or b""))
            return True
        self._body(conn).send(head or b"")
        if not self._stream_zip(conn, plan, base + ".zip"):
            return False
        http.send_with_data_passthrough(h11.Data(data=_FileSpan(plan.length)))  # type: ignore[arg-type]
        http.send(h11.EndOfMessage())
        return True

    def _stream_zip(self, conn: _Conn, plan: ZipPlan, name: str) -> bool:
        """Send the archive with transfer events; False on failure (see :meth:`_stream`)."""
        tid = next(self._transfer_ids)
        self._emit(
            TransferStarted(
                time.time(), tid, conn.peer, name, _dialect(conn, "http"), 0, plan.length
            )
        )
        progress = _Progress(self, tid, plan.length)
        body = self._body(conn)
        limited = _RateLimiter(lambda: self.rate_limit, self.wait_stopped)
        pending = bytearray()  # headers and small files, sent together: fewer sends
        try:
            for chunk in plan.chunks(_open_member):
                if len(chunk) < _ZIP_COALESCE:
                    pending += chunk
                    if len(pending) < _ZIP_COALESCE:
                        continue
                    chunk, pending = memoryview(pending), bytearray()
                elif pending:
                    body.send(memoryview(pending))
                    progress.update(progress.done + len(pending))
                    pending = bytearray()
                if self.stopping or limited.wait(progress.done):
                    raise Cancelled
                body.send(chunk)
                progress.update(progress.done + len(chunk))
            if pending:
                body.send(memoryview(pending))
                progress.update(progress.done + len(pending))
        except Exception as exc:
            self._transfer_failed(conn, tid, name, progress.done, exc)
            return False
        self._emit(TransferFinished(time.time(), tid, plan.length))
        return True

    def _transfer_failed(self, conn: _Conn, tid: int, name: str, done: int, exc: Exception) -> None:
        """End the sending of ``name`` (transfer ``tid``) as failed after ``done`` bytes, saying
        why: the server is stopping (which also closes connections under running transfers),
        the file changed under it, the connection broke, or a bug of ours. A bug (issue 13.1: an
        AttributeError once ended bodies silently) is logged, its traceback at debug level, and
        the server goes on serving."""
        stopped = self.stopping or isinstance(exc, Cancelled)
        if stopped:
            reason = _("the server was stopped")
        elif isinstance(exc, ShortFile):
            reason = _("the file became shorter while it was sent")
        elif isinstance(exc, MemberChanged):
            reason = str(exc)
        elif isinstance(exc, OSError):
            reason = describe_stream_error(exc, conn.peer, receiving=False)
        elif isinstance(exc, ValueError):  # a socket closed under the transfer
            reason = _("connection with {peer} failed").format(peer=conn.peer)
        else:
            reason = _internal_error(tid, name, exc)
        self._emit(TransferFailed(time.time(), tid, done, reason, stopped))

    def _send_not_modified(
        self, conn: _Conn, validators: list[tuple[str, str]], *, keep_alive: bool
    ) -> None:
        """304 (RFC 9110 §15.4.5): the validators a 200 would carry, and no content."""
        http = conn.http
        assert http is not None
        headers = [*_common_headers(), *validators]
        if not keep_alive:
            headers.append(("Connection", "close"))
        data = http.send(h11.Response(status_code=304, headers=headers, reason=_reason(304)))
        data = (data or b"") + (http.send(h11.EndOfMessage()) or b"")
        self._body(conn).send(data)

    def _send_file(
        self, conn: _Conn, request: h11.Request, entry: SharedFile | None, *, keep_alive: bool
    ) -> bool:
        """Answer a GET/HEAD for one file; False when the connection broke during the body."""
        head_only = request.method == b"HEAD"
        opened = _open_shared(entry) if entry is not None else None
        if entry is not None and opened is None:
            self._report_unknown(conn, entry.name, "http", _(_GONE))
        if entry is None or opened is None:
            self._send_simple(
                conn,
                404,
                b"No file by that name is shared here.\n",
                keep_alive=keep_alive,
                head_only=head_only,
            )
            return True
        fd, st = opened
        try:
            size = st.st_size
            digest = entry.sha256
            if (size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
                self.share.refresh(entry.name, size, st.st_mtime_ns)
                digest = None
            etag = make_etag(size, st.st_mtime_ns)
            plan = plan_range(None, size)
            ranges = _header(request, b"range")
            validators = [
                ("Last-Modified", http_date(st.st_mtime)),
                ("ETag", etag),
                ("Accept-Ranges", "bytes"),
            ]
            if digest is not None:
                validators.append(("Repr-Digest", format_repr_digest(digest)))
            verdict = evaluate_preconditions(
                request.method,
                etag=etag,
                mtime=st.st_mtime,
                if_match=_header(request, b"if-match"),
                if_unmodified_since=_header(request, b"if-unmodified-since"),
                if_none_match=_header(request, b"if-none-match"),
                if_modified_since=_header(request, b"if-modified-since"),
            )
            if verdict == 412:
                self._send_simple(
                    conn,
                    412,
                    b"The file is not the version the request names: it changed.\n",
                    keep_alive=keep_alive,
                    head_only=head_only,
                    extra=validators,
                )
                return True
            if verdict == 304:
                self._send_not_modified(conn, validators, keep_alive=keep_alive)
                return True
            if not head_only and ranges is not None:
                # RFC 9110 §14.2: Range is defined for GET only; HEAD gets the plain headers.
                validator = _header(request, b"if-range")
                if validator is None or if_range_matches(validator, etag, st.st_mtime):
                    plan = plan_range(ranges, size)
            if plan.status == 416:
                self._send_simple(
                    conn,
                    416,
                    b"The requested range is not in the file.\n",
                    keep_alive=keep_alive,
                    head_only=False,
                    extra=[*validators, ("Content-Range", f"bytes */{size}")],
                )
                return True
            headers = [*_common_headers(), *validators]
            if plan.status == 206:
                end = plan.start + plan.length - 1
                headers.append(("Content-Range", f"bytes {plan.start}-{end}/{size}"))
            headers += file_headers(entry, fd, size, st.st_mtime_ns)
            headers.append(("Content-Length", str(plan.length)))
            if not keep_alive:
                headers.append(("Connection", "close"))
            http = conn.http
            assert http is not None
            head = http.send(
                h11.Response(status_code=plan.status, headers=headers, reason=_reason(plan.status))
            )
            if head_only:
                self._body(conn).send((head or b"") + (http.send(h11.EndOfMessage()) or b""))
                return True
            self._body(conn).send(head or b"")
            if not self._stream(conn, fd, entry.name, plan.start, plan.length, "http"):
                return False
            http.send_with_data_passthrough(h11.Data(data=_FileSpan(plan.length)))  # type: ignore[arg-type]
            http.send(h11.EndOfMessage())
            return True
        finally:
            os.close(fd)

    def _send_raw(self, conn: _Conn, entry: SharedFile) -> Phase | None:
        opened = _open_shared(entry)
        if opened is None:
            self._report_unknown(conn, entry.name, "raw", _(_GONE))
            return None  # gone since it was shared: the classic answer, close silently
        fd, st = opened
        try:
            if not self._stream(conn, fd, entry.name, 0, st.st_size, "raw"):
                return None
        finally:
            os.close(fd)
        sock = conn.sock
        if isinstance(sock, ssl.SSLSocket):
            # Send close_notify so a client reading to the end can tell the end from a cut.
            sock.setblocking(False)
            with contextlib.suppress(OSError, ValueError):
                sock.unwrap()
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_WR)
        conn.shut = True
        return "closing"

    def _stream(self, conn: _Conn, fd: int, name: str, offset: int, length: int, kind: str) -> bool:
        """Send ``length`` bytes of ``fd`` from ``offset`` with transfer events; False on failure."""
        tid = next(self._transfer_ids)
        dialect = _dialect(conn, kind)
        self._emit(TransferStarted(time.time(), tid, conn.peer, name, dialect, offset, length))
        progress = _Progress(self, tid, length)
        try:
            self._body(conn).send_file(fd, offset, length, progress.update)
        except Exception as exc:
            self._transfer_failed(conn, tid, name, progress.done, exc)
            return False
        self._emit(TransferFinished(time.time(), tid, length))
        return True

    @staticmethod
    def _body(conn: _Conn) -> BodySender:
        assert conn.body is not None, "only transfer threads send"
        return conn.body

    def _report_unknown(self, conn: _Conn, name: str, kind: str, reason: str) -> None:
        """A request for a name that is not shared is a failed transfer of 0 bytes (issue 15.8):
        the user sees who asked for what, instead of a quiet 404 or close."""
        tid = next(self._transfer_ids)
        now = time.time()
        self._emit(TransferStarted(now, tid, conn.peer, name, _dialect(conn, kind), 0, 0))
        self._emit(TransferFailed(now, tid, 0, reason))

    def _emit(self, event: TransferEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:
                self._on_event(event)


class _BodyPace:
    """Cuts an upload that trickles: in every ``idle_timeout`` seconds at least 16 KiB must
    arrive (or the body end), as :meth:`BodySender.await_room` asks of a reader; a client sending
    a byte now and then would otherwise hold a transfer slot for ever (slowloris)."""

    __slots__ = ("count", "started", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.started = time.monotonic()
        self.count = 0

    def took(self, count: int) -> None:
        """``count`` bytes arrived; TimeoutError when the last window brought too few."""
        self.count += count
        now = time.monotonic()
        if now - self.started < self.window:
            return
        if self.count < _MIN_BODY_PROGRESS:
            raise TimeoutError(errno.ETIMEDOUT, _("the client sends too slowly"))
        self.started, self.count = now, 0


class _Progress:
    """Throttles TransferProgress events to about ten a second per transfer."""

    __slots__ = ("done", "last", "server", "started", "tid", "total")

    def __init__(self, server: FileServer, tid: int, total: int) -> None:
        self.server = server
        self.tid = tid
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.last = self.started

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last >= _PROGRESS_INTERVAL and done < self.total:
            self.last = now
            self.server._emit(TransferProgress(time.time(), self.tid, done, self.total))


_SHOWN_NAME = 200  # characters of an unknown name that events carry
_GONE = N_("the shared file is no longer in its folder (moved or deleted)")


def _dialect(conn: _Conn, kind: str) -> str:
    return kind if not conn.tls else ("https" if kind == "http" else "raw+tls")


_TLS_HELLO = N_("(TLS handshake)")


def _is_tls_handshake(data: bytes) -> bool:
    """A TLS record of type handshake, versions SSL 3.0 to TLS 1.3 on the wire (RFC 8446 §5.1):
    no file name starts with these control bytes, and showing them as one helps nobody."""
    return len(data) >= 3 and data[0] == 0x16 and data[1] == 0x03 and data[2] <= 0x04


def _unknown_raw_name(data: bytes) -> tuple[str, str]:
    """(the name as people should see it, why it was not served) for a raw request that names no
    shared file. A name that is not UTF-8 but reads as GBK/GB18030 (a C client on a Chinese
    Windows sends its code page) is shown decoded, and the reason says what went wrong."""
    if _is_tls_handshake(data):
        return _(_TLS_HELLO), (
            _(
                "a TLS client (https:// or raw+tls://) connected, but this share does not speak TLS: "
                "use http:// or raw://, or share with TLS"
            )
        )
    name = parse_raw_name(data)
    if name is not None:
        return name[:_SHOWN_NAME], _("no such file is shared")
    stripped = data.rstrip(b"\r\n")
    try:
        guess = stripped.decode("gb18030")
    except UnicodeDecodeError:
        guess = ""
    if guess and not guess.isascii() and guess.isprintable():
        return guess[:_SHOWN_NAME], _("the name was sent in GBK, not UTF-8; it must be UTF-8")
    shown = stripped.decode("utf-8", "backslashreplace")[:_SHOWN_NAME]
    return shown, _("the name is not UTF-8 text")


def _internal_error(tid: int, name: str, exc: Exception) -> str:
    """Log a bug of ours that ended transfer ``tid`` of ``name`` (the traceback at debug level)
    and say it in the transfer's words."""
    reason = _("internal error in the server ({error_type}: {exc})").format(
        error_type=type(exc).__name__, exc=exc
    )
    _log.error("file server: transfer %d of %r failed: %s", tid, name, reason)
    _log.debug("file server: internal error", exc_info=True)
    return reason


def _nothing_waiting(sock: socket.socket) -> bool:
    """Whether a connection has neither sent bytes nor closed: no byte waits in its socket (the
    loop may not have read what arrived this very moment, so look below TLS too)."""
    try:
        socket.socket.recv(sock, 1, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False  # reset: the loop notices and closes it anyway
    return False  # bytes or an end wait: the loop reads them in this round


class _RateLimiter:
    """The server's rate limit for a body sent in pieces of our own (a zip)."""

    __slots__ = ("rate", "started", "wait_stopped")

    def __init__(
        self, rate: Callable[[], float | None], wait_stopped: Callable[[float], bool]
    ) -> None:
        self.rate = rate
        self.wait_stopped = wait_stopped
        self.started = time.monotonic()

    def wait(self, done: int) -> bool:
        """Sleep until ``done`` bytes are due; True when the server stopped meanwhile."""
        rate = self.rate()
        if not rate:
            return False
        ahead = done / rate - (time.monotonic() - self.started)
        return ahead > 0 and self.wait_stopped(ahead)


def _open_member(member: ZipMember) -> io.RawIOBase:
    """Open a zip member's file (its source is the SharedFile) the way single files are opened."""
    entry = member.source
    assert isinstance(entry, SharedFile)
    opened = _open_shared(entry)
    if opened is None:
        raise MemberChanged(
            _("{name} is no longer in its folder (moved or deleted)").format(name=entry.name)
        )
    fd, st = opened
    if st.st_size != member.size:
        os.close(fd)
        raise MemberChanged(
            _("{name} changed size while the archive was being sent").format(name=entry.name)
        )
    return io.FileIO(fd, "rb", closefd=True)


def _open_shared(entry: SharedFile) -> tuple[int, os.stat_result] | None:
    """Open the path the table resolved when the file was added; None unless it is a regular file.

    O_NOFOLLOW: a file swapped for a link since then is not followed. O_NONBLOCK: one swapped for a
    pipe cannot hang the thread in open(); it is then refused as not regular.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(entry.path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


def _header(request: h11.Request, name: bytes) -> bytes | None:
    """A request header's value; repeated fields are combined with commas (RFC 9110 §5.3)."""
    values = [value for key, value in request.headers if key == name]
    if not values:
        return None
    return b", ".join(values)


def _text_header(request: h11.Request, name: bytes) -> str | None:
    value = _header(request, name)
    return None if value is None else value.decode("latin-1")


_FAVICON = Target("file", "favicon.ico")


def _common_headers() -> list[tuple[str, str]]:
    # nosniff on every answer: a browser takes the Content-Type as sent (Fetch §3.5).
    return [
        ("Date", http_date(time.time())),
        ("Server", _SERVER),
        ("X-Content-Type-Options", "nosniff"),
    ]


_RFC9110_PHRASES = {414: b"URI Too Long", 416: b"Range Not Satisfiable"}


def _reason(status: int) -> bytes:
    if status in _RFC9110_PHRASES:
        return _RFC9110_PHRASES[status]
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


_ERROR_TEXT = {
    400: "The request is not valid HTTP/1.1.",
    414: "The request line is longer than 8 KiB.",
    431: "The request head is longer than 16 KiB or has more than 100 header lines.",
    503: "Too many transfers at once; try again in a moment.",
    401: "This share needs a password (HTTP Basic authentication, any user name).",
}
# RFC 7617 §2: the realm names what the password is for; charset says it is UTF-8 (§2.1).
_CHALLENGE = 'Basic realm="Socket Workbench share", charset="UTF-8"'


def _sf_boolean(value: str | None) -> bool | None:
    """A structured-field boolean (RFC 8941 §3.3.6: ``?1`` / ``?0``); None when absent or not one."""
    text = (value or "").strip()
    return True if text == "?1" else False if text == "?0" else None


def _peer_host(peer: str) -> str:
    """The address part of "host:port" / "[v6]:port": failures are counted per address."""
    return peer.rsplit(":", 1)[0]


def _target_name(request: h11.Request) -> str:
    return request.target.decode("utf-8", "backslashreplace")[:_SHOWN_NAME]


def _page_links(target: Target, total: int) -> list[tuple[str, str]]:
    """The ``Link`` header (RFC 8288) of one page of a folder's list: its ``prev`` and ``next``
    pages with the same format and ``per_page``, as GitHub's API pages its lists; none for a
    list that fits one page. A client follows ``rel="next"`` until there is none."""
    path = file_url_path(target.name, folder=True) if target.name else "/"
    form = "format=json&" if target.kind == "json" else ""
    links = []
    if target.page > 1:
        links.append(
            f'<{path}?{form}page={target.page - 1}&per_page={target.per_page}>; rel="prev"'
        )
    if target.page * target.per_page < total:
        links.append(
            f'<{path}?{form}page={target.page + 1}&per_page={target.per_page}>; rel="next"'
        )
    return [("Link", ", ".join(links))] if links else []


def _error_response(
    status: int,
    body: bytes | None = None,
    content: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """The bytes of an error answer that ends the connection, serialised by h11 (the body is
    the standard sentence for ``status`` as text/plain unless one is given)."""
    # h11 lets a server answer without a parsed request only once the client has broken the
    # protocol in its eyes; these errors are decided before h11 sees the head (our limits), so a
    # fresh h11 connection is shown one invalid byte to put it in that state.
    http = h11.Connection(h11.SERVER)
    http.receive_data(b"\0\r\n\r\n")
    with contextlib.suppress(h11.RemoteProtocolError):
        http.next_event()
    if body is None:
        body = (_ERROR_TEXT.get(status, _reason(status).decode()) + "\n").encode()
    headers = [
        *_common_headers(),
        ("Content-Type", content or "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *page_headers("locked"),
        *(extra or []),
    ]
    if status == 503:
        headers.append(("Retry-After", "1"))
    out = http.send(h11.Response(status_code=status, headers=headers, reason=_reason(status)))
    out = (out or b"") + (http.send(h11.Data(data=body)) or b"")
    return out + (http.send(h11.EndOfMessage()) or b"")


# ---- binding and addresses -----------------------------------------------------------------


def _listen(host: str, port: int) -> tuple[socket.socket, bool]:
    port = parse_port(port, allow_zero=True)
    host = parse_host(host, allow_empty=True)
    if not host:
        if socket.has_ipv6:
            try:
                return _bind(socket.AF_INET6, ("::", port, 0, 0), host, port, dual=True), True
            except BindError as exc:
                cause = exc.__cause__
                if isinstance(cause, OSError) and cause.errno in (
                    errno.EADDRINUSE,
                    errno.EACCES,
                    errno.EPERM,
                ):
                    raise
        return _bind(socket.AF_INET, ("0.0.0.0", port), host, port, dual=False), False
    endpoints = resolve(host, port, passive=True)
    failure: BindError | None = None
    for endpoint in endpoints:
        try:
            return _bind(endpoint.family, endpoint.sockaddr, host, port, dual=False), False
        except BindError as exc:
            failure = failure or exc
    assert failure is not None
    raise failure


def _bind(
    family: socket.AddressFamily, sockaddr: tuple[object, ...], host: str, port: int, *, dual: bool
) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let others steal the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
        sock.bind(sockaddr)
        sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        raise BindError(
            describe_bind_error(exc, host or ("::" if dual else "0.0.0.0"), port)
        ) from exc
    return sock
