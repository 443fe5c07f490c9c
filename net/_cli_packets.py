"""The saved-packet commands of ``swb``: ``send NAME`` and ``packets list|import|export`` (issue 17).

Like the socket commands (net._cli_sockets), received data goes to stdout and status lines to
stderr. Library problems (missing packet, broken file, unsupported field) are LibraryErrors, which
``swb`` reports in one line with exit status 2; an import writes the library only once every
packet it brings has been read and checked.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from net._cli_common import client_tls, counted, status
from net._cli_output import Printer
from net._cli_sockets import send_datagrams, send_stream
from net._i18n import _
from net.checksum import get_checksum
from net.codec import check_encoding, json_line, render_text
from net.errors import AddressError
from net.packets import (
    Packet,
    default_library_path,
    find_packet,
    load_library,
    merge_packets,
    read_packets_file,
    save_library,
)
from net.udp import UdpSender

__all__ = ["export_packets", "import_packets", "list_packets", "send"]

EXIT_OK = 0
EXIT_NETWORK = 1
#: "Until stopped" (a repeat count of 0) as a count the send loops can take.
_FOREVER = sys.maxsize


def send(args: argparse.Namespace) -> int:
    """``swb send NAME``: send a saved packet, as often as its repeat says, and print replies.

    UDP: replies are printed as they arrive; with --wait, each datagram waits that long for a
    first reply, and no reply at all is exit status 1 (as ``swb udp-send --wait``). TCP and TLS:
    connect, send, then print what arrives until --wait seconds after the last send, or until
    the server closes. --checksum overrides the packet's checksum ("none" removes it).
    """
    packet = _with_checksum(find_packet(load_library(_library(args)), args.name), args)
    packet.check()
    packet.to_bytes(0)  # a payload that cannot be built is bad input, before any connection
    if not packet.port:
        raise AddressError(
            _("packet {name!r} has no port: set one in the library").format(name=packet.name)
        )
    if not packet.repeat_count:  # Packet Sender's "repeat": a script would otherwise just hang
        status(
            _("{name}: sending every {repeat_interval_ms:g} ms until stopped (Ctrl-C)").format(
                name=packet.name, repeat_interval_ms=packet.repeat_interval_ms
            )
        )
    if packet.protocol == "udp":
        if args.insecure or args.fingerprint is not None or args.cafile:
            raise AddressError(
                _("packet {name!r} is UDP: TLS options do not apply to it").format(name=packet.name)
            )
        return _send_udp(packet, args)
    return _send_tcp(packet, args)


def list_packets(args: argparse.Namespace) -> int:
    """``swb packets list``: one line per packet (name, protocol, destination, payload)."""
    path = _library(args)
    packets = load_library(path)
    write = sys.stdout.write
    for packet in packets:
        if args.json:
            write(json_line(dataclasses.asdict(packet)) + "\n")
            continue
        folder = f"{packet.folder}/" if packet.folder else ""
        extra = f" +{packet.checksum}" if packet.checksum else ""
        if packet.repeat_count != 1:
            times = _("until stopped") if packet.repeat_count == 0 else f"{packet.repeat_count}x"
            extra += _(" repeat {times} every {repeat_interval_ms:g} ms").format(
                times=times, repeat_interval_ms=packet.repeat_interval_ms
            )
        write(
            f"{folder}{packet.name}  {packet.protocol.upper()} {_where(packet)}  "
            f"[{packet.mode}] {_preview(packet)}{extra}\n"
        )
    status(_("{packets} in {path}").format(packets=counted(len(packets), "packet"), path=path))
    return EXIT_OK


def import_packets(args: argparse.Namespace) -> int:
    """``swb packets import FILE``: add a library file's or a Packet Sender export's packets.

    A packet whose name is already in the library replaces it; the library file is rewritten
    only when the whole import was read and checked.
    """
    incoming = read_packets_file(args.file)
    path = _library(args)
    merged, added, replaced = merge_packets(load_library(path), incoming)
    save_library(path, merged)
    status(
        _("imported {packets} from {file} into {path} ({added} new, {replaced} replaced)").format(
            packets=counted(len(incoming), "packet"),
            file=args.file,
            path=path,
            added=added,
            replaced=replaced,
        )
    )
    return EXIT_OK


def export_packets(args: argparse.Namespace) -> int:
    """``swb packets export FILE``: write the library (our format) to FILE, to share it."""
    packets = load_library(_library(args))
    save_library(args.file, packets)
    status(
        _("exported {packets} to {file}").format(
            packets=counted(len(packets), "packet"), file=args.file
        )
    )
    return EXIT_OK


def _library(args: argparse.Namespace) -> Path:
    return Path(args.library) if args.library else default_library_path()


def _with_checksum(packet: Packet, args: argparse.Namespace) -> Packet:
    if args.checksum is not None:
        none = args.checksum.strip().lower() == "none"
        packet = dataclasses.replace(
            packet, checksum="" if none else get_checksum(args.checksum).name
        )
    if args.checksum_order is not None:
        packet = dataclasses.replace(packet, checksum_order=args.checksum_order)
    return packet


def _where(packet: Packet) -> str:
    host = f"[{packet.host}]" if ":" in packet.host else packet.host
    return f"{host}:{packet.port}"


def _preview(packet: Packet, limit: int = 40) -> str:
    text = packet.payload if packet.mode != "text" else render_text(packet.payload.encode())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _send_udp(packet: Packet, args: argparse.Namespace) -> int:
    return send_datagrams(
        UdpSender(packet.host, packet.port, bind_port=packet.local_port),
        packet.to_bytes,
        packet.repeat_count or _FOREVER,
        packet.repeat_interval_ms / 1000.0,
        wait=args.wait,
        out=Printer(check_encoding(packet.encoding), json_lines=args.json),
        label=f"{packet.name}: ",
    )


def _send_tcp(packet: Packet, args: argparse.Namespace) -> int:
    tls = client_tls(args, tls=packet.protocol == "tls")
    if tls is not None and packet.protocol != "tls":
        raise AddressError(
            _("packet {name!r} is plain TCP: TLS options do not apply to it").format(
                name=packet.name
            )
        )
    return send_stream(
        packet.host,
        packet.port,
        packet.to_bytes,
        packet.repeat_count or _FOREVER,
        packet.repeat_interval_ms / 1000.0,
        wait=args.wait,
        connect_timeout=args.connect_timeout,
        tls=tls,
        out=Printer(check_encoding(packet.encoding), json_lines=args.json),
        label=f"{packet.name}: ",
        tls_hint=_("make it a TLS packet"),
    )
