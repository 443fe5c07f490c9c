"""One connection of net.relay's TCP relay: its two sides, its two pipes (one per direction) and
how a side's socket ends (FIN, close_notify or RST).

A pipe holds what it read until the faults let it go (:meth:`Pipe.shape`), then writes it on
(:meth:`Pipe.write`); the relay's loop decides when, so nothing here waits or sleeps.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from net._faults import Faults, TokenBucket
from net.errors import describe_stream_error

#: Bytes one direction of a TCP connection may hold (read, not yet written) before its source is
#: no longer read: the backpressure that keeps a fast sender from filling the relay's memory.
HIGH_WATER: Final = 1024 * 1024

RECV_SIZE: Final = 256 * 1024
WOULD_BLOCK: Final = (
    BlockingIOError,
    InterruptedError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
)
_TLS_WRITE_SIZE = 64 * 1024  # a retry after SSLWantWriteError must repeat the same bytes
# SO_LINGER on with 0 s: close() sends RST. Winsock's struct linger holds two u_shorts.
if sys.platform == "win32":
    _LINGER_RESET = struct.pack("HH", 1, 0)
else:
    _LINGER_RESET = struct.pack("ii", 1, 0)


class Side:
    """One socket of a relayed TCP connection: the accepted client or the connection to the target."""

    __slots__ = (
        "announced",
        "events",
        "handshake_events",
        "handshaking",
        "name",
        "pair",
        "peer",
        "reading",
        "ready",
        "sock",
    )

    def __init__(self, pair: Pair, name: str, sock: socket.socket, peer: str) -> None:
        self.pair = pair
        self.name = name  # "client" or "target"
        self.sock = sock
        self.peer = peer
        self.events = 0  # what the selector watches for now
        self.ready = False  # connected (and TLS handshake done): data may flow
        self.handshaking = False
        self.handshake_events = selectors.EVENT_READ
        self.reading = True  # False once this side sent its FIN
        self.announced = False  # RelayOpened was sent for it

    def watch(self, selector: selectors.BaseSelector | None, events: int) -> None:
        """Have ``selector`` watch this side's socket for ``events`` (0: not at all)."""
        if selector is None or events == self.events:
            return
        if self.events == 0:
            selector.register(self.sock, events, self)
        elif events == 0:
            selector.unregister(self.sock)
        else:
            selector.modify(self.sock, events, self)
        self.events = events

    def unwatch(self, selector: selectors.BaseSelector | None) -> None:
        """Stop watching this side's socket, whatever became of it."""
        if self.events and selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(self.sock)
        self.events = 0

    def tls_pending(self) -> bool:
        """True when TLS holds decrypted bytes that no selector will report."""
        sock = self.sock
        if not isinstance(sock, ssl.SSLSocket):
            return False
        with contextlib.suppress(OSError, ValueError):
            return sock.pending() > 0
        return False

    def describe(self, exc: OSError) -> str:
        """Why reading or writing this side failed, as a sentence that names the side."""
        return f"{self.name} {describe_stream_error(exc, self.peer)}"


