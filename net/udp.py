"""UDP: send datagrams (once, repeatedly, waiting for replies) and receive them fast and exactly counted.

Both objects follow the stop pattern of :mod:`net._loop`: every wait sits in a selector that also
watches the wake-up pair, so ``shutdown()`` from any thread ends it at once.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import selectors
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from net._i18n import _
from net._loop import StoppableLoop
from net._record import Record
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    Endpoint,
    bind_endpoint,
    bound_socket,
    format_peer,
    parse_host,
    parse_port,
    resolve,
)
from net.errors import (
    AddressError,
    BindError,
    ConnectError,
    PayloadError,
    describe_connect_error,
    describe_io_error,
    system_words,
)
from net.events import Datagram, DatagramRow

if TYPE_CHECKING:
    from net.rules import Responder

__all__ = [
    "DEFAULT_RCVBUF",
    "MAX_DATAGRAM",
    "RECEIVE_BUFFER",
    "DatagramRow",
    "UdpReceiver",
    "UdpSender",
    "UdpStats",
    "fit_send_buffer",
    "send_and_wait",
    "send_datagram",
]

#: Bytes read per datagram: the largest UDP payload there is (design.md, "Limits"; iperf3).
RECEIVE_BUFFER = 65535
#: Largest payload one datagram carries: 65,535 minus the IPv4 (20) or IPv6 (none: its payload
#: length excludes its header) and UDP (8) headers. IPv6 jumbograms do not exist on real links.
MAX_DATAGRAM = {socket.AF_INET: 65507, socket.AF_INET6: 65527}
#: Receive buffer requested from the OS, so that a burst waits in the kernel, not on the floor.
DEFAULT_RCVBUF = 4 * 1024 * 1024

# Datagrams a receiver reads before it updates its counters (under one lock) and hands them on.
_READ_BATCH = 64

# Windows reports a datagram larger than the buffer as an error (WSAEMSGSIZE) instead of a flag.
_TRUNCATED_ERRORS = {errno.EMSGSIZE, 10040}
_PEER_CACHE_LIMIT = 4096


class UdpStats(Record):
    """Exact counters of a :class:`UdpReceiver`, as one consistent snapshot."""

    datagrams: int = 0
    bytes: int = 0
    truncated: int = 0  # datagrams larger than the receive buffer (only their start was kept)
    replies: int = 0  # automatic replies sent


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
        port = parse_port(port)
        bind_port = parse_port(bind_port, allow_zero=True)
        endpoints = resolve(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
        local: Endpoint | None = None
        if parse_host(bind_host, allow_empty=True):
            local = bind_endpoint(bind_host, bind_port, kind=socket.SOCK_DGRAM)
            same_family = [e for e in endpoints if e.family == local.family]
            if not same_family:
                raise AddressError(
                    _(
                        "cannot send from {host} to {host2}: they are of different IP versions"
                    ).format(host=local.host, host2=host)
                )
            target = same_family[0]
        else:
            target = next((e for e in endpoints if e.family == socket.AF_INET), endpoints[0])
            wildcard = "0.0.0.0" if target.family == socket.AF_INET else "::"
            local = Endpoint(target.family, (wildcard, bind_port))
        self._target = target
        self._max_payload = MAX_DATAGRAM.get(target.family, 65507)
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
        target = _target_for(sock, host, port, resolve_timeout, where=via.address)
        self._target = target
        self._max_payload = MAX_DATAGRAM.get(sock.family, 65507)
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
        if len(data) > self._max_payload:
            raise PayloadError(
                _(
                    "{count:,} bytes do not fit in one UDP datagram (at most "
                    "{max_payload:,} bytes to {peer})"
                ).format(count=len(data), max_payload=self._max_payload, peer=self.peer)
            )
        fit_send_buffer(self._sock, len(data))
        while True:
            try:
                self._sock.sendto(data, self._target.sockaddr)
                break
            except (BlockingIOError, InterruptedError):
                if not self._wait_writable():
                    raise ConnectError(
                        _("stopped before the datagram to {peer} was sent").format(peer=self.peer)
                    ) from None
            except OSError as exc:
                raise ConnectError(
                    describe_connect_error(exc, self._target.host, self._target.port)
                ) from exc
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


class UdpReceiver(StoppableLoop):
    """Receives datagrams on a port, counts them exactly, and optionally answers each one.

    :meth:`run` keeps up with floods (100k datagrams/s): after each wake-up it reads until the socket
    is empty, into one preallocated buffer, so the kernel's queue never waits on the selector. It
    reads in batches of up to 64 datagrams: the counters take each batch under one lock, before
    its datagrams are handed on, so a callback never sees a datagram the counters miss. With
    ``on_rows``, a batch is handed on as one list of plain tuples (the cheapest form there is).
    """

    def __init__(
        self,
        host: str,
        port: int | str,
        *,
        on_datagram: Callable[[Datagram], None] | None = None,
        multicast_group: str | None = None,
        reply: bytes | None = None,
        rcvbuf: int = DEFAULT_RCVBUF,
        buffer_size: int = RECEIVE_BUFFER,
        on_drained: Callable[[], None] | None = None,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        on_rows: Callable[[list[DatagramRow]], None] | None = None,
        max_datagrams: int | None = None,
        responder: Responder | None = None,
        on_reply: Callable[[Datagram], None] | None = None,
    ) -> None:
        """Bind at once.

        Args:
            host: local address to bind: "" every IPv4 address, "::" every IPv6 address (and IPv4
                too where the OS allows dual-stack), or one address of this computer. With
                ``multicast_group``, the address of the interface to join the group on ("" lets
                the OS choose; for an IPv6 group, name the interface as a zone: "::%eth0"); the
                socket then binds the wildcard address, or it would never see the group's
                datagrams.
            port: local port; 0 picks any free port (read it from :attr:`port`).
            on_datagram: called on the loop's thread for each datagram; must be cheap. With
                neither ``on_datagram`` nor ``on_rows``, datagrams are only counted (and
                answered), which is the fastest way to receive.
            multicast_group: join this multicast group (224.0.0.0/4 or ff00::/8).
            reply: send these bytes back to the sender of every datagram.
            rcvbuf: receive buffer to ask the OS for (0 = keep the system's default); the
                granted size is in :attr:`rcvbuf_granted`, a warning in :attr:`rcvbuf_warning`.
            buffer_size: bytes read per datagram; larger datagrams are cut and counted as
                truncated. The default holds any datagram.
            on_drained: called on the loop's thread each time the socket has been read empty
                after a burst: the place to flush output or hand a batch to a GUI.
            resolve_timeout: seconds to wait for DNS when ``host`` is a name.
            on_rows: called on the loop's thread with the datagrams just read (oldest first, up
                to 64) as :data:`DatagramRow` tuples: one call per batch, no object per datagram.
            max_datagrams: stop (as :meth:`shutdown` does) after exactly this many datagrams.
            responder: answer each datagram by rules (net.rules) instead of with ``reply``.
                Both may be changed while :meth:`run` runs (:attr:`reply`, :attr:`responder`):
                the next datagram gets the new answer.
            on_reply: called on the loop's thread with each reply the responder sent
                (``outgoing`` True), right after the datagram that caused it was handed on. Fixed replies (``reply``)
                are only counted, which keeps a flood answered at full speed; a responder whose
                fallback is the fixed reply reports them.
        Raises:
            AddressError: a bad host, port or multicast group.
            BindError: the port is in use, the address is not this computer's, or joining the
                group failed.
        """
        super().__init__()
        self._on_datagram = on_datagram
        self._on_rows = on_rows
        self._on_drained = on_drained
        self._reply = bytes(reply) if reply else None
        self._resolve_timeout = resolve_timeout
        self.responder = responder
        self._on_reply = on_reply
        self._replies_sent: list[Datagram] = []
        # One byte more than a datagram may fill: a read that fills it was cut short, which tells
        # truncation apart without recvmsg() and its flags.
        self._limit = max(1, buffer_size)
        self._buffer = bytearray(self._limit + 1)
        self._view = memoryview(self._buffer)
        self._left = max_datagrams
        self._lock = threading.Lock()
        self._datagrams = self._bytes = self._truncated = self._replies = 0
        self._peers: dict[Any, str] = {}
        self._sock = self._opening(
            lambda: self._open(host, port, multicast_group, rcvbuf, resolve_timeout)
        )

    def _open(
        self,
        host: str,
        port: int | str,
        multicast_group: str | None,
        rcvbuf: int,
        resolve_timeout: float,
    ) -> socket.socket:
        port = parse_port(port, allow_zero=True)
        group, zone = _parse_group(multicast_group) if multicast_group else (None, "")
        if group is None:
            local = bind_endpoint(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
        else:
            # A socket bound to one unicast address would never see datagrams sent to the group,
            # so bind the wildcard address and let ``host`` choose the interface to join on.
            family = socket.AF_INET if group.version == 4 else socket.AF_INET6
            local = Endpoint(family, ("0.0.0.0" if group.version == 4 else "::", port))
        self.rcvbuf_granted: int = 0
        self.rcvbuf_warning: str | None = None

        def ask_for_buffer(sock: socket.socket) -> None:
            if rcvbuf > 0:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.rcvbuf_granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            if rcvbuf > 0 and self.rcvbuf_granted < rcvbuf:
                self.rcvbuf_warning = _rcvbuf_warning(rcvbuf, self.rcvbuf_granted)

        # Several programs may listen to one group on one port (SO_REUSEADDR is how multicast
        # receivers share it on Linux and the BSDs).
        sock = bound_socket(
            local, socket.SOCK_DGRAM, reuse_address=group is not None, prepare=ask_for_buffer
        )
        try:
            if group is not None:
                _join_group(sock, group, host, zone, resolve_timeout)
            if self._reply is not None:
                fit_send_buffer(sock, len(self._reply))
        except BaseException:
            sock.close()
            raise
        self.multicast_group: str | None = str(group) if group is not None else None
        self.port: int = int(sock.getsockname()[1])
        self.address: str = format_peer((local.host, self.port))
        return sock

    @property
    def reply(self) -> bytes | None:
        """The bytes sent back to every datagram (None: no reply); settable from any thread
        while :meth:`run` runs, which uses the new value from the next datagram on."""
        return self._reply

    @reply.setter
    def reply(self, data: bytes | None) -> None:
        data = bytes(data) if data else None
        if data is not None:
            fit_send_buffer(self._sock, len(data))
        self._reply = data

    def send_to(self, data: bytes, host: str, port: int | str) -> Datagram:
        """Send one datagram from the bound port to ``host``:``port``; thread-safe.

        The device workflow: bind one local port, send from it, watch every answer arrive here.
        May block for DNS (``resolve_timeout``) when ``host`` is a name.

        Returns:
            The datagram sent, ``outgoing`` True.
        Raises:
            AddressError: a bad or unknown host or port, or one of the other IP version.
            PayloadError: ``data`` does not fit in one datagram.
            ConnectError: the system refused to send it (no route, a full send buffer, ...).
        """
        target = _target_for(self._sock, host, port, self._resolve_timeout, where=self.address)
        limit = MAX_DATAGRAM.get(self._sock.family, 65507)
        if len(data) > limit:
            raise PayloadError(
                _(
                    "{count:,} bytes do not fit in one UDP datagram (at most {max_payload:,} bytes)"
                ).format(count=len(data), max_payload=limit)
            )
        fit_send_buffer(self._sock, len(data))
        try:
            self._sock.sendto(data, target.sockaddr)
        except (BlockingIOError, InterruptedError) as exc:
            raise ConnectError(
                _(
                    "the system's send buffer is full: the datagram to {peer} was not sent; "
                    "try again"
                ).format(peer=format_peer(target))
            ) from exc
        except OSError as exc:
            raise ConnectError(describe_connect_error(exc, target.host, target.port)) from exc
        return Datagram(
            time.time(), format_peer((target.host, target.port)), bytes(data), False, True
        )

    @property
    def stats(self) -> UdpStats:
        """The counters so far, as one consistent snapshot (safe from any thread)."""
        with self._lock:
            return UdpStats(self._datagrams, self._bytes, self._truncated, self._replies)

    def run(self) -> None:
        """Receive until :meth:`shutdown`; each datagram goes to ``on_datagram``.

        Raises:
            ConnectError: the socket failed in a way that is not about one datagram.
        """
        selector = self.new_selector()
        selector.register(self._sock, selectors.EVENT_READ, self._sock)
        try:
            while not self.stopping:
                for key, _mask in selector.select():
                    if key.data is self._waker:
                        self._waker.drain()
                if self.stopping:
                    break
                if self._drain() and self._on_drained is not None:
                    self._on_drained()
        finally:
            selector.close()

    def close(self) -> None:
        if hasattr(self, "_sock"):
            self._sock.close()
        super().close()

    def _drain(self) -> int:
        """Read every datagram waiting in the socket; returns how many there were."""
        handled = 0
        while True:
            rows, count, empty = self._read_batch()
            handled += count
            if rows:
                if self._on_rows is not None:
                    self._on_rows(rows)
                on_datagram = self._on_datagram
                if on_datagram is not None:
                    for stamp, peer, data, cut in rows:
                        on_datagram(Datagram(stamp, peer, data, cut))
            if self._replies_sent:
                sent, self._replies_sent = self._replies_sent, []
                if self._on_reply is not None:
                    for datagram in sent:
                        self._on_reply(datagram)
            if empty or self.stopping:
                return handled

    def _read_batch(self) -> tuple[list[DatagramRow], int, bool]:
        """Read up to a batch of datagrams and count them.

        Returns:
            The datagrams as rows (none when nobody takes them), how many were read, and
            whether the socket is now empty.
        """
        recv_into, sendto = self._sock.recvfrom_into, self._sock.sendto
        buffer, view, limit = self._buffer, self._view, self._limit
        keep = self._on_datagram is not None or self._on_rows is not None
        peers = self._peers
        todo = _READ_BATCH if self._left is None else min(_READ_BATCH, self._left)
        rows: list[DatagramRow] = []
        count = size = truncated = replied = 0
        empty = False
        now = time.time()  # one clock read per batch: its datagrams arrived within microseconds
        try:
            while count < todo:
                try:
                    nbytes, address = recv_into(buffer)
                except (BlockingIOError, InterruptedError):
                    empty = True
                    break
                except OSError as exc:
                    if isinstance(exc, ConnectionError):
                        # Windows: an earlier auto-reply hit a closed port; nothing to read here.
                        continue
                    if exc.errno in _TRUNCATED_ERRORS or getattr(exc, "winerror", None) == 10040:
                        count += 1  # pragma: no cover - Windows: the sender is not even known
                        truncated += 1
                        continue
                    raise ConnectError(describe_io_error(exc, self.address)) from exc
                count += 1
                cut = nbytes > limit
                if cut:
                    nbytes = limit
                    truncated += 1
                size += nbytes
                # Read per datagram: rules or a reply changed while a batch runs apply to the
                # next one.
                if (responder := self.responder) is not None:
                    replied += self._answer(responder, view[:nbytes].tobytes(), address, now)
                elif (reply := self._reply) is not None:
                    try:
                        sendto(reply, address)
                        replied += 1
                    except OSError:
                        pass  # a full send buffer or an unreachable sender: the reply is dropped
                if keep:
                    peer = peers.get(address)
                    if peer is None:
                        if len(peers) >= _PEER_CACHE_LIMIT:
                            peers.clear()
                        peer = peers[address] = format_peer(address)
                    rows.append((now, peer, view[:nbytes].tobytes(), cut))
                if self._replies_sent:
                    # Hand on this datagram and then its reply before reading the next one, so
                    # that whoever shows them sees question and answer in the order they came.
                    break
        finally:
            if count:
                with self._lock:
                    self._datagrams += count
                    self._bytes += size
                    self._truncated += truncated
                    self._replies += replied
            if self._left is not None:
                self._left -= count
                if self._left <= 0:
                    self.shutdown()
        return rows, count, empty

    def _answer(self, responder: Responder, data: bytes, address: Any, now: float) -> int:
        """Send the responder's reply to one datagram; 1 if one went out."""
        answer = responder.answer(data)
        if not answer:
            return 0
        try:
            self._sock.sendto(answer, address)
        except OSError:
            return 0  # as for the fixed reply: dropped
        if self._on_reply is not None:
            self._replies_sent.append(Datagram(now, format_peer(address), answer, outgoing=True))
        return 1


