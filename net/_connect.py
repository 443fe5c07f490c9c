"""The one way net opens a TCP connection: non-blocking connects, Happy Eyeballs over the resolved
addresses, a deadline, and a wait that ``shutdown()`` ends at once.

:func:`connect` is for loops that may block in it (TCP client, downloader, scripts);
:func:`start_connect` and :func:`connect_outcome` are its two halves for a loop that watches the
pending socket in its own selector (the relay).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Sequence

from net._loop import StoppableLoop
from net.address import Endpoint
from net.errors import ConnectError, describe_connect_error

__all__ = ["ATTEMPT_DELAY", "connect", "connect_outcome", "interleave", "start_connect"]

#: What connect_ex returns for a connect under way: EINPROGRESS on POSIX, EWOULDBLOCK (10035,
#: WSAEWOULDBLOCK) on Windows, EALREADY for a repeated call.
_PENDING = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})

#: Seconds an attempt has before the next address is tried beside it (RFC 8305 section 5
#: recommends 250 ms), so a silent address does not hold the connection up to its deadline.
ATTEMPT_DELAY = 0.25


def interleave(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """``endpoints`` reordered so the address families alternate, starting with the first one's
    (RFC 8305 section 4): a family that does not work here costs one attempt, not all of them."""
    if not endpoints:
        return []
    first = endpoints[0].family
    preferred = [e for e in endpoints if e.family == first]
    others = [e for e in endpoints if e.family != first]
    ordered: list[Endpoint] = []
    for index in range(max(len(preferred), len(others))):
        ordered.extend(group[index] for group in (preferred, others) if index < len(group))
    return ordered


def start_connect(endpoint: Endpoint) -> tuple[socket.socket, bool]:
    """Begin a non-blocking connect to ``endpoint``.

    Returns:
        The socket and whether it is already connected; when it is not, it becomes writable
        once the connect ends, and :func:`connect_outcome` then says how.
    Raises:
        OSError: the connect failed at once (the socket is closed).
    """
    sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        code = sock.connect_ex(endpoint.sockaddr)
        if code == 0:
            _connected(sock)
            return sock, True
        if code not in _PENDING:
            raise _error(code)
    except BaseException:
        sock.close()
        raise
    return sock, False


def connect_outcome(sock: socket.socket) -> OSError | None:
    """How a connect begun by :func:`start_connect` ended, once ``sock`` is writable: None when
    it is connected (TCP_NODELAY is then set), else the error (the caller closes the socket)."""
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        return _error(code)
    _connected(sock)
    return None


def connect(
    loop: StoppableLoop, endpoints: Sequence[Endpoint], timeout: float, host: str, port: int
) -> socket.socket | None:
    """Connect to the first of ``endpoints`` that answers, within ``timeout`` seconds in all.

    Happy Eyeballs (RFC 8305): the addresses are tried in :func:`interleave` order, each one
    :data:`ATTEMPT_DELAY` after the one before unless that one failed sooner, and the attempts
    run side by side; the first to connect wins and the others are closed. The wait happens in
    a selector that also watches ``loop``'s waker, so ``loop.shutdown()`` ends it at once.

    Args:
        endpoints: resolved addresses (net.address.resolve), at least one.
        timeout: seconds for the whole connect, all attempts together.
        host, port: what the user asked for, named in the error's sentence.
    Returns:
        A connected non-blocking socket with TCP_NODELAY set, or None when ``loop`` was shut
        down first.
    Raises:
        ConnectError: no address answered; the sentence says why for the last one that failed
            ("connection refused by ...", "no answer from ... before the time limit").
    """
    waiting = list(interleave(endpoints))
    deadline = time.monotonic() + timeout
    failure: OSError = TimeoutError(errno.ETIMEDOUT, "timed out")
    pending: list[socket.socket] = []
    selector = loop.new_selector()
    try:
        next_attempt = time.monotonic()
        while True:
            if loop.stopping:
                return None
            now = time.monotonic()
            if now >= deadline:
                if pending:
                    failure = TimeoutError(errno.ETIMEDOUT, "timed out")
                break
            if waiting and (now >= next_attempt or not pending):
                try:
                    sock, done = start_connect(waiting.pop(0))
                except OSError as exc:
                    failure = exc
                    continue
                if done:
                    return _won(sock, pending, selector)
                pending.append(sock)
                selector.register(sock, selectors.EVENT_WRITE)
                next_attempt = time.monotonic() + ATTEMPT_DELAY
                continue
            if not pending:
                break  # every address failed
            wait = deadline - now
            if waiting:
                wait = min(wait, next_attempt - now)
            for key, _mask in selector.select(max(0.0, wait)):
                ready = key.fileobj
                if not isinstance(ready, socket.socket):  # the waker: a stop is seen at the top
                    key.data.drain()
                    continue
                selector.unregister(ready)
                pending.remove(ready)
                error = connect_outcome(ready)
                if error is None:
                    return _won(ready, pending, selector)
                ready.close()
                failure = error
                next_attempt = time.monotonic()  # a failed attempt lets the next one start now
    finally:
        for sock in pending:
            sock.close()
        selector.close()
    raise ConnectError(describe_connect_error(failure, host, port)) from failure


def _won(
    sock: socket.socket, pending: list[socket.socket], selector: selectors.BaseSelector
) -> socket.socket:
    for other in pending:
        selector.unregister(other)
        other.close()
    pending.clear()
    return sock


def _connected(sock: socket.socket) -> None:
    # Requests and small replies go out at once; every client here writes whole messages.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _error(code: int) -> OSError:
    """The OSError for a connect's errno; ETIMEDOUT as TimeoutError, as a socket timeout is."""
    if code == errno.ETIMEDOUT:
        return TimeoutError(code, os.strerror(code))
    return OSError(code, os.strerror(code))
