"""Socket Workbench's engine: UDP, TCP and file sharing over plain sockets, with no Qt anywhere.

Every long-running object has a blocking ``run()``/``serve_forever()``, a thread-safe ``shutdown()``
that returns at once, a ``close()``, and context-manager support. Results leave through callbacks
carrying the frozen dataclasses of :mod:`net.events`.
"""

from net.address import Endpoint, format_peer, parse_host, parse_port, resolve
from net.codec import (
    ENCODINGS,
    LINE_ENDINGS,
    PayloadSpec,
    StreamDecoder,
    encode_payload,
    hexdump,
    parse_escapes,
    parse_hex,
    render_text,
    to_hex,
)
from net.errors import (
    AddressError,
    BindError,
    ConnectError,
    NetError,
    PayloadError,
    ProtocolError,
    TlsError,
    TransferError,
)
from net.events import (
    Connected,
    Datagram,
    Disconnected,
    DownloadFinished,
    DownloadProgress,
    Received,
    Sent,
    TransferFailed,
    TransferFinished,
    TransferProgress,
    TransferStarted,
)

__all__ = [
    "ENCODINGS",
    "LINE_ENDINGS",
    "AddressError",
    "BindError",
    "ConnectError",
    "Connected",
    "Datagram",
    "Disconnected",
    "DownloadFinished",
    "DownloadProgress",
    "Endpoint",
    "NetError",
    "PayloadError",
    "PayloadSpec",
    "ProtocolError",
    "Received",
    "Sent",
    "StreamDecoder",
    "TlsError",
    "TransferError",
    "TransferFailed",
    "TransferFinished",
    "TransferProgress",
    "TransferStarted",
    "encode_payload",
    "format_peer",
    "hexdump",
    "parse_escapes",
    "parse_hex",
    "parse_host",
    "parse_port",
    "render_text",
    "resolve",
    "to_hex",
]
