"""``swb relay``: a TCP or UDP relay with faults, printing what goes through it both ways (issue 19).

Each forwarded chunk or datagram prints one line, ``peer -> text`` (client to target) or
``peer <- text`` (back), or one JSON object with a "direction" field under --json; connections
opening and closing are status lines on stderr; on exit a summary per direction. Ctrl-C and
SIGTERM stop it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from net._i18n import _
from net.codec import StreamDecoder, check_encoding, json_line, render_text, to_hex
from net.errors import AddressError

# `swb --help` builds this command's parser: what runs the relay is imported when it runs.
if TYPE_CHECKING:
    from net._faults import Faults
    from net.events import RelayCounters
    from net.relay import RelayEvent

__all__ = ["add_parser", "relay"]

EXIT_OK = 0


def add_parser(sub: Any) -> None:
    """Add ``relay`` to the ``swb`` subcommands (``sub`` is argparse's subparsers action)."""
    from net.cli import (
        _add_tls_client_options,
        _milliseconds,
        _positive_int,
        _seconds,
        bind_port_arg,
        port_arg,
    )

    p = sub.add_parser(
        "relay",
        help=_("relay TCP or UDP to a target, print both directions, and inject faults"),
    )
    p.add_argument(
        "listen_port", metavar="LISTEN_PORT", type=bind_port_arg, help=_("0 = any free port")
    )
    p.add_argument("target_host", metavar="TARGET_HOST", help=_("where clients are relayed to"))
    p.add_argument("target_port", metavar="TARGET_PORT", type=port_arg)
    p.add_argument("-H", "--host", default="", help=_("address to listen on (default: every IPv4)"))
    p.add_argument("--udp", action="store_true", help=_("relay UDP datagrams instead of TCP"))
    faults = p.add_argument_group(
        _("faults"),
        _(
            "Delay and jitter apply to what the client sends (so a round trip grows by the "
            "delay); the others to both directions. --direction picks one direction for all of "
            "them."
        ),
    )
    faults.add_argument(
        "--direction",
        choices=("both", "->", "<-"),
        help=_("apply every fault to both directions, or only client to target (->) or back (<-)"),
    )
    faults.add_argument(
        "--delay", type=_milliseconds, default=0.0, metavar="MS", help=_("hold each chunk MS")
    )
    faults.add_argument(
        "--jitter", type=_milliseconds, default=0.0, metavar="MS", help=_("plus or minus up to MS")
    )
    faults.add_argument(
        "--rate", type=_byte_count, default=0, metavar="BYTES_PER_S", help=_("bandwidth limit")
    )
    faults.add_argument("--loss", type=_percent, default=0.0, metavar="PCT", help="UDP")
    faults.add_argument("--duplicate", type=_percent, default=0.0, metavar="PCT", help="UDP")
    faults.add_argument("--reorder", type=_percent, default=0.0, metavar="PCT", help="UDP")
    faults.add_argument(
        "--slice", type=_byte_count, default=0, metavar="BYTES", help=_("TCP: forward in pieces")
    )
    faults.add_argument(
        "--slice-pause",
        type=_milliseconds,
        default=10.0,
        metavar="MS",
        help=_("pause after each slice (default 10)"),
    )
    faults.add_argument(
        "--reset-after",
        type=_byte_count,
        default=0,
        metavar="BYTES",
        help=_("TCP: reset the connection once this many bytes went one way"),
    )
    faults.add_argument(
        "--seed", type=int, metavar="N", help=_("seed the random choices, for repeatable runs")
    )
    p.add_argument(
        "--max-clients",
        type=_positive_int,
        default=256,
        metavar="N",
        help=_("TCP connections or UDP client addresses at once (default 256)"),
    )
    p.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help=_("to connect (and finish TLS) to the target (default 10)"),
    )
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help=_("close (TCP) or forget (UDP) a client idle this long (default 300 TCP, 60 UDP)"),
    )
    tls = p.add_argument_group(_("TLS (TCP)"))
    tls.add_argument(
        "--tls-target",
        action="store_true",
        help=_(
            "speak TLS to the target (verified by default; --insecure, --fingerprint, --cafile)"
        ),
    )
    _add_tls_client_options(tls)
    tls.add_argument(
        "--tls-listen",
        action="store_true",
        help=_("speak TLS to clients (self-signed certificate made on first use, or --cert/--key)"),
    )
    tls.add_argument("--cert", metavar="PEM", help=_("certificate for --tls-listen (with --key)"))
    tls.add_argument("--key", metavar="PEM", help=_("private key for --cert"))
    p.add_argument(
        "--encoding", default="UTF-8", help=_("text encoding for display (default UTF-8)")
    )
    p.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    p.add_argument("--quiet", action="store_true", help=_("print only the summary"))
    p.set_defaults(handler="net._cli_relay:relay")


