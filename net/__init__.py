"""Socket Workbench's engine: UDP, TCP, file sharing and a relay over plain sockets, no Qt anywhere.

Every long-running object has a blocking ``run()``/``serve_forever()``, a thread-safe ``shutdown()``
that returns at once, a ``close()``, and context-manager support. Results leave through callbacks
carrying the frozen records of :mod:`net.events`; failures are the errors of :mod:`net.errors`.

The API is the public submodules, not this package's names. The GUI imports some two dozen of them
(one engine per panel, plus codecs, events and errors) and each command of ``swb`` imports only the
one it runs, so a panel or ``swb udp-send`` never loads HTTP, TLS or hashing it does not use (issue
22; tests/test_imports.py). A facade that pulled every engine in would undo that, and a smaller
one would still not be what the GUI uses. The submodules, by layer:

- values and rules, no sockets: ``address`` (hosts, ports, resolution), ``codec`` (payloads as
  text, hex, escapes), ``checksum``, ``variables``, ``framing``, ``rules`` (rule-based replies),
  ``httpfile`` (the file server's HTTP rules), ``sharepage`` (its pages), ``zipstream``,
  ``pcapng``, ``packets`` (the saved-packet library), ``backoff``, ``rtt``, ``datadir``;
- what crosses the boundary: ``events`` (every event and its unions), ``errors`` (the one error
  tree);
- sockets, each a loop with the stop pattern: ``udp``, ``tcp``, ``tls``, ``keepalive``,
  ``interfaces``, ``fileserver`` (with ``share`` and ``upload``), ``download`` (a package),
  ``mirror``, ``relay``, ``script``, ``discovery``;
- the command line: ``cli`` (``swb``; its commands are the private ``_cli_*`` modules).

Modules whose names start with ``_`` are private helpers of those above (the loop base
``_loop``, ``_connect``, ``_body``, ``_faults``, ``_record``, ``_i18n``, ...).

The names below stay importable from ``net`` for scripts written against it (``net.TcpClient``);
each loads its module on first use, so ``import net`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from net.address import Endpoint, format_peer, parse_host, parse_port, resolve
    from net.backoff import Backoff
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
    from net.datadir import user_data_dir
    from net.download import (
        Download,
        RemoteFile,
        ShareUrl,
        list_remote_files,
        parse_share_url,
        safe_file_name,
    )
    from net.errors import (
        AddressError,
        BindError,
        ConnectError,
        InputError,
        LocalFileError,
        NetError,
        PayloadError,
        ProtocolError,
        TlsError,
        TransferCancelled,
        TransferError,
    )
    from net.events import (
        Connected,
        Datagram,
        Disconnected,
        DownloadFinished,
        DownloadProgress,
        FileSent,
        Received,
        Reconnecting,
        RelayClosed,
        RelayCounters,
        RelayData,
        RelayOpened,
        Sent,
        TcpEvent,
        TlsInfo,
        TransferEvent,
        TransferFailed,
        TransferFinished,
        TransferProgress,
        TransferStarted,
    )
    from net.fileserver import FileServer
    from net.interfaces import local_addresses
    from net.keepalive import set_keepalive
    from net.relay import Faults, RelayConnection, TcpRelay, UdpRelay
    from net.share import SharedFile, ShareTable
    from net.tcp import ClientInfo, TcpClient, TcpServer
    from net.tls import (
        INSECURE_WARNING,
        ClientTls,
        ServerCertificate,
        certificate_fingerprint,
        client_context,
        default_server_certificate,
        describe_ssl_error,
        load_server_certificate,
        normalize_fingerprint,
        server_context,
        wrap_client,
    )
    from net.udp import UdpReceiver, UdpSender, UdpStats, send_and_wait, send_datagram

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "Endpoint": "net.address",
    "format_peer": "net.address",
    "parse_host": "net.address",
    "parse_port": "net.address",
    "resolve": "net.address",
    "Backoff": "net.backoff",
    "ENCODINGS": "net.codec",
    "LINE_ENDINGS": "net.codec",
    "PayloadSpec": "net.codec",
    "StreamDecoder": "net.codec",
    "encode_payload": "net.codec",
    "hexdump": "net.codec",
    "parse_escapes": "net.codec",
    "parse_hex": "net.codec",
    "render_text": "net.codec",
    "to_hex": "net.codec",
    "Download": "net.download",
    "RemoteFile": "net.download",
    "ShareUrl": "net.download",
    "TransferCancelled": "net.errors",
    "list_remote_files": "net.download",
    "parse_share_url": "net.download",
    "safe_file_name": "net.download",
    "AddressError": "net.errors",
    "InputError": "net.errors",
    "BindError": "net.errors",
    "ConnectError": "net.errors",
    "NetError": "net.errors",
    "PayloadError": "net.errors",
    "ProtocolError": "net.errors",
    "TlsError": "net.errors",
    "TransferError": "net.errors",
    "Connected": "net.events",
    "Datagram": "net.events",
    "Disconnected": "net.events",
    "DownloadFinished": "net.events",
    "DownloadProgress": "net.events",
    "FileSent": "net.events",
    "Received": "net.events",
    "Reconnecting": "net.events",
    "RelayClosed": "net.events",
    "RelayCounters": "net.events",
    "RelayData": "net.events",
    "RelayOpened": "net.events",
    "Sent": "net.events",
    "TlsInfo": "net.events",
    "TransferFailed": "net.events",
    "TransferFinished": "net.events",
    "TransferProgress": "net.events",
    "TransferStarted": "net.events",
    "FileServer": "net.fileserver",
    "TransferEvent": "net.events",
    "local_addresses": "net.interfaces",
    "set_keepalive": "net.keepalive",
    "Faults": "net.relay",
    "RelayConnection": "net.relay",
    "TcpRelay": "net.relay",
    "UdpRelay": "net.relay",
    "LocalFileError": "net.errors",
    "ShareTable": "net.share",
    "SharedFile": "net.share",
    "ClientInfo": "net.tcp",
    "TcpClient": "net.tcp",
    "TcpEvent": "net.events",
    "TcpServer": "net.tcp",
    "ClientTls": "net.tls",
    "INSECURE_WARNING": "net.tls",
    "ServerCertificate": "net.tls",
    "certificate_fingerprint": "net.tls",
    "client_context": "net.tls",
    "default_server_certificate": "net.tls",
    "describe_ssl_error": "net.tls",
    "load_server_certificate": "net.tls",
    "normalize_fingerprint": "net.tls",
    "server_context": "net.tls",
    "user_data_dir": "net.datadir",
    "wrap_client": "net.tls",
    "UdpReceiver": "net.udp",
    "UdpSender": "net.udp",
    "UdpStats": "net.udp",
    "send_and_wait": "net.udp",
    "send_datagram": "net.udp",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