class Pipe:
    """One direction of a relayed TCP connection: bytes read from ``src``, to be written to ``dst``."""

    __slots__ = (
        "bucket",
        "direction",
        "dst",
        "eof",
        "forwarded",
        "held",
        "held_bytes",
        "last_due",
        "offset",
        "out",
        "out_bytes",
        "pause_until",
        "resetting",
        "shut",
        "src",
        "timer_at",
    )

    def __init__(self, direction: str, src: Side, dst: Side) -> None:
        self.direction = direction
        self.src = src
        self.dst = dst
        self.held: deque[tuple[float, bytes]] = deque()  # (when it may leave, bytes)
        self.held_bytes = 0
        self.out: deque[bytes] = deque()  # released, to be written to dst
        self.out_bytes = 0
        self.offset = 0  # bytes of out[0] already written
        self.forwarded = 0  # bytes released this way on this connection
        self.eof = False  # src sent its FIN
        self.shut = False  # ...and it was passed on to dst
        self.last_due = 0.0
        self.pause_until = 0.0  # slicing: the next piece waits until then
        self.bucket: TokenBucket | None = None
        self.resetting = False  # reset_after reached: reset once out is written
        self.timer_at = 0.0  # the earliest timer pending for this pipe (0: none)

    @property
    def buffered(self) -> int:
        return self.held_bytes + self.out_bytes

    def hold(self, data: bytes, due: float) -> None:
        """Keep ``data`` until ``due`` (monotonic seconds), behind what is held already: a stream
        keeps its order."""
        due = max(due, self.last_due)
        self.last_due = due
        self.held.append((due, data))
        self.held_bytes += len(data)

    def release(self, data: bytes) -> None:
        """Queue ``data`` to be written to ``dst``, counting it as forwarded."""
        size = len(data)
        self.out.append(data)
        self.out_bytes += size
        self.forwarded += size

    def shape(self, faults: Faults, now: float, released: Callable[[Pipe, bytes], None]) -> float:
        """Release what is held as far as ``faults`` let it go at ``now`` (delay, rate, slicing,
        reset after N bytes), calling ``released`` with each piece.

        Returns:
            The monotonic time at which more may go, or 0.0 when nothing waits for a time.
        """
        if faults.stall or self.resetting:
            return 0.0
        held = self.held
        while held:
            due, data = held[0]
            if due > now:
                return due
            if self.pause_until > now:
                return self.pause_until
            size = len(data)
            if faults.slice_bytes:
                size = min(size, faults.slice_bytes)
            if faults.rate:
                bucket = self.bucket
                if bucket is None or bucket.rate != faults.rate:
                    bucket = self.bucket = TokenBucket(faults.rate, now)
                if not bucket.ready(now):
                    return bucket.next_ready(now)
                size = min(size, max(1, int(bucket.burst)))
                bucket.spend(size)
            if faults.reset_after:
                left = faults.reset_after - self.forwarded
                if left <= 0:
                    self.resetting = True
                    break
                size = min(size, left)
            if size < len(data):
                held[0] = (due, data[size:])
                data = data[:size]
            else:
                held.popleft()
            self.held_bytes -= size
            self.release(data)
            released(self, data)
            if faults.slice_bytes and faults.slice_pause_ms:
                self.pause_until = now + faults.slice_pause_ms / 1000.0
            if faults.reset_after and self.forwarded >= faults.reset_after:
                self.resetting = True
                break
        return 0.0

    def write(self) -> None:
        """Write released bytes to ``dst`` until it would block.

        Raises:
            OSError: the connection failed (a reset, a broken TLS stream).
        """
        sock = self.dst.sock
        tls = isinstance(sock, ssl.SSLSocket)
        out = self.out
        while out:
            view = memoryview(out[0])[self.offset :]
            if tls:
                view = view[:_TLS_WRITE_SIZE]
            try:
                sent = sock.send(view)
            except WOULD_BLOCK:
                break
            finally:
                view.release()
            self.out_bytes -= sent
            self.offset += sent
            if self.offset >= len(out[0]):
                out.popleft()
                self.offset = 0
        self.src.pair.last_active = time.monotonic()


class Pair:
    """A relayed TCP connection: the client's side, the target's side (once connecting) and,
    once both are ready, the two pipes between them."""

    __slots__ = (
        "client",
        "closed",
        "conn_id",
        "deadline",
        "down",
        "endpoints",
        "last_active",
        "open",
        "since",
        "target",
        "up",
    )

    def __init__(self, conn_id: int) -> None:
        self.conn_id = conn_id
        self.since = time.time()
        self.last_active = time.monotonic()
        self.deadline = 0.0  # connect / TLS handshake deadline while setting up (monotonic)
        self.closed = False
        self.open = False  # both sides ready: the pipes exist and data flows
        self.endpoints: list[Any] = []  # target endpoints still to try
        self.client: Side
        self.target: Side | None = None
        self.up: Pipe  # client -> target
        self.down: Pipe  # target -> client

    def pipes(self, side: Side) -> tuple[Pipe, Pipe]:
        """The pipe that reads from ``side`` and the one that writes to it."""
        return (self.up, self.down) if side is self.client else (self.down, self.up)


def close_with_reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: SO_LINGER on with a zero timeout (RFC 9293 section 3.10.7.1)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()


def shutdown_write(sock: socket.socket) -> None:
    """Pass a FIN on: shutdown(SHUT_WR), or inside TLS a close_notify (RFC 8446 section 6.1),
    after which the other direction may still be read."""
    if isinstance(sock, ssl.SSLSocket):
        with contextlib.suppress(OSError, ValueError):
            sock._sslobj.shutdown()  # type: ignore[attr-defined]  # unwrap() would drop the object
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