def _percent(text: str) -> float:
    from net.cli import number_arg

    return number_arg(
        text,
        float,
        _("{text!r} is not a percentage").format(text=text),
        lambda v: 0 <= v <= 100,
        _("{text} % is out of range (0 to 100)").format(text=text),
    )


def _byte_count(text: str) -> int:
    from net.cli import number_arg

    return number_arg(
        text,
        int,
        _("{text!r} is not a whole number of bytes").format(text=text),
        lambda v: v >= 0,
        _("{text} bytes cannot be negative").format(text=text),
    )


def relay(args: argparse.Namespace) -> int:
    """``swb relay LISTEN_PORT TARGET_HOST TARGET_PORT``: relay until a signal; exit 0."""
    from net._cli_common import (
        announce_certificate,
        client_tls,
        server_certificate,
        status,
        stop_on_signals,
        warn_if_insecure,
    )
    from net._faults import Faults
    from net.relay import TcpRelay, UdpRelay

    encoding = check_encoding(args.encoding)
    faults = Faults(
        delay_ms=args.delay,
        jitter_ms=args.jitter,
        rate=args.rate,
        loss=args.loss,
        duplicate=args.duplicate,
        reorder=args.reorder,
        slice_bytes=args.slice,
        slice_pause_ms=args.slice_pause if args.slice else 0.0,
        reset_after=args.reset_after,
    )
    per_direction = _per_direction(faults, args.direction)
    tls_wanted = args.tls_target or args.tls_listen or args.insecure or args.fingerprint
    if args.udp:
        if tls_wanted or args.cafile or args.cert or args.key:
            raise AddressError(_("TLS options are for TCP; a UDP relay cannot use them"))
        if args.slice or args.reset_after:
            raise AddressError(_("--slice and --reset-after are for TCP, not for --udp"))
    elif args.loss or args.duplicate or args.reorder:
        raise AddressError(_("--loss, --duplicate and --reorder are for UDP: add --udp"))
    out = _Printer(encoding, json_lines=args.json, stream=not args.udp)
    on_event = None if args.quiet else out.event
    where = (args.host, args.listen_port, args.target_host, args.target_port)
    common: dict[str, Any] = {
        "on_event": on_event,
        "seed": args.seed,
        "max_clients": args.max_clients,
    }
    loop: TcpRelay | UdpRelay
    if args.udp:
        loop = UdpRelay(*where, idle_timeout=args.idle_timeout or 60.0, **common)
    else:
        target_tls = client_tls(args, tls=args.tls_target)
        args.tls = args.tls_listen  # what server_certificate() reads
        certificate = server_certificate(args)
        context = None
        if certificate is not None:
            from net.tls import server_context

            context = server_context(certificate)
        warn_if_insecure(target_tls)
        loop = TcpRelay(
            *where,
            **common,
            connect_timeout=args.connect_timeout,
            idle_timeout=args.idle_timeout or 300.0,
            target_tls=target_tls,
            ssl_context=context,
        )
        if certificate is not None:
            announce_certificate(certificate, given=bool(args.cert))
    for direction, applied in per_direction.items():
        loop.set_faults(applied, direction)
    kind = "UDP" if args.udp else "TCP"
    with loop, stop_on_signals(loop):
        status(
            _("listening on {address} ({kind}), relaying to {target}").format(
                address=loop.address, kind=kind, target=loop.target
            )
        )
        try:
            loop.run()
        finally:
            out.flush()
    unit = "datagram" if args.udp else "chunk"
    for counters in loop.counters().values():
        status(_summary(counters, unit))
    if isinstance(loop, TcpRelay):
        line = f"{_plural(loop.total_clients, 'connection')}"
        if loop.refused:
            line += _(", {refused} refused").format(refused=loop.refused)
        status(line)
    return EXIT_OK


