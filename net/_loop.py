"""The one stop pattern every blocking loop in net follows (design.md): selector + wake-up pair.

``shutdown()`` sets a flag and writes one byte to a socketpair the loop's selector watches, so a loop
blocked in ``select`` returns at once from any thread. Closing a socket from another thread would not
wake a blocked ``accept()``/``recv()`` on Linux, and polling with sleeps wastes time and CPU.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import sys
import threading
from collections.abc import Callable
from typing import Self, TypeVar

__all__ = [
    "WOULD_BLOCK",
    "StoppableLoop",
    "Waker",
    "descriptor_limit",
    "is_tls_socket",
    "is_unclean_tls_end",
    "raise_file_limit",
    "selector_capacity",
    "would_block_errors",
]

_T = TypeVar("_T")

#: What a non-blocking plain socket raises when it would block: try again when the selector says so.
WOULD_BLOCK: tuple[type[OSError], ...] = (BlockingIOError, InterruptedError)

#: select() on Windows watches at most 512 sockets per set (CPython builds it with FD_SETSIZE 512);
#: elsewhere select() takes descriptors below 1024 only. Loops stay this far below the limit.
_SELECT_SETSIZE = 512
_SELECT_RESERVED = 12


# ssl is looked up in sys.modules, never imported, by the three functions below: importing it (and
# OpenSSL) costs plain TCP and HTTP commands a few milliseconds of start-up, and until something
# has imported it (net.tls, to make a TLS socket) no TLS socket or TLS error can exist.


def is_tls_socket(sock: socket.socket) -> bool:
    """Whether ``sock`` is an ``ssl.SSLSocket``."""
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(sock, ssl.SSLSocket)


def would_block_errors(sock: socket.socket) -> tuple[type[OSError], ...]:
    """:data:`WOULD_BLOCK`, plus ssl's SSLWantReadError and SSLWantWriteError for a TLS socket
    (they are OSErrors too, so an ``except`` must name them before OSError)."""
    if not is_tls_socket(sock):
        return WOULD_BLOCK
    import ssl

    return (*WOULD_BLOCK, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def is_unclean_tls_end(exc: BaseException) -> bool:
    """Whether ``exc`` says a TLS peer closed without close_notify (``ssl.SSLEOFError``): a cut,
    not an orderly end (RFC 8446 section 6.1)."""
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(exc, ssl.SSLEOFError)


def selector_capacity() -> int | None:
    """How many sockets one loop's selector may watch at once, or None when it has no fixed cap.

    ``selectors.DefaultSelector`` is epoll/kqueue/poll on Linux and macOS (no fixed cap) but plain
    ``select()`` on Windows, which raises ``ValueError`` beyond 512 sockets in one set. A loop that
    may watch many connections checks this before accepting and refuses politely beyond it, so its
    listener never outlives a dead loop. A few slots stay free for the waker, the listener and a
    socket being set up.

    Returns:
        The number of connection sockets a loop may hold, or None for no platform cap.
    """
    default: type[selectors.BaseSelector] = selectors.DefaultSelector
    if default is selectors.SelectSelector:
        return _SELECT_SETSIZE - _SELECT_RESERVED
    return None


#: Descriptors a server leaves for everything else of its process (files it sends, its listener,
#: the waker, DNS, a GUI's own) when it sizes its client cap by the descriptor limit.
DESCRIPTOR_RESERVE = 64
_WANTED_FILES = 4096


def raise_file_limit(wanted: int = _WANTED_FILES) -> int | None:
    """Let a server hold its connection caps: raise the soft descriptor limit (RLIMIT_NOFILE)
    towards ``wanted``, never above the hard limit, never lowering it.

    Windows has no such limit per process (and CPython there no ``resource`` module).

    Returns:
        The soft limit now in force, or None where there is none (Windows, or unlimited).
    """
    if sys.platform == "win32":
        return None
    import resource

    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        pass
    return descriptor_limit()


def descriptor_limit() -> int | None:
    """The soft limit on open descriptors of this process, or None for none (Windows, unlimited)."""
    if sys.platform == "win32":
        return None
    import resource

    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ValueError, OSError):
        return None
    return None if soft == resource.RLIM_INFINITY else int(soft)


class Waker:
    """A socketpair whose read end becomes readable when :meth:`wake` is called from any thread."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._closed = False

    def fileno(self) -> int:
        return self._reader.fileno()

    def write_fileno(self) -> int:
        """The writing end's descriptor: a non-blocking socket, as ``signal.set_wakeup_fd`` needs
        on every platform (on Windows it must be a socket)."""
        return self._writer.fileno()

    def wake(self) -> None:
        # A full buffer means it is already awake; a closed one means the loop has finished.
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def drain(self) -> None:
        try:
            while self._reader.recv(4096):
                pass
        except OSError:
            pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._reader.close()
            self._writer.close()


class StoppableLoop:
    """Base of every long-running object: thread-safe ``shutdown()``, ``close()``, context manager.

    Subclasses wait in a selector made by :meth:`new_selector` (it already watches the waker) and
    return from their loop once :attr:`stopping` is set.
    """

    def __init__(self) -> None:
        self._waker = Waker()
        self._stop_event = threading.Event()

    @property
    def stopping(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._stop_event.is_set()

    def shutdown(self) -> None:
        """Ask the loop to end; returns at once and is safe to call from any thread, many times."""
        self._stop_event.set()
        self._waker.wake()

    def wait_stopped(self, timeout: float | None) -> bool:
        """Sleep until :meth:`shutdown` is called or ``timeout`` passes; True if shut down.

        For loops that must pause (intervals, backoff) without sleeping past a stop request.
        """
        return self._stop_event.wait(timeout)

    def wakeup_fileno(self) -> int:
        """A descriptor that wakes this loop's selector when written to, for
        ``signal.set_wakeup_fd``: a signal then wakes a ``select()`` that it would not interrupt
        (Ctrl+C on Windows)."""
        return self._waker.write_fileno()

    def new_selector(self) -> selectors.DefaultSelector:
        """A selector that already watches the waker; its key's ``data`` is the :class:`Waker`."""
        selector = selectors.DefaultSelector()
        selector.register(self._waker, selectors.EVENT_READ, self._waker)
        return selector

    def close(self) -> None:
        """Free the sockets; subclasses close theirs and then call this."""
        self._waker.close()

    def _opening(self, open_sockets: Callable[[], _T]) -> _T:
        """Run a constructor's ``open_sockets`` step (bind, listen); when it fails, the loop's
        own sockets are freed before the error goes on, so a half-made loop leaks nothing."""
        try:
            return open_sockets()
        except BaseException:
            StoppableLoop.close(self)
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.close()
