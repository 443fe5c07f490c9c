"""What every part of the file server shares: a connection's record, the requests handed to
transfer threads, and :class:`ServerBase`, the state and bookkeeping under
:class:`net.fileserver.FileServer`: the settings a transfer reads while serving, transfer events,
the loop's pending connections, and the polite close of an error answer (design.md, "Limits")."""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import h11

from net._loop import StoppableLoop
from net._serve_headers import CHALLENGE, error_response
from net.events import TransferEvent, TransferFailed, TransferStarted
from net.share import SharedFile, ShareTable
from net.upload import AuthThrottle, expire_parts

__all__ = ["Conn", "HttpJob", "Phase", "RawJob", "ServerBase", "dialect_of"]

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
_LINGER_BYTES = 1024 * 1024  # drained after an error answer before giving up on a polite close
_T = TypeVar("_T")

Phase = Literal["handshake", "head", "closing", "delay"]


class Conn:
    """One connection while the loop owns it (handshake, request head, or closing)."""

    __slots__ = (
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
        self.refuse = False  # accepted beyond the pending cap: answered 503 or closed
        self.since = time.monotonic()  # accepted, or back from a transfer thread


@dataclass(frozen=True, slots=True)
class RawJob:
    entry: SharedFile


@dataclass(frozen=True, slots=True)
class HttpJob:
    request: h11.Request
    body_done: bool  # the request had no body (or all of it was read)
    first: object = None  # the h11 event after the request (a first piece of its body), if any


def dialect_of(conn: Conn, kind: str) -> str:
    """The dialect transfer events name: "http", "raw", "https" or "raw+tls"."""
    return kind if not conn.tls else ("https" if kind == "http" else "raw+tls")


class ServerBase(StoppableLoop):
    """The file server's state (set up by ``FileServer.__init__``) and what both the loop and the
    transfer threads do with it: events, upload-folder upkeep, watching and closing connections."""

    share: ShareTable
    raw_dialect: bool
    rate_limit: float | None
    password: str | None
    auth: AuthThrottle
    upload_dir: Path | None
    max_upload: int | None
    part_max_age: float
    _parts_expired_at: float | None  # time.monotonic() of the last expiry
    _uploading: set[str]  # names being received (guarded by _lock)
    _ssl_context: ssl.SSLContext | None
    _max_connections: int
    _max_pending: int
    _head_timeout: float
    _idle_timeout: float
    _raw_grace: float
    _linger: float
    _on_event: Callable[[TransferEvent], None] | None
    _event_lock: threading.Lock
    _lock: threading.Condition
    _active: int  # transfer threads busy (guarded by _lock)
    _busy: set[socket.socket]  # their sockets, shut down when the server stops
    _returned: deque[tuple[Conn, Phase]]  # handed back by transfer threads
    _loop_done: bool
    _transfer_ids: itertools.count[int]
    _pending: set[Conn]
    _refused: int
    _listener: socket.socket
    _selector: selectors.BaseSelector
    _pool: concurrent.futures.ThreadPoolExecutor

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

    def _emit(self, event: TransferEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:
                self._on_event(event)

    def _report_unknown(self, conn: Conn, name: str, kind: str, reason: str) -> None:
        """A request for a name that is not shared is a failed transfer of 0 bytes (issue 15.8):
        the user sees who asked for what, instead of a quiet 404 or close."""
        tid = next(self._transfer_ids)
        now = time.time()
        self._emit(TransferStarted(now, tid, conn.peer, name, dialect_of(conn, kind), 0, 0))
        self._emit(TransferFailed(now, tid, 0, reason))

    # ---- the loop's pending connections -------------------------------------------------------

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

    def _watch(self, conn: Conn, mask: int) -> None:
        if conn.mask == mask:
            return
        if conn.mask == 0:
            self._selector.register(conn.sock, mask, conn)
        else:
            self._selector.modify(conn.sock, mask, conn)
        conn.mask = mask

    def _unwatch(self, conn: Conn) -> None:
        if conn.mask:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
            conn.mask = 0

    def _drop(self, conn: Conn) -> None:
        self._unwatch(conn)
        self._pending.discard(conn)
        with contextlib.suppress(OSError):
            conn.sock.close()

    def _step(
        self,
        conn: Conn,
        call: Callable[[], _T],
        wait: int,
        failed: Callable[[Conn, Exception], None] | None = None,
    ) -> _T | None:
        """Run one non-blocking socket call for ``conn``: its result, or None when it has to wait
        (``conn`` is then watched for ``wait``, or for what TLS asks) or failed (``failed`` is
        called, by default the connection is dropped)."""
        try:
            return call()
        except (BlockingIOError, InterruptedError):
            self._watch(conn, wait)
        except ssl.SSLWantReadError:
            self._watch(conn, _READ)
        except ssl.SSLWantWriteError:
            self._watch(conn, _WRITE)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            if failed is None:
                self._drop(conn)
            else:
                failed(conn, exc)
        return None

    def _reject(
        self, conn: Conn, status: int, body: bytes | None = None, content: str | None = None
    ) -> None:
        """Answer an error from the loop, then close politely (see :meth:`_closing`)."""
        extra = [("WWW-Authenticate", CHALLENGE)] if status == 401 else []
        conn.out = error_response(status, body, content, extra)
        conn.phase = "closing"
        conn.deadline = time.monotonic() + self._linger
        conn.grace_until = None
        self._closing(conn)

    def _closing(self, conn: Conn) -> None:
        """Write what is left, half-close, and read until the client closes (or the linger ends)."""
        sock = conn.sock
        while conn.out:
            sent = self._step(conn, lambda: sock.send(conn.out), _WRITE)
            if sent is None:
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
            # The raw socket's recv, even under TLS: these bytes are only thrown away.
            data = self._step(conn, lambda: socket.socket.recv(sock, 64 * 1024), _READ)
            if data is None:
                return
            conn.drained += len(data)
            if not data or conn.drained > _LINGER_BYTES:
                self._drop(conn)
                return

    def _dispatch(self, conn: Conn, job: HttpJob | RawJob) -> None:
        """Hand a complete request to a transfer thread (``FileServer`` does)."""
        raise NotImplementedError


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
