"""Sending response bodies to one client socket, on every platform: the file server's body path.

A transfer thread owns one non-blocking client socket (plain or TLS). Bytes go out three ways,
picked by what this Python has (issue 13.1; CPython on Windows has neither sendfile nor pread):

* ``sendfile``: ``os.sendfile`` from the file to a plain socket (Linux, macOS, BSD);
* ``pread``: positional reads (``os.preadv`` / ``os.pread``) into one buffer, then ``send`` (TLS,
  or POSIX without sendfile);
* ``read``: ``seek`` + ``readinto`` on a file object made for this transfer alone (Windows).

Every wait for the client goes through :meth:`BodySender.await_room`, whose idle clock restarts
only when the client really takes bytes; a stop request ends a send within one wait step. The
server's rate limit paces every body through one :class:`RateLimiter` clock per body.
"""

from __future__ import annotations

import errno
import io
import os
import select
import socket
import ssl
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Literal

if sys.platform == "linux":
    import fcntl
    import termios

__all__ = ["BodySender", "Cancelled", "Method", "RateLimiter", "ShortFile", "best_method"]

Method = Literal["sendfile", "pread", "read"]

_COPY_CHUNK = 256 * 1024  # bytes per read when the file is copied through a buffer
_SENDFILE_CHUNK = 8 * 1024 * 1024
_PROGRESS_CHECK = 1.0  # a send waiting for room looks this often whether the client read any
_MIN_PROGRESS = 16 * 1024  # bytes a client must take to count as still reading (see await_room)

# Looked up once, at import: a Python without them (Windows) simply has None here.
_sendfile: Callable[[int, int, int, int], int] | None = getattr(os, "sendfile", None)
_preadv: Callable[[int, list[memoryview], int], int] | None = getattr(os, "preadv", None)
_pread: Callable[[int, int, int], bytes] | None = getattr(os, "pread", None)


class Cancelled(Exception):
    """The server is stopping: a transfer ends early on purpose."""


class ShortFile(Exception):
    """The file became shorter while it was being sent."""


def best_method(sock: socket.socket) -> Method:
    """How a file's bytes reach ``sock`` here: sendfile for plain sockets where the OS has it,
    else positional reads, else seek + read."""
    if _sendfile is not None and not isinstance(sock, ssl.SSLSocket):
        return "sendfile"
    if _preadv is not None or _pread is not None:
        return "pread"
    return "read"


def _unlimited() -> float | None:
    return None