def _target_for(
    sock: socket.socket, host: str, port: int | str, resolve_timeout: float, *, where: str
) -> Endpoint:
    """Where a datagram from ``sock`` to ``host``:``port`` goes: an address of the socket's IP
    version (an IPv4 address, mapped, from a dual-stack IPv6 socket).

    Raises:
        AddressError: a bad or unknown host or port, or only addresses of the other version.
    """
    port = parse_port(port)
    endpoints = resolve(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
    for endpoint in endpoints:
        if endpoint.family == sock.family:
            return endpoint
    if sock.family == socket.AF_INET6:
        v4 = endpoints[0].host
        return Endpoint(socket.AF_INET6, (f"::ffff:{v4}", port, 0, 0))
    raise AddressError(
        _("cannot send from {host} to {host2}: they are of different IP versions").format(
            host=where, host2=host
        )
    )


def _parse_group(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str]:
    """The group in ``text`` and the zone given with it ("ff02::1%12" names interface 12)."""
    raw = text.strip().strip("[]")
    address, _percent, zone = raw.partition("%")
    try:
        group = ipaddress.ip_address(address)
    except ValueError:
        raise AddressError(
            _("{text!r} is not a multicast group: use an address like 239.1.2.3 or ff15::1").format(
                text=text
            )
        ) from None
    if not group.is_multicast:
        raise AddressError(
            _(
                "{group} is not a multicast address (IPv4 groups are 224.0.0.0 to 239.255.255.255)"
            ).format(group=group)
        )
    if zone and group.version == 4:
        raise AddressError(
            _("{text!r}: only IPv6 groups take a %zone (an interface)").format(text=text)
        )
    return group, zone


def _interface_index(zone: str) -> int:
    """The interface index a zone names: a number as Windows shows it ("12"), or a name ("eth0").

    Raises:
        OSError: no interface has that name.
    """
    if zone.isascii() and zone.isdigit():
        return int(zone)
    return socket.if_nametoindex(zone)


def _join_group(
    sock: socket.socket,
    group: ipaddress.IPv4Address | ipaddress.IPv6Address,
    interface: str,
    zone: str,
    resolve_timeout: float,
) -> None:
    """Join ``group`` on ``interface`` (an address; for IPv6 its %zone), or on the interface
    ``zone`` names (the group's own %zone), or where the system chooses."""
    interface = parse_host(interface, allow_empty=True)
    try:
        if group.version == 4:
            if interface:
                found = resolve(
                    interface,
                    0,
                    kind=socket.SOCK_DGRAM,
                    family=socket.AF_INET,
                    timeout=resolve_timeout,
                )
                local = found[0].host
            else:
                local = "0.0.0.0"
            request = socket.inet_aton(str(group)) + socket.inet_aton(local)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)
        else:
            if "%" in interface:
                zone = interface.split("%", 1)[1]
            index = _interface_index(zone) if zone else 0
            request = socket.inet_pton(socket.AF_INET6, str(group)) + struct.pack("@I", index)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, request)
    except OSError as exc:
        if exc.errno == errno.ENODEV and zone:
            raise BindError(
                _(
                    "cannot join the multicast group {group}: this computer has no network "
                    "interface {zone!r}"
                ).format(group=group, zone=zone)
            ) from exc
        where = f" on {interface}" if interface else ""
        raise BindError(
            _("cannot join the multicast group {group}{where}: {system_words}").format(
                group=group, where=where, system_words=system_words(exc)
            )
        ) from exc


#: Room for the UDP and IP headers on top of the payload when sizing a send buffer.
_HEADER_ROOM = 64


def fit_send_buffer(sock: socket.socket, size: int) -> None:
    """Make room in ``sock``'s send buffer for one datagram of ``size`` bytes, where needed.

    macOS refuses datagrams larger than the socket's send buffer (9,216 bytes by default) with
    EMSGSIZE, although UDP carries up to 65,507; other systems' defaults hold any datagram.
    A system that grants less leaves the send to fail with its own sentence.
    """
    if sys.platform != "darwin":
        return
    wanted = size + _HEADER_ROOM
    with contextlib.suppress(OSError):
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) < wanted:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, wanted)


def _allow_broadcast(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)


def _rcvbuf_warning(requested: int, granted: int) -> str:
    advice = (
        _(" (raise it with: sudo sysctl -w net.core.rmem_max={requested})").format(
            requested=requested
        )
        if sys.platform == "linux"
        else ""
    )
    return _(
        "the system granted a receive buffer of {granted} instead of "
        "{requested}; datagrams may be lost in bursts{advice}"
    ).format(granted=_size(granted), requested=_size(requested), advice=advice)


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024:
        return f"{count / 1024:,.0f} KiB"
    return f"{count} bytes"
