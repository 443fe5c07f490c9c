"""Receiving UDP datagrams fast and exactly counted, answering each one if asked, on a unicast
address or in a multicast group.

Re-exported by net.udp, where callers import it. The loop follows the stop pattern of
net._loop: it waits in a selector that also watches the wake-up pair.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from net._i18n import _
from net._loop import StoppableLoop
from net._multicast import Group, join_group, parse_group
from net._record import Record
from net._udp_socket import (
    DEFAULT_RCVBUF,
    RECEIVE_BUFFER,
    check_payload,
    fit_send_buffer,
    max_payload,
    send_one,
    target_for,
)
from net.address import (
    DEFAULT_RESOLVE_TIMEOUT,
    Endpoint,
    bind_endpoint,
    bound_socket,
    format_peer,
    parse_port,
)
from net.errors import ConnectError, describe_io_error
from net.events import Datagram, DatagramRow

if TYPE_CHECKING:
    from net.rules import Responder

__all__ = ["UdpReceiver", "UdpStats"]

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
        group, zone = parse_group(multicast_group) if multicast_group else (None, "")
        local = _local_endpoint(host, port, group, resolve_timeout)
        self.rcvbuf_granted: int = 0
        self.rcvbuf_warning: str | None = None

        def ask_for_buffer(sock: socket.socket) -> None:
            self.rcvbuf_granted = _request_rcvbuf(sock, rcvbuf)
            if rcvbuf > 0 and self.rcvbuf_granted < rcvbuf:
                self.rcvbuf_warning = _rcvbuf_warning(rcvbuf, self.rcvbuf_granted)

        # Several programs may listen to one group on one port (SO_REUSEADDR is how multicast
        # receivers share it on Linux and the BSDs).
        sock = bound_socket(
            local, socket.SOCK_DGRAM, reuse_address=group is not None, prepare=ask_for_buffer
        )
        try:
            if group is not None:
                join_group(sock, group, host, zone, resolve_timeout)
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
        target = target_for(self._sock, host, port, self._resolve_timeout, where=self.address)
        check_payload(len(data), max_payload(self._sock.family))
        send_one(self._sock, data, target)
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


def _local_endpoint(
    host: str,
    port: int,
    group: Group | None,
    resolve_timeout: float,
) -> Endpoint:
    """Where a receiver binds: ``host``:``port``, or for a multicast ``group`` the wildcard
    address of its IP version.

    Raises:
        AddressError: a bad host.
        BindError: the address is not this computer's.
    """
    if group is None:
        return bind_endpoint(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
    # A socket bound to one unicast address would never see datagrams sent to the group, so bind
    # the wildcard address and let ``host`` choose the interface to join on.
    family = socket.AF_INET if group.version == 4 else socket.AF_INET6
    return Endpoint(family, ("0.0.0.0" if group.version == 4 else "::", port))


def _request_rcvbuf(sock: socket.socket, rcvbuf: int) -> int:
    """Ask for a receive buffer of ``rcvbuf`` bytes (0: keep the default); returns what the
    system granted, read back (Linux doubles a request and caps it at net.core.rmem_max)."""
    if rcvbuf > 0:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


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
