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

from net._cli_common import (
    announce_certificate,
    client_tls,
    counted,
    server_tls,
    status,
    stop_on_signals,
    warn_if_insecure,
)
from net._faults import Faults
from net._i18n import _
from net.codec import StreamDecoder, check_encoding, json_line, render_text, to_hex
from net.errors import AddressError
from net.events import RelayCounters, RelayData, RelayOpened

if TYPE_CHECKING:
    from net.relay import RelayEvent

__all__ = ["relay"]

EXIT_OK = 0


def relay(args: argparse.Namespace) -> int:
    """``swb relay LISTEN_PORT TARGET_HOST TARGET_PORT``: relay until a signal; exit 0."""
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
        certificate, context = server_tls(args)
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
        line = counted(loop.total_clients, "connection", grouped=True)
        if loop.refused:
            line += _(", {refused} refused").format(refused=loop.refused)
        status(line)
    return EXIT_OK


def _per_direction(faults: Faults, direction: str | None) -> dict[str, Faults]:
    """The faults of each direction: all on one with --direction, else delay and jitter on
    client to target only (what a round trip feels) and the rest on both."""
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
        chunks=counted(counters.chunks, unit, grouped=True),
        bytes=counted(counters.bytes, "byte", grouped=True),
        dropped=counters.dropped,
        duplicated=counters.duplicated,
    )


class _Printer:
    """Writes what the relay reports: data on stdout, connections on stderr (or all as JSON)."""

    def __init__(self, encoding: str, *, json_lines: bool, stream: bool) -> None:
        self._encoding = encoding
        self._stream = stream  # TCP: decode each direction as one stream
        self._json = json_lines
        self._decoders: dict[tuple[int, str], StreamDecoder] = {}
        self._write = sys.stdout.write

    def event(self, event: RelayEvent) -> None:
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