def _per_direction(faults: Faults, direction: str | None) -> dict[str, Faults]:
    """The faults of each direction: all on one with --direction, else delay and jitter on
    client to target only (what a round trip feels) and the rest on both."""
    from net._faults import Faults

    clean = Faults()
    if direction == "->":
        return {"->": faults, "<-": clean}
    if direction == "<-":
        return {"->": clean, "<-": faults}
    if direction == "both":
        return {"->": faults, "<-": faults}
    return {"->": faults, "<-": faults.changed(delay_ms=0.0, jitter_ms=0.0)}


def _summary(counters: RelayCounters, unit: str) -> str:
    return _(
        "{direction} {chunks}, {bytes}, {dropped:,} dropped, {duplicated:,} duplicated"
    ).format(
        direction=counters.direction,
        chunks=_plural(counters.chunks, unit),
        bytes=_plural(counters.bytes, "byte"),
        dropped=counters.dropped,
        duplicated=counters.duplicated,
    )


def _plural(count: int, noun: str) -> str:
    from net._cli_common import counted

    return counted(count, noun, grouped=True)


class _Printer:
    """Writes what the relay reports: data on stdout, connections on stderr (or all as JSON)."""

    def __init__(self, encoding: str, *, json_lines: bool, stream: bool) -> None:
        self._encoding = encoding
        self._stream = stream  # TCP: decode each direction as one stream
        self._json = json_lines
        self._decoders: dict[tuple[int, str], StreamDecoder] = {}
        self._write = sys.stdout.write

    def event(self, event: RelayEvent) -> None:
        from net._cli_common import status
        from net.events import RelayData, RelayOpened

        if isinstance(event, RelayData):
            self._data(event)
        elif self._json:
            record: dict[str, Any] = {
                "time": round(event.time, 6),
                "event": "opened" if isinstance(event, RelayOpened) else "closed",
                "conn": event.conn_id,
                "side": event.side,
                "peer": event.peer,
            }
            if isinstance(event, RelayOpened):
                if event.tls is not None:
                    record["tls"] = {"version": event.tls.version, "cipher": event.tls.cipher}
            else:
                record.update(reason=event.reason, error=event.error)
                self._decoders.pop((event.conn_id, "->"), None)
                self._decoders.pop((event.conn_id, "<-"), None)
            self._write(json_line(record) + "\n")
        elif isinstance(event, RelayOpened):
            tls = f" ({event.tls.version})" if event.tls is not None else ""
            status(
                _("#{conn_id} {side} {peer} connected{tls}").format(
                    conn_id=event.conn_id, side=event.side, peer=event.peer, tls=tls
                )
            )
        else:
            for direction in ("->", "<-"):
                self._decoders.pop((event.conn_id, direction), None)
            status(
                _("#{conn_id} {side} {peer} closed: {reason}").format(
                    conn_id=event.conn_id, side=event.side, peer=event.peer, reason=event.reason
                )
            )
        sys.stdout.flush()

    def _data(self, event: Any) -> None:
        data: bytes = event.data
        key = (event.conn_id, event.direction)
        if self._stream and event.action == "forwarded":
            decoder = self._decoders.get(key)
            if decoder is None:
                decoder = self._decoders[key] = StreamDecoder(
                    self._encoding, one_line=not self._json
                )
            text = decoder.decode(data)
        else:
            text = render_text(data, self._encoding, one_line=not self._json)
        if self._json:
            record = {
                "time": round(event.time, 6),
                "event": "data",
                "conn": event.conn_id,
                "peer": event.peer,
                "direction": event.direction,
                "action": event.action,
                "size": len(data),
                "text": text,
                "hex": to_hex(data, ""),
            }
            self._write(json_line(record) + "\n")
        else:
            mark = "" if event.action == "forwarded" else f"[{event.action}] "
            self._write(f"{event.peer} {event.direction} {mark}{text}\n")

    def flush(self) -> None:
        sys.stdout.flush()
