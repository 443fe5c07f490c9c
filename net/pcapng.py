"""Traffic as a pcapng capture for Wireshark: synthesized IPv4/IPv6 + TCP/UDP packets around the
bytes a log recorded, so Wireshark's own dissectors (HTTP, Modbus/TCP, MQTT, ...) decode them.

The capture has one interface of link type LINKTYPE_RAW (101: each packet starts with its IPv4 or
IPv6 header, no Ethernet). Addresses and ports are the real ones. Each TCP connection starts with a
synthetic three-way handshake (SYN, SYN-ACK, ACK) and its data segments carry sequence and
acknowledgement numbers that follow the bytes (RFC 9293 section 3.4), so Wireshark reassembles the
stream ("Follow TCP Stream"); :meth:`PcapngWriter.tcp_closed` adds the FIN exchange. IPv4, TCP and
UDP checksums are computed (RFC 1071; pseudo-headers of RFC 9293 section 3.1, RFC 768, RFC 8200
section 8.1). Blocks follow the pcapng draft (draft-ietf-opsawg-pcapng): SHB, IDB, EPBs.

Why our own block writer: the three block types needed here are about forty lines, while
python-pcapng (the one pcapng writer on PyPI beside scapy) has had no release since 2022, ships no
type hints, and builds an object with option validation per packet: measured on the 100,000
rows of benchmarks/bench_framing.py, python-pcapng 2.1.1 takes 9.1 s to write the blocks alone,
this module 0.8 s for the packets' synthesis and blocks together. scapy is far too heavy a
dependency for this.

Speed: the export of a whole log goes through here, so the per-packet work is a few integer
additions and three precompiled ``struct`` packs into one buffer. Each address pair and direction
is parsed once (:class:`_Direction`); checksums use the congruence of :func:`_checksum`.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Literal

from net._i18n import _
from net._record import Record
from net.errors import AddressError, TransferError

__all__ = ["LINKTYPE_RAW", "PcapngFile", "PcapngWriter", "TrafficRecord", "write_pcapng"]

LINKTYPE_RAW = 101
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
#: The largest TCP payload one IPv4 packet holds (65,535 - 20 IP - 20 TCP); longer data is split.
MAX_SEGMENT = 65_495
_FIN, _SYN, _PSH, _ACK = 0x01, 0x02, 0x08, 0x10


class TrafficRecord(Record):
    """One thing a log saw: ``data`` sent or received at ``time`` (``time.time()`` seconds).

    ``local`` and ``peer`` are ``host:port`` / ``[v6]:port`` as events carry them;
    ``protocol`` is "tcp" or "udp"; ``conn_id`` tells TCP connections apart.
    """

    time: float
    protocol: Literal["tcp", "udp"]
    outgoing: bool
    local: str
    peer: str
    data: bytes
    conn_id: int = 0


class _Direction:
    """One direction of one address pair, with what every packet that way shares worked out
    once: the addresses as the IP header stores them, the ports, and the fixed part of the
    transport checksum."""

    __slots__ = ("addresses", "base", "destination", "ip4", "ip4_tcp", "ip4_udp", "source")

    def __init__(self, source: tuple[bytes, int], destination: tuple[bytes, int]) -> None:
        self.ip4 = len(source[0]) == 4
        self.addresses = source[0] + destination[0]
        self.source = source[1]
        self.destination = destination[1]
        # The pseudo-header's addresses and both ports (RFC 9293 section 3.1, RFC 768, RFC 8200
        # section 8.1) as one number: see _checksum for why whole integers may be added.
        addresses = int.from_bytes(self.addresses, "big")
        self.base = addresses + source[1] + destination[1]
        # The IPv4 header's words but the total length and the identification.
        self.ip4_tcp = _IP4_FIXED + 6 + addresses
        self.ip4_udp = _IP4_FIXED + 17 + addresses


class _Pair:
    """Both directions between this end and a peer (``out``: from this end)."""

    __slots__ = ("into", "out")

    def __init__(self, local: str, peer: str) -> None:
        ours, theirs = _pair(local, peer)
        self.out = _Direction(ours, theirs)
        self.into = _Direction(theirs, ours)


class _Connection:
    """Sequence numbers of one synthesized TCP connection."""

    __slots__ = ("local_next", "peer_next")

    def __init__(self, local_next: int, peer_next: int) -> None:
        self.local_next = local_next
        self.peer_next = peer_next


def _address(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """``127.0.0.1:9`` or ``[::1]:9`` as (address, port).

    Raises:
        AddressError: not an IP address and a port from 0 to 65535."""
    host, _colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    problem = AddressError(_("{text!r} is not an IP address and port").format(text=text))
    try:
        address, number = ipaddress.ip_address(host.split("%", 1)[0] or "0.0.0.0"), int(port)
    except ValueError as exc:
        raise problem from exc
    if not 0 <= number <= 0xFFFF:
        raise problem
    return address, number


def _pair(local: str, peer: str) -> tuple[tuple[bytes, int], tuple[bytes, int]]:
    """Both ends as (packed address, port) in one family: IPv4 when both are (IPv4-mapped
    counts), else IPv6."""
    ends = [_address(local), _address(peer)]
    fours = [a if isinstance(a, ipaddress.IPv4Address) else a.ipv4_mapped for a, _ in ends]
    if fours[0] is not None and fours[1] is not None:
        return (fours[0].packed, ends[0][1]), (fours[1].packed, ends[1][1])
    six = [
        ipaddress.IPv6Address(f"::ffff:{a}") if isinstance(a, ipaddress.IPv4Address) else a
        for a, _ in ends
    ]
    return (six[0].packed, ends[0][1]), (six[1].packed, ends[1][1])


def _checksum(total: int) -> int:
    """The Internet checksum (RFC 1071) of 16-bit words whose sum, without carries folded, is
    ``total`` (> 0).

    2**16 is 1 modulo 0xFFFF, so the end-around-carry sum of RFC 1071 section 2 is ``total``
    modulo 0xFFFF (0 standing for 0xFFFF), and any even-length run of bytes read as one
    big-endian integer is congruent to the sum of its words: ``int.from_bytes`` of a whole
    payload replaces a loop over its words."""
    return 0xFFFF - (total % 0xFFFF or 0xFFFF)


def _payload_sum(data: bytes | memoryview) -> int:
    """``data`` as one big-endian integer, padded with a zero byte to whole 16-bit words."""
    value = int.from_bytes(data, "big")
    return value << 8 if len(data) & 1 else value


class PcapngWriter:
    """Writes packets to a binary file as they happen (memory: a few numbers per open TCP
    connection and address pair, and up to :data:`BUFFER` bytes not yet handed to the file;
    :meth:`flush` hands them over). Not thread-safe: one writer per thread, or a lock around it.
    """

    def __init__(self, file: BinaryIO, *, application: str = "Socket Workbench") -> None:
        self._file = file
        self._out = bytearray()
        self._ip_id = 0
        self._connections: dict[tuple[int, str, str], _Connection] = {}
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self.packets = 0
        user_appl = application.encode()
        options = _option(4, user_appl) + _option(0, b"")  # shb_userappl, opt_endofopt
        body = struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1) + options
        self._block(_SHB, body)
        # snaplen 0: no limit; timestamps in microseconds (the default if_tsresol).
        self._block(_IDB, struct.pack("<HHI", LINKTYPE_RAW, 0, 0))

    def write(self, record: TrafficRecord) -> None:
        """Add one record: a UDP datagram, or TCP data (after a synthetic handshake when its
        connection is new; the peer is taken as the one who connected).

        Raises:
            AddressError: ``local`` or ``peer`` is not an IP address and port.
        """
        self.add(record.time, record.protocol, record.outgoing, record.local, record.peer,
                 record.data, record.conn_id)  # fmt: skip

    def add(
        self,
        time: float,
        protocol: Literal["tcp", "udp"],
        outgoing: bool,
        local: str,
        peer: str,
        data: bytes,
        conn_id: int = 0,
    ) -> None:
        """:meth:`write` of the record these fields make, without building it (exports of many
        rows call this).

        Raises:
            AddressError: ``local`` or ``peer`` is not an IP address and port.
        """
        pair = self._pairs.get((local, peer)) or self._pair(local, peer)
        if protocol == "udp":
            self._udp(time, pair.out if outgoing else pair.into, data)
            return
        connection = self._connections.get((conn_id, local, peer))
        if connection is None:
            connection = self._open(time, local, peer, conn_id, peer_connected=True)
        if len(data) <= MAX_SEGMENT:
            segments: Iterable[bytes | memoryview] = (data,) if data else ()
        else:
            view = memoryview(data)
            segments = (view[i : i + MAX_SEGMENT] for i in range(0, len(data), MAX_SEGMENT))
        for segment in segments:
            if outgoing:
                self._tcp(time, pair.out, connection.local_next, connection.peer_next,
                          _PSH | _ACK, segment)  # fmt: skip
                connection.local_next = (connection.local_next + len(segment)) & 0xFFFFFFFF
            else:
                self._tcp(time, pair.into, connection.peer_next, connection.local_next,
                          _PSH | _ACK, segment)  # fmt: skip
                connection.peer_next = (connection.peer_next + len(segment)) & 0xFFFFFFFF

    def tcp_opened(
        self, time: float, local: str, peer: str, conn_id: int = 0, *, peer_connected: bool
    ) -> None:
        """A TCP connection began: writes SYN, SYN-ACK, ACK (from whoever connected).

        Raises:
            AddressError: ``local`` or ``peer`` is not an IP address and port.
        """
        if (conn_id, local, peer) not in self._connections:
            self._open(time, local, peer, conn_id, peer_connected=peer_connected)

    def tcp_closed(
        self, time: float, local: str, peer: str, conn_id: int = 0, *, by_peer: bool = True
    ) -> None:
        """A TCP connection ended: writes FIN, FIN, ACK (the first FIN from whoever closed)
        and forgets the connection. Unknown connections are ignored."""
        connection = self._connections.pop((conn_id, local, peer), None)
        if connection is None:
            return
        pair = self._pairs[(local, peer)]
        # RFC 9293 section 3.6: each FIN takes one sequence number; the last ACK answers both.
        ends = [(pair.into, connection.peer_next), (pair.out, connection.local_next)]
        if not by_peer:
            ends.reverse()
        (first, first_seq), (second, second_seq) = ends
        self._tcp(time, first, first_seq, second_seq, _FIN | _ACK, b"")
        self._tcp(time, second, second_seq, first_seq + 1, _FIN | _ACK, b"")
        self._tcp(time, first, first_seq + 1, second_seq + 1, _ACK, b"")

    def flush(self) -> None:
        """Hand the packets written so far to the file (PcapngFile.close calls this).

        Raises:
            OSError: the file refused them."""
        if self._out:
            self._file.write(self._out)
            self._out.clear()

    def _pair(self, local: str, peer: str) -> _Pair:
        pair = self._pairs[(local, peer)] = _Pair(local, peer)
        return pair

    def _open(
        self, time: float, local: str, peer: str, conn_id: int, *, peer_connected: bool
    ) -> _Connection:
        pair = self._pairs.get((local, peer)) or self._pair(local, peer)
        # Fixed initial sequence numbers: the capture needs them consistent, not secret.
        local_isn, peer_isn = 0x10000000, 0x20000000
        if peer_connected:
            there, back, client_isn, server_isn = pair.into, pair.out, peer_isn, local_isn
        else:
            there, back, client_isn, server_isn = pair.out, pair.into, local_isn, peer_isn
        self._tcp(time, there, client_isn, 0, _SYN, b"")
        self._tcp(time, back, server_isn, client_isn + 1, _SYN | _ACK, b"")
        self._tcp(time, there, client_isn + 1, server_isn + 1, _ACK, b"")
        connection = self._connections[(conn_id, local, peer)] = _Connection(
            local_isn + 1, peer_isn + 1
        )
        return connection

    def _udp(self, time: float, way: _Direction, data: bytes) -> None:
        length = 8 + len(data)
        # Pseudo-header (protocol 17, UDP length) and header (ports, length) around the data.
        checksum = _checksum(way.base + 17 + length + length + _payload_sum(data)) or 0xFFFF
        # (A computed 0 is sent as 0xFFFF: 0 means "no checksum" in UDP, RFC 768.)
        udp = _UDP.pack(way.source, way.destination, length, checksum)
        self._packet(time, self._ip(way, 17, length) + udp, data)

    def _tcp(
        self, time: float, way: _Direction, seq: int, ack: int, flags: int, data: bytes | memoryview
    ) -> None:
        length = 20 + len(data)
        seq &= 0xFFFFFFFF
        ack &= 0xFFFFFFFF
        offset_flags = (5 << 12) | flags
        checksum = _checksum(way.base + 6 + length + seq + ack + offset_flags + 65535
                             + _payload_sum(data))  # fmt: skip
        tcp = _TCP.pack(way.source, way.destination, seq, ack, offset_flags, 65535, checksum, 0)
        self._packet(time, self._ip(way, 6, length) + tcp, data)

    def _ip(self, way: _Direction, protocol: int, length: int) -> bytes:
        """The IP header of a packet ``way`` carrying ``length`` bytes of ``protocol``."""
        if not way.ip4:
            return _IP6.pack(0x60000000, length, (protocol << 8) | 64, way.addresses)
        self._ip_id = ip_id = (self._ip_id + 1) & 0xFFFF
        total = 20 + length
        fixed = way.ip4_tcp if protocol == 6 else way.ip4_udp
        return _IP4.pack(0x4500, total, ip_id, 0x4000, 0x4000 | protocol,
                         _checksum(fixed + total + ip_id), way.addresses)  # fmt: skip

    def _packet(self, time: float, headers: bytes, data: bytes | memoryview) -> None:
        """One Enhanced Packet Block (interface 0) of ``headers`` + ``data``."""
        size = len(headers) + len(data)
        padding = -size & 3
        total = 32 + size + padding
        micros = round(time * 1_000_000)
        out = self._out
        out += _EPB_HEAD.pack(_EPB, total, 0, micros >> 32, micros & 0xFFFFFFFF, size, size)
        out += headers
        out += data
        out += _TRAILERS[padding]
        out += _TOTAL.pack(total)
        self.packets += 1
        if len(out) >= BUFFER:
            self.flush()

    def _block(self, kind: int, body: bytes) -> None:
        total = 12 + len(body)
        self._out += struct.pack("<II", kind, total) + body + struct.pack("<I", total)


#: Bytes of packets a writer gathers before it hands them to the file in one write.
BUFFER = 1 << 20
_EPB_HEAD = struct.Struct("<IIIIIII")
_TOTAL = struct.Struct("<I")
_TRAILERS = (b"", b"\0", b"\0\0", b"\0\0\0")
# IPv4 (RFC 791; version 4, IHL 5, DF set, TTL 64) or IPv6 (RFC 8200; hop limit 64) then TCP
# (RFC 9293; data offset 5, window 65535) or UDP (RFC 768), in network byte order.
_IP4 = struct.Struct("!HHHHHH8s")
_IP6 = struct.Struct("!IHH32s")
_TCP = struct.Struct("!HHIIHHHH")
_UDP = struct.Struct("!HHHH")
#: The IPv4 header words that never change: version/IHL/TOS, flags (DF) and TTL (its protocol
#: byte and the lengths, identification and addresses are added per packet).
_IP4_FIXED = 0x4500 + 0x4000 + 0x4000


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


class PcapngFile:
    """A pcapng file written while traffic flows: to ``PATH.part``, renamed to ``PATH`` by
    :meth:`close` (so a half-written capture is never presented as complete). Thread-safe calls
    are the caller's job (the CLI calls it from one loop thread).

    Raises (from the constructor):
        TransferError: the file cannot be created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._part = self.path.with_name(self.path.name + ".part")
        try:
            self._file = open(self._part, "wb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise TransferError(
                _("cannot write {path}: {strerror}").format(path=self.path, strerror=exc.strerror)
            ) from exc
        self.writer = PcapngWriter(self._file)

    def close(self) -> int:
        """Flush and rename into place; returns the packets written.

        Raises:
            TransferError: the disk refused the file."""
        try:
            self.writer.flush()
            self._file.close()
            os.replace(self._part, self.path)
        except OSError as exc:
            raise TransferError(
                _("cannot write {path}: {strerror}").format(path=self.path, strerror=exc.strerror)
            ) from exc
        return self.writer.packets

    def __enter__(self) -> PcapngFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        """Close and delete the partial file (an error or a cancel: no capture left behind)."""
        self._file.close()
        self._part.unlink(missing_ok=True)


def write_pcapng(path: str | os.PathLike[str], records: Iterable[TrafficRecord]) -> int:
    """Write ``records`` (in time order) to ``path`` as pcapng; returns the packets written
    (records, plus the synthetic handshakes, and segments of records over :data:`MAX_SEGMENT`).

    Raises:
        AddressError: a record's address is not an IP address and port.
        TransferError: the file cannot be written.
    """
    with PcapngFile(path) as capture:
        for record in records:
            capture.writer.write(record)
    return capture.writer.packets
