"""Events that leave the net package through plain callbacks: frozen, slotted, Qt-free records.

``time`` fields are ``time.time()`` wall-clock seconds, for display in logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple

from net._record import Record

if TYPE_CHECKING:
    from net._script_step import Step

__all__ = [
    "Connected",
    "Datagram",
    "DatagramRow",
    "Disconnected",
    "DownloadFinished",
    "DownloadProgress",
    "FileSent",
    "MirrorFile",
    "MirrorOutcome",
    "MirrorProgress",
    "Received",
    "ReceivedRun",
    "Reconnecting",
    "RelayClosed",
    "RelayCounters",
    "RelayData",
    "RelayEvent",
    "RelayOpened",
    "Sent",
    "StepResult",
    "TcpEvent",
    "TlsInfo",
    "TransferEvent",
    "TransferFailed",
    "TransferFinished",
    "TransferProgress",
    "TransferStarted",
    "UploadSent",
]


class Datagram(Record):
    """One UDP datagram received (or, with ``outgoing``, sent) and who it came from / went to."""

    time: float
    peer: str  # "127.0.0.1:5000" or "[::1]:5000"
    data: bytes
    truncated: bool = False  # the datagram was larger than the receive buffer
    outgoing: bool = False


class Connected(Record):
    """A TCP connection is up: a client's session, or a new client of a server."""

    time: float
    conn_id: int
    peer: str
    local: str = ""
    tls: TlsInfo | None = None  # what the TLS handshake agreed on; None for plain TCP


class Received(Record):
    """Bytes read from a TCP connection (one recv; a message may span several)."""

    time: float
    conn_id: int
    peer: str
    data: bytes


class Sent(Record):
    """Bytes written to a TCP connection (or a UDP peer) in full."""

    time: float
    conn_id: int
    peer: str
    data: bytes
    heartbeat: bool = False  # written by the client's heartbeat timer, not by a send() call


class Disconnected(Record):
    """A TCP connection ended; ``reason`` says how in a user's words ("closed by peer", ...)."""

    time: float
    conn_id: int
    peer: str
    reason: str
    error: bool = False  # True for resets, timeouts and failures, False for an orderly close


class TransferStarted(Record):
    """The file server began sending ``name`` to ``peer`` (or receiving it: ``direction`` "in")."""

    time: float
    transfer_id: int
    peer: str
    name: str
    dialect: str  # "http", "raw"; "https"/"raw+tls" inside TLS
    offset: int  # first byte sent (ranges)
    total: int  # bytes this transfer will send (received, for "in"); 0 when not known
    direction: str = "out"  # "out": the server sends a file; "in": it receives an upload


class TransferProgress(Record):
    time: float
    transfer_id: int
    done: int
    total: int


class TransferFinished(Record):
    time: float
    transfer_id: int
    done: int


class TransferFailed(Record):
    time: float
    transfer_id: int
    done: int
    reason: str
    cancelled: bool = False


class DownloadProgress(Record):
    """Download client progress; ``total`` is None when the server did not say (raw, chunked)."""

    time: float
    received: int  # bytes in the .part file so far, including resumed ones
    total: int | None
    speed: float  # bytes per second, smoothed
    resumed_from: int = 0


class DownloadFinished(Record):
    """The file is complete and renamed to ``path``."""

    time: float
    path: str
    size: int
    sha256: str
    verified: bool  # True when the server announced a digest and it matched
    notes: tuple[str, ...] = ()


class FileSent(Record):
    """A file queued with ``send_file`` was written to a TCP connection (``size`` bytes of it)."""

    time: float
    conn_id: int
    peer: str
    path: str
    size: int


class TlsInfo(Record):
    """What a TLS handshake agreed on, for display.

    ``version`` is "TLSv1.3" or "TLSv1.2"; ``cipher`` the suite's OpenSSL name; ``peer_fingerprint``
    the SHA-256 fingerprint ("AB:CD:...") of the certificate the peer presented, "" when it sent
    none (TLS clients usually do not).
    """

    version: str
    cipher: str
    peer_fingerprint: str = ""


class Reconnecting(Record):
    """A TCP client with auto-reconnect lost (or could not make) its connection and will try again
    in ``delay`` seconds; ``attempt`` counts from 1 since the last connection that lasted."""

    time: float
    attempt: int
    delay: float
    reason: str  # why the last connection ended or the last attempt failed, in a user's words
    peer: str = ""


# --- the relay (net.relay): one block, so that other events can be added above it ----------------


