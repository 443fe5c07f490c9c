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
type hints, and builds an object with option validation per packet, which a 100,000-record
export pays for; scapy is far too heavy a dependency for this.
"""

from __future__ import annotations

import ipaddress
import os
import struct
import sys
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
_NATIVE_LITTLE = sys.byteorder == "little"


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


class _Endpoint(Record):
    address: bytes  # 4 or 16 bytes
    port: int


class _Connection:
    """Sequence numbers of one synthesized TCP connection."""

    __slots__ = ("local_next", "peer_next")

    def __init__(self, local_next: int, peer_next: int) -> None:
        self.local_next = local_next
        self.peer_next = peer_next


def _endpoint(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """``127.0.0.1:9`` or ``[::1]:9`` as (address, port).

    Raises:
        AddressError: not an IP address and port."""
    host, _colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] or "0.0.0.0"), int(port)
    except ValueError as exc:
        raise AddressError(_("{text!r} is not an IP address and port").format(text=text)) from exc


def _pair(local: str, peer: str) -> tuple[_Endpoint, _Endpoint]:
    """Both ends in one family: IPv4 when both are (IPv4-mapped counts), else IPv6."""
    ends = [_endpoint(local), _endpoint(peer)]
    fours = [a if isinstance(a, ipaddress.IPv4Address) else a.ipv4_mapped for a, _ in ends]
    if all(four is not None for four in fours):
        return (
            _Endpoint(fours[0].packed, ends[0][1]),  # type: ignore[union-attr]
            _Endpoint(fours[1].packed, ends[1][1]),  # type: ignore[union-attr]
        )
    six = [
        ipaddress.IPv6Address(f"::ffff:{a}") if isinstance(a, ipaddress.IPv4Address) else a
        for a, _ in ends
    ]
    return _Endpoint(six[0].packed, ends[0][1]), _Endpoint(six[1].packed, ends[1][1])


def _checksum(*parts: bytes) -> bytes:
    """The Internet checksum of the parts joined (RFC 1071), as the 2 bytes to store.

    Summed as native 16-bit words: the one's-complement sum is byte-order independent (RFC 1071
    section 2(B)), so the result stored in native order is right on either kind of machine."""
    data = b"".join(parts)
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("=H", ~total & 0xFFFF)


class PcapngWriter:
    """Writes packets to a binary file as they happen (memory: a few numbers per open TCP
    connection). Not thread-safe: one writer per thread, or a lock around it."""

    def __init__(self, file: BinaryIO, *, application: str = "Socket Workbench") -> None:
        self._file = file
        self._ip_id = 0
        self._connections: dict[tuple[int, str, str], _Connection] = {}
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
        if record.protocol == "udp":
            self._udp(record)
            return
        connection = self._connection(record, peer_connected=True)
        local, peer = _pair(record.local, record.peer)
        data = memoryview(record.data)
        for start in range(0, len(data), MAX_SEGMENT):
            segment = bytes(data[start : start + MAX_SEGMENT])
            if record.outgoing:
                self._tcp(record.time, local, peer, connection.local_next, connection.peer_next,
                          _PSH | _ACK, segment)  # fmt: skip
                connection.local_next = (connection.local_next + len(segment)) & 0xFFFFFFFF
            else:
                self._tcp(record.time, peer, local, connection.peer_next, connection.local_next,
                          _PSH | _ACK, segment)  # fmt: skip
                connection.peer_next = (connection.peer_next + len(segment)) & 0xFFFFFFFF

    def tcp_opened(
        self, time: float, local: str, peer: str, conn_id: int = 0, *, peer_connected: bool
    ) -> None:
        """A TCP connection began: writes SYN, SYN-ACK, ACK (from whoever connected)."""
        record = TrafficRecord(time, "tcp", False, local, peer, b"", conn_id)
        self._connection(record, peer_connected=peer_connected)

    def tcp_closed(
        self, time: float, local: str, peer: str, conn_id: int = 0, *, by_peer: bool = True
    ) -> None:
        """A TCP connection ended: writes FIN, FIN, ACK (the first FIN from whoever closed)
        and forgets the connection. Unknown connections are ignored."""
        connection = self._connections.pop((conn_id, local, peer), None)
        if connection is None:
            return
        ends = _pair(local, peer)
        sides = [
            (ends[1], ends[0], True),
            (ends[0], ends[1], False),
        ]  # (source, destination, peer's)
        if not by_peer:
            sides.reverse()
        for source, destination, peers in sides:
            seq, ack = (
                (connection.peer_next, connection.local_next)
                if peers
                else (connection.local_next, connection.peer_next)
            )
            self._tcp(time, source, destination, seq, ack, _FIN | _ACK, b"")
            if peers:
                connection.peer_next = (connection.peer_next + 1) & 0xFFFFFFFF
            else:
                connection.local_next = (connection.local_next + 1) & 0xFFFFFFFF
        source, destination, peers = sides[0]
        seq, ack = (
            (connection.peer_next, connection.local_next)
            if peers
            else (connection.local_next, connection.peer_next)
        )
        self._tcp(time, source, destination, seq, ack, _ACK, b"")

    def _connection(self, record: TrafficRecord, *, peer_connected: bool) -> _Connection:
        key = (record.conn_id, record.local, record.peer)
        connection = self._connections.get(key)
        if connection is not None:
            return connection
        local, peer = _pair(record.local, record.peer)
        # Fixed initial sequence numbers: the capture needs them consistent, not secret.
        local_isn, peer_isn = (0x10000000, 0x20000000)
        client, server = (peer, local) if peer_connected else (local, peer)
        client_isn, server_isn = (peer_isn, local_isn) if peer_connected else (local_isn, peer_isn)
        when = record.time
        self._tcp(when, client, server, client_isn, 0, _SYN, b"")
        self._tcp(when, server, client, server_isn, client_isn + 1, _SYN | _ACK, b"")
        self._tcp(when, client, server, client_isn + 1, server_isn + 1, _ACK, b"")
        connection = self._connections[key] = _Connection(local_isn + 1, peer_isn + 1)
        return connection

    def _udp(self, record: TrafficRecord) -> None:
        local, peer = _pair(record.local, record.peer)
        source, destination = (local, peer) if record.outgoing else (peer, local)
        length = 8 + len(record.data)
        header = struct.pack("!HHHH", source.port, destination.port, length, 0)
        pseudo = self._pseudo(source, destination, 17, length)
        checksum = _checksum(pseudo, header, record.data)
        if checksum == b"\0\0":
            checksum = b"\xff\xff"  # 0 means "no checksum" in UDP (RFC 768)
        header = header[:6] + checksum
        self._packet(record.time, source, destination, 17, header, record.data)

    def _tcp(
        self,
        time: float,
        source: _Endpoint,
        destination: _Endpoint,
        seq: int,
        ack: int,
        flags: int,
        data: bytes,
    ) -> None:
        header = struct.pack(
            "!HHIIHHHH", source.port, destination.port, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
            (5 << 12) | flags, 65535, 0, 0,
        )  # fmt: skip
        pseudo = self._pseudo(source, destination, 6, len(header) + len(data))
        header = header[:16] + _checksum(pseudo, header, data) + header[18:]
        self._packet(time, source, destination, 6, header, data)

    @staticmethod
    def _pseudo(source: _Endpoint, destination: _Endpoint, protocol: int, length: int) -> bytes:
        if len(source.address) == 4:
            return source.address + destination.address + struct.pack("!BBH", 0, protocol, length)
        return source.address + destination.address + struct.pack("!IxxxB", length, protocol)

    def _packet(
        self,
        time: float,
        source: _Endpoint,
        destination: _Endpoint,
        protocol: int,
        header: bytes,
        data: bytes,
    ) -> None:
        length = len(header) + len(data)
        if len(source.address) == 4:
            self._ip_id = (self._ip_id + 1) & 0xFFFF
            ip = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + length, self._ip_id, 0x4000, 64, protocol, 0,
                source.address, destination.address,
            )  # fmt: skip
            ip = ip[:10] + _checksum(ip) + ip[12:]
        else:
            ip = struct.pack(
                "!IHBB16s16s", 0x60000000, length, protocol, 64,
                source.address, destination.address,
            )  # fmt: skip
        packet = ip + header + data
        micros = round(time * 1_000_000)
        size = len(packet)
        body = struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, size, size)
        self._block(_EPB, body + packet + b"\0" * (-size % 4))
        self.packets += 1

    def _block(self, kind: int, body: bytes) -> None:
        total = 12 + len(body)
        self._file.write(struct.pack("<II", kind, total) + body + struct.pack("<I", total))


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
