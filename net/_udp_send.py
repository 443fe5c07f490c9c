"""Sending UDP datagrams: once, repeatedly, or as a session that also hears every reply.

Re-exported by net.udp, where callers import it. Every wait sits in a selector that also watches
the wake-up pair (net._loop), so ``shutdown()`` from any thread ends it at once.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from net._loop import StoppableLoop
from net._udp_socket import (
    RECEIVE_BUFFER,
    check_payload,
    max_payload,
    send_one,
    sender_endpoints,
    target_for,
)
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    bound_socket,
    format_peer,
)
from net.errors import ConnectError, describe_io_error
from net.events import Datagram

if TYPE_CHECKING:
    from net._udp_receive import UdpReceiver

__all__ = ["UdpSender", "send_and_wait", "send_datagram"]


class UdpSender(StoppableLoop):
    """A UDP socket that sends to one host and port, and hears the replies (from anyone).

    The socket is not connected, so replies from another address (a broadcast answered by many
    devices, a server answering from another port) are heard too; :meth:`wait_reply` says who sent
    each one. For a host name with both IPv4 and IPv6 addresses, IPv4 is used, because that is
    where most UDP peers listen.

    :meth:`keep_open` keeps the socket as a session: it shows every datagram that arrives until
    :meth:`shutdown`, and sends what :meth:`queue` asks for meanwhile (from any thread).
    """

    def __init__(
        self,
        host: str,
        port: int | str,
        *,
        bind_host: str = "",
        bind_port: int | str = 0,
        broadcast: bool = False,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        via: UdpReceiver | None = None,
    ) -> None:
        """Resolve ``host`` and open (and bind) the socket at once.

        Args:
            host: where to send: an IP address or a host name.
            port: the destination port (1-65535).
            bind_host: local address to send from ("" = any address of the right family).
            bind_port: local port to send from (0 = any free port).
            broadcast: allow sending to a broadcast address (SO_BROADCAST).
            resolve_timeout: seconds to wait for DNS.
            via: send through this receiver's bound socket instead of a socket of its own (the
                local port a device answers to, already held by a receiver of this program).
                ``bind_host`` and ``bind_port`` are then ignored, and replies reach the
                receiver, not :meth:`wait_reply`. Closing the sender leaves the socket open.
        Raises:
            AddressError: a bad host or port, an unknown host name, or a bind address of the other
                IP family.
            BindError: the local port cannot be used (for example, it is in use).
        """
        super().__init__()
        self._jobs: deque[tuple[bytes | Callable[[int], bytes], int, float]] = deque()
        self._shared = via is not None
        if via is not None:
            self._opening(lambda: self._open_via(host, port, via, broadcast, resolve_timeout))
        else:
            self._opening(
                lambda: self._open(host, port, bind_host, bind_port, broadcast, resolve_timeout)
            )

    def _open(
        self,
        host: str,
        port: int | str,
        bind_host: str,
        bind_port: int | str,
        broadcast: bool,
        resolve_timeout: float,
    ) -> None:
        target, local = sender_endpoints(host, port, bind_host, bind_port, resolve_timeout)
        self._target = target
        self._max_payload = max_payload(target.family)
        self.peer: str = format_peer(target)
        allow_broadcast = _allow_broadcast if broadcast else None
        self._sock = sock = bound_socket(local, socket.SOCK_DGRAM, prepare=allow_broadcast)
        self.local_port: int = int(sock.getsockname()[1])
        self._buffer = bytearray(RECEIVE_BUFFER)
        self._selector = self.new_selector()
        self._selector.register(sock, selectors.EVENT_READ, sock)

    def _open_via(
        self,
        host: str,
        port: int | str,
        via: UdpReceiver,
        broadcast: bool,
        resolve_timeout: float,
    ) -> None:
        sock = via._sock
        target = target_for(sock, host, port, resolve_timeout, where=via.address)
        self._target = target
        self._max_payload = max_payload(sock.family)
        self.peer = format_peer((target.host, target.port))
        if broadcast:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self._sock = sock
        self.local_port = via.port
        self._buffer = bytearray(0)
        # The receiver reads the socket; this selector only ever waits for room to write.
        self._selector = self.new_selector()

    @property
    def shared(self) -> bool:
        """True when sending through a receiver's socket (replies go to the receiver)."""
        return self._shared

    def send(self, data: bytes) -> Datagram:
        """Send ``data`` as one datagram; returns it as an outgoing :class:`Datagram`.

        Raises:
            PayloadError: ``data`` does not fit in one datagram.
            ConnectError: the system refused to send it (no route, broadcast not allowed, ...),
                or :meth:`shutdown` was called while the send buffer was full.
        """
        check_payload(len(data), self._max_payload, self.peer)
        send_one(self._sock, data, self._target, self._wait_writable, self.peer)
        return Datagram(time.time(), self.peer, bytes(data), outgoing=True)

    @property
    def send_buffer(self) -> int:
        """The socket's send buffer in bytes (SO_SNDBUF as the system reports it)."""
        return int(self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))

    def wait_reply(self, timeout: float) -> Datagram | None:
        """Wait up to ``timeout`` seconds for a datagram from anyone; None on timeout or shutdown.

        Through a shared socket (``via``) no reply is read here: it waits, then returns None.
        """
        if self._shared:
            self.wait_stopped(max(0.0, timeout))
            return None
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive()
            if reply is not None:
                return reply
            remaining = deadline - time.monotonic()
            if self.stopping or remaining <= 0:
                return None
            for key, _mask in self._selector.select(remaining):
                if key.data is self._waker:
                    self._waker.drain()

    def run_repeat(
        self,
        data: bytes | Callable[[int], bytes],
        count: int,
        interval: float,
        *,
        on_sent: Callable[[Datagram], None],
        on_reply: Callable[[Datagram], None] | None = None,
        reply_timeout: float | None = None,
    ) -> int:
        """Send ``data`` ``count`` times, ``interval`` seconds apart; returns how many were sent.

        ``data`` may be a function of the send number (0, 1, ...) giving each datagram's bytes
        (payload variables such as ``{{counter}}``, net.variables).

        With ``reply_timeout``, after each datagram wait up to that long for a first reply (the next
        datagram may then leave later than planned). With ``on_reply``, every reply that arrives
        while waiting (for a reply or for the next datagram) is handed to it. ``shutdown()`` ends
        the run at once, from any thread.

        Raises:
            PayloadError, ConnectError: as :meth:`send`, for the first datagram that fails.
        """
        sent = 0
        next_time = time.monotonic()
        for index in range(count):
            if self.stopping:
                break
            try:
                datagram = self.send(data(index) if callable(data) else data)
            except ConnectError:
                if self.stopping:
                    break
                raise
            sent += 1
            on_sent(datagram)
            if reply_timeout is not None:
                reply = self.wait_reply(reply_timeout)
                if reply is not None and on_reply is not None:
                    on_reply(reply)
            if index == count - 1:
                break
            next_time = max(next_time + interval, time.monotonic())
            if on_reply is None:
                if self.wait_stopped(next_time - time.monotonic()):
                    break
                continue
            while (reply := self.wait_reply(next_time - time.monotonic())) is not None:
                on_reply(reply)
        return sent

    def queue(
        self, data: bytes | Callable[[int], bytes], count: int = 1, interval: float = 0.0
    ) -> None:
        """Ask :meth:`keep_open` to send ``data`` ``count`` times, ``interval`` seconds apart
        (as :meth:`run_repeat`), after what it has queued before. Thread-safe; returns at once."""
        self._jobs.append((data, count, interval))
        self._waker.wake()

    def keep_open(
        self,
        *,
        on_sent: Callable[[Datagram], None],
        on_reply: Callable[[Datagram], None],
        reply_timeout: float | None = None,
    ) -> int:
        """Keep the socket open until :meth:`shutdown`: send what :meth:`queue` asks for, and hand
        every datagram that arrives (from anyone, at any time) to ``on_reply``.

        Returns:
            How many datagrams were sent.
        Raises:
            PayloadError, ConnectError: as :meth:`send`, for the first datagram that fails.
        """
        sent = 0
        while not self.stopping:
            while self._jobs and not self.stopping:
                data, count, interval = self._jobs.popleft()
                sent += self.run_repeat(
                    data,
                    count,
                    interval,
                    on_sent=on_sent,
                    on_reply=on_reply,
                    reply_timeout=reply_timeout,
                )
            if self.stopping:
                break
            reply = None if self._shared else self._receive()
            if reply is not None:
                on_reply(reply)
                continue
            # The waker brings both a stop and a queued send; the loop looks at both.
            for key, _mask in self._selector.select():
                if key.data is self._waker:
                    self._waker.drain()
        return sent

    def close(self) -> None:
        if hasattr(self, "_sock"):
            self._selector.close()
            if not self._shared:
                self._sock.close()
        super().close()

    def _wait_writable(self) -> bool:
        """Wait until the socket can take a datagram; False if shut down meanwhile."""
        if self._shared:
            self._selector.register(self._sock, selectors.EVENT_WRITE, self._sock)
        else:
            self._selector.modify(
                self._sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self._sock
            )
        try:
            while not self.stopping:
                for key, mask in self._selector.select():
                    if key.data is self._waker:
                        self._waker.drain()
                    elif mask & selectors.EVENT_WRITE:
                        return True
            return False
        finally:
            if self._shared:
                self._selector.unregister(self._sock)
            else:
                self._selector.modify(self._sock, selectors.EVENT_READ, self._sock)

    def _receive(self) -> Datagram | None:
        while True:
            try:
                nbytes, address = self._sock.recvfrom_into(self._buffer)
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as exc:
                if isinstance(exc, ConnectionError):
                    # Windows reports an ICMP "port unreachable" for an earlier send this way.
                    continue
                raise ConnectError(describe_io_error(exc, self.peer)) from exc
            data = bytes(memoryview(self._buffer)[:nbytes])
            return Datagram(time.time(), format_peer(address), data)


def send_datagram(host: str, port: int | str, data: bytes, **kw: Any) -> Datagram:
    """Send one datagram (keyword arguments as :class:`UdpSender`) and return it."""
    with UdpSender(host, port, **kw) as sender:
        return sender.send(data)


def send_and_wait(
    host: str, port: int | str, data: bytes, timeout: float, **kw: Any
) -> Datagram | None:
    """Send one datagram and wait up to ``timeout`` seconds for a reply (None if none came)."""
    with UdpSender(host, port, **kw) as sender:
        sender.send(data)
        return sender.wait_reply(timeout)


def _allow_broadcast(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
