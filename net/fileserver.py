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

Where the parts live: this module is the loop and the transfer pool; :mod:`net._serve_base` the
shared state and the polite close; :mod:`net._serve_heads` accepting and reading request heads;
:mod:`net._serve_http` the HTTP dispatch of a transfer thread, with :mod:`net._serve_files`
(downloads, zips, raw) and :mod:`net._serve_upload` (uploads) under it; :mod:`net._body` the
sending of a body; :mod:`net._serve_headers` the pure header helpers. The listening socket comes
from :func:`net.address.server_socket`, the share URLs' hosts from :mod:`net.interfaces`.
Sniffing of the two dialects is described in :mod:`net.httpfile`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import h11

from net._body import Cancelled
from net._loop import Waker, selector_capacity
from net._serve_base import Conn, HttpJob, Phase, RawJob
from net._serve_heads import REFUSING, HeadReader
from net._serve_http import HttpExchange
from net.address import format_peer, server_socket
from net.events import TransferEvent
from net.interfaces import local_addresses
from net.share import ShareTable
from net.upload import PART_MAX_AGE, AuthThrottle

__all__ = ["FileServer", "TransferEvent", "local_addresses"]

_log = logging.getLogger(__name__)

_READ = selectors.EVENT_READ
_ACCEPT_PAUSE = 0.1  # out of file descriptors: stop accepting this long instead of spinning


class FileServer(HeadReader):
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
            ``PUT /name``, multipart form POSTs to an index, see
            :meth:`net._serve_upload.UploadAnswers._receive`.
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
        self._parts_expired_at = None
        self.password = password or None
        self.auth = AuthThrottle(auth_delay)
        self.upload_dir = Path(upload_dir) if upload_dir is not None else None
        self.max_upload = max_upload
        self._uploading = set()
        self.share = share
        self.raw_dialect = raw_dialect
        self.rate_limit = rate_limit
        self._ssl_context = ssl_context
        self._max_connections = max(1, max_connections)
        capacity = selector_capacity()
        cap = max(1, max_pending)
        if capacity is not None:
            cap = min(cap, capacity - REFUSING)
        self._max_pending = cap
        # Deadlines in seconds (see the arguments).
        self._head_timeout, self._idle_timeout = head_timeout, idle_timeout
        self._raw_grace, self._linger = raw_grace, linger
        self._on_event = on_event
        self._event_lock = threading.Lock()
        self._lock = threading.Condition()
        self._active = 0
        self._busy = set()
        self._returned = deque()
        self._loop_done = False
        self._transfer_ids = itertools.count(1)
        self._pending = set()
        self._refused = 0
        self._listener = self._opening(lambda: server_socket(host, port))
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

    # ---- the loop: deadlines, and complete requests to the pool -----------------------------

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

    def _dispatch(self, conn: Conn, job: HttpJob | RawJob) -> None:
        with self._lock:
            full = conn.refuse or self._active >= self._max_connections
            if not full:
                self._active += 1
                self._busy.add(conn.sock)
        if full:
            if isinstance(job, HttpJob):
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

    def _transfer(self, conn: Conn, job: HttpJob | RawJob) -> None:
        phase: Phase | None = None
        try:
            # Non-blocking: every wait for the client goes through BodySender.await_room, whose
            # idle clock runs from the client's last progress (a socket timeout would run per call).
            conn.sock.settimeout(0.0)
            phase = HttpExchange(self, conn).answer(job)
        except (OSError, ValueError, Cancelled, h11.LocalProtocolError):
            phase = None  # the peer is gone or broke the protocol: nothing more to say to it
        except Exception:
            # A bug of ours: the connection ends, the loop and the other transfers go on, and
            # the log says what happened (the traceback only at debug level).
            phase = None
            _log.error("file server: internal error answering %s", conn.peer, exc_info=False)
            _log.debug("file server: internal error", exc_info=True)
        finally:
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