@dataclass(slots=True)
class BodySender:
    """Writes bytes and file spans to one non-blocking client socket, for one transfer thread.

    Args:
        sock: the client's socket (plain or TLS), already non-blocking.
        idle_timeout: seconds the client may take (almost) no bytes before TimeoutError.
        stopping: tells whether the server is stopping (then :class:`Cancelled` is raised).
        wait_stopped: sleeps up to the given seconds, True when the server stopped meanwhile.
        rate_limit: bytes per second for file spans (None or 0 = as fast as possible); read
            before every chunk, so it may change during a transfer.
    """

    sock: socket.socket
    _: KW_ONLY
    idle_timeout: float
    stopping: Callable[[], bool]
    wait_stopped: Callable[[float], bool]
    rate_limit: Callable[[], float | None] = _unlimited

    def send(self, data: bytes | memoryview) -> None:
        """``sendall()`` for the non-blocking socket.

        Raises:
            Cancelled: the server is stopping.
            TimeoutError: the client took nothing for ``idle_timeout`` seconds.
            OSError: the connection broke (ssl.SSLError included).
        """
        view = memoryview(data)
        while view:
            if self.stopping():
                raise Cancelled
            try:
                # Under TLS a retry after SSLWantWriteError passes the same bytes, as OpenSSL asks.
                sent = self.sock.send(view)
            except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
                self.await_room()
                continue
            except ssl.SSLWantReadError:  # a TLS renegotiation or key update: the client's turn
                self.await_room(readable=True)
                continue
            view = view[sent:]

    def send_file(
        self,
        fd: int,
        offset: int,
        length: int,
        on_progress: Callable[[int], None],
        *,
        method: Method | None = None,
    ) -> None:
        """Send ``length`` bytes of the open file ``fd`` from byte ``offset``.

        Args:
            on_progress: called with the bytes sent so far after every chunk.
            method: force one way of sending (tests); None picks :func:`best_method`.
        Raises:
            Cancelled, TimeoutError, OSError: as :meth:`send`.
            ShortFile: the file ended before ``offset + length``.
        """
        chosen = method or best_method(self.sock)
        pace = self.pace()
        if chosen == "sendfile":
            self._sendfile(fd, offset, length, on_progress, pace)
        elif chosen == "pread":
            self._copy(_PositionalReader(fd), offset, length, on_progress, pace)
        else:
            # closefd=False: the caller owns fd; the object is this transfer's alone, so its file
            # position is shared with nobody (a descriptor's position would be, on Windows).
            with io.FileIO(fd, "rb", closefd=False) as file:
                self._copy(_SeekingReader(file), offset, length, on_progress, pace)

    def _sendfile(
        self,
        fd: int,
        offset: int,
        length: int,
        on_progress: Callable[[int], None],
        pace: RateLimiter,
    ) -> None:
        assert _sendfile is not None
        sock_fd = self.sock.fileno()
        done = 0
        while done < length:
            count = self._next_count(length - done, _SENDFILE_CHUNK, done, pace)
            try:
                sent = _sendfile(sock_fd, fd, offset + done, count)
            except (BlockingIOError, InterruptedError):
                self.await_room()
                continue
            if sent == 0:
                raise ShortFile
            done += sent
            on_progress(done)

    def _copy(
        self,
        reader: _Reader,
        offset: int,
        length: int,
        on_progress: Callable[[int], None],
        pace: RateLimiter,
    ) -> None:
        view = memoryview(bytearray(_COPY_CHUNK))
        done = 0
        while done < length:
            count = self._next_count(length - done, _COPY_CHUNK, done, pace)
            got = reader.read_at(view[:count], offset + done)
            if got == 0:
                raise ShortFile
            self.send(view[:got])
            done += got
            on_progress(done)

    def _next_count(self, remaining: int, largest: int, done: int, pace: RateLimiter) -> int:
        """How much to send next; with a rate limit, also wait until it may be sent."""
        if self.stopping():
            raise Cancelled
        rate = self.rate_limit()
        if not rate:
            return min(remaining, largest)
        if pace.wait(done):
            raise Cancelled
        return max(1, min(remaining, largest, int(rate / 10)))

    def pace(self) -> RateLimiter:
        """A clock for one body sent from now on at the rate limit (for bodies sent in pieces
        of the caller's own, like a zip made while it is sent)."""
        return RateLimiter(self.rate_limit, self.wait_stopped)

    def await_room(self, *, readable: bool = False) -> None:
        """Wait until the client makes room for more bytes; TimeoutError after ``idle_timeout``
        seconds in which it took (almost) none.

        Linux reports a socket writable only once a third of its send buffer is free again, which a
        slow reader (tens of KiB/s against a 4 MiB buffer) may take longer than the idle timeout to
        do while it never stops reading. So the wait goes in short steps and looks at the bytes the
        client has acknowledged (the send queue shrinking): 16 KiB of them restart the idle clock.
        A few bytes do not, so a client cannot hold a transfer slot by trickling acknowledgements.
        Where the system cannot tell (not Linux), the socket turning writable is the only progress.
        """
        fd = self.sock.fileno()
        idle = self.idle_timeout
        deadline = time.monotonic() + idle
        queued = _unacknowledged(fd)
        while True:
            if self.stopping():
                raise Cancelled
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(errno.ETIMEDOUT, "timed out")
            if _wait_fd(fd, readable=readable, timeout=min(left, _PROGRESS_CHECK)):
                return
            now_queued = _unacknowledged(fd)
            if queued is None or now_queued is None:
                continue
            taken = queued - now_queued
            if taken > 0 and taken >= min(_MIN_PROGRESS, queued):
                deadline = time.monotonic() + idle
                queued = now_queued


class RateLimiter:
    """Paces one body to a rate limit (bytes per second) that may change while it is sent."""

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


class _Reader:
    def read_at(self, view: memoryview, offset: int) -> int:
        """Read into ``view`` from byte ``offset``; 0 at the end of the file."""
        raise NotImplementedError


class _PositionalReader(_Reader):
    """pread/preadv: no file position, so nothing is shared between transfers of one file."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read_at(self, view: memoryview, offset: int) -> int:
        if _preadv is not None:
            return _preadv(self.fd, [view], offset)
        assert _pread is not None
        data = _pread(self.fd, len(view), offset)
        view[: len(data)] = data
        return len(data)


class _SeekingReader(_Reader):
    """seek + readinto on a file object owned by one transfer."""

    def __init__(self, file: io.FileIO) -> None:
        self.file = file

    def read_at(self, view: memoryview, offset: int) -> int:
        self.file.seek(offset)
        return self.file.readinto(view) or 0


def _wait_fd(fd: int, *, readable: bool, timeout: float) -> bool:
    """Whether ``fd`` became writable (readable) within ``timeout`` s; errors count as ready."""
    if sys.platform != "win32" and hasattr(select, "poll"):
        # poll() has no descriptor cap; select() takes descriptors below FD_SETSIZE only.
        poller = select.poll()
        poller.register(fd, select.POLLIN if readable else select.POLLOUT)
        return bool(poller.poll(max(0, int(timeout * 1000))))
    if readable:
        return bool(select.select([fd], [], [fd], timeout)[0])
    ready = select.select([], [fd], [fd], timeout)
    return bool(ready[1] or ready[2])


def _unacknowledged(fd: int) -> int | None:
    """Bytes in the socket's send queue that the peer has not acknowledged yet (Linux SIOCOUTQ,
    which equals TIOCOUTQ); None where the system cannot tell."""
    if sys.platform == "linux":
        try:
            return int(struct.unpack("i", fcntl.ioctl(fd, termios.TIOCOUTQ, b"\0\0\0\0"))[0])
        except OSError:
            return None
    return None