class RelayOpened(Record):
    """One side of a relayed connection is up: ``side`` "client" (accepted, or a new UDP client
    address) or "target" (connected, TLS handshake done). ``peer`` is that side's address."""

    time: float
    conn_id: int
    side: str  # "client" or "target"
    peer: str
    tls: TlsInfo | None = None


class RelayClosed(Record):
    """One side of a relayed connection ended (or, for UDP, a client mapping expired)."""

    time: float
    conn_id: int
    side: str  # "client" or "target"
    peer: str
    reason: str
    error: bool = False  # resets, timeouts, refusals and failures


class RelayData(Record):
    """A TCP chunk or a UDP datagram that went through the relay, or did not.

    ``direction`` is "->" (client to target) or "<-" (back); ``peer`` the client's address (the
    connection's name in logs); ``action`` "forwarded", "dropped" or "duplicated" (the extra copy).
    """

    time: float
    conn_id: int
    direction: str
    peer: str
    data: bytes
    action: str = "forwarded"


class RelayCounters(Record):
    """Totals of one direction of a relay since it started (exact, whatever the log shows).

    ``chunks`` counts TCP chunks or UDP datagrams forwarded; ``dropped`` datagrams lost on purpose
    (loss, "down", a full queue) or chunks thrown away by a reset; ``duplicated`` extra copies.
    """

    direction: str
    bytes: int = 0
    chunks: int = 0
    dropped: int = 0
    duplicated: int = 0


class ReceivedRun(Record):
    """Consecutive :class:`Received` chunks of one connection, merged by the GUI's event buffer.

    ``data`` is the latest bytes of the run (at most the buffer's ``RUN_KEEP``); ``skipped``
    bytes came before them and were not kept. ``time`` is the first chunk's. The stream is
    contiguous: the next chunk of the connection follows the last byte of ``data``.
    """

    time: float
    conn_id: int
    peer: str
    data: bytes
    skipped: int = 0

    @property
    def size(self) -> int:
        """Bytes the run stands for."""
        return self.skipped + len(self.data)


#: A received datagram as a plain tuple: (time, peer, data, truncated), the fields of a
#: :class:`Datagram`. Cheaper to build than the object, and the garbage collector stops tracking
#: a tuple of strings and bytes, so a GUI can keep 100,000 of them at no cost when it collects.
DatagramRow = tuple[float, str, bytes, bool]

MirrorOutcome = Literal["downloaded", "up to date", "failed"]


class MirrorFile(Record):
    """What became of one file: ``path`` is relative to DIR ("/"-separated), ``size`` in bytes;
    ``reason`` says why it failed ("" otherwise); ``verified`` when its SHA-256 was checked;
    ``sha256`` (hex) that of the local copy when it was downloaded or found up to date."""

    path: str
    outcome: MirrorOutcome
    size: int
    reason: str = ""
    verified: bool = False
    sha256: str | None = None


class MirrorProgress(Record):
    """How far a run is: files settled of those listed, and bytes. A file counts its whole size
    once fetched or found up to date, and before that the bytes received or resumed; a failed
    file counts as settled with the bytes it got. So ``bytes_done`` reaches ``bytes_total`` when
    every file is there. Files cut short by :meth:`Mirror.shutdown` are not counted settled."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


class UploadSent(Record):
    """One file the server stored and verified: the local ``file``, its ``url`` on the server,
    ``size`` in bytes and ``sha256`` (hex), which the server checked (``Repr-Digest``)."""

    file: str
    url: str
    size: int
    sha256: str


class StepResult(NamedTuple):
    """What one step of a conversation script did (net.script). Times in seconds: ``elapsed``
    since the run started, ``duration`` of the step, ``rtt`` from the last send to the match
    (expects only). A named tuple rather than a Record: a run makes two for every round trip,
    and a tuple is built several times faster."""

    step: Step
    round: int  # 1-based
    ok: bool
    size: int  # bytes sent, or bytes of the match
    elapsed: float
    duration: float
    rtt: float | None = None
    data: bytes = b""  # what was sent, or what matched
    captures: Mapping[str, str] = MappingProxyType({})
    problem: str = ""  # why it failed
    received: bytes = b""  # for a failed expect: what arrived instead


#: What a TcpClient or TcpServer reports (net.tcp).
TcpEvent = Connected | Received | Sent | FileSent | Disconnected | Reconnecting
#: What a FileServer reports about each transfer (net.fileserver).
TransferEvent = TransferStarted | TransferProgress | TransferFinished | TransferFailed
#: What a TcpRelay or UdpRelay reports (net.relay).
RelayEvent = RelayOpened | RelayClosed | RelayData
