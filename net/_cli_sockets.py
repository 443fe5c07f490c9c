"""The socket commands of ``swb``: udp-send, udp-listen, tcp-send and tcp-serve (net.cli parses them).

Data goes to stdout (one line, or one JSON object, per datagram or chunk); status lines ("listening
on ...", warnings, the summary) go to stderr, flushed at once, so that stdout stays clean for pipes.
SIGINT and SIGTERM stop a command cleanly: it prints its summary and exits 0.
tcp-send and tcp-serve speak TLS with --tls (net.tls: verified, pinned or insecure clients; the
self-signed certificate made on first use, or --cert/--key, whose fingerprint tcp-serve prints).
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from net._cli_common import (
    announce_certificate,
    client_tls,
    counted,
    raise_file_limit,
    server_tls,
    status,
    stop_on_signals,
    warn_if_insecure,
)
from net._cli_output import Printer
from net._i18n import N_, _
from net.checksum import append_checksum, get_checksum
from net.codec import check_encoding, encode_payload
from net.errors import ConnectError, PayloadError
from net.events import Connected, Disconnected, Received, Sent
from net.rtt import RoundTrips

if TYPE_CHECKING:
    from net._loop import StoppableLoop
    from net.events import Datagram
    from net.framing import FramingSpec
    from net.pcapng import PcapngFile
    from net.rules import Responder
    from net.tcp import TcpEvent
    from net.tls import ClientTls
    from net.udp import UdpSender

# Each command imports its engine (net.udp, net.tcp) when it runs, and TLS (net.tls, ssl) only
# when asked for: `swb udp-send` loads no TCP, `swb tcp-send` without --tls no OpenSSL.

__all__ = ["tcp_send", "tcp_serve", "udp_listen", "udp_send"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def udp_send(args: argparse.Namespace) -> int:
    """``swb udp-send HOST PORT DATA``: send, optionally repeat, optionally wait for replies.

    Exit status: 0 when sent (and, with --wait, when at least one reply arrived, as ping does);
    1 when the system refused to send, or when --wait was given and no reply arrived at all;
    130 when a signal stopped it before any reply arrived.
    """
    from net.udp import UdpSender

    encoding = check_encoding(args.encoding)
    data = append_checksum(_payload(args, args.data), args.checksum, args.checksum_order)
    sender = UdpSender(args.host, args.port, bind_port=args.bind_port, broadcast=args.broadcast)
    return send_datagrams(
        sender,
        data,
        args.count,
        args.interval / 1000.0,
        wait=args.wait,
        out=Printer(encoding, json_lines=args.json),
    )


def send_datagrams(
    sender: UdpSender,
    data: bytes | Callable[[int], bytes],
    count: int,
    interval: float,
    *,
    wait: float | None,
    out: Printer,
    label: str = "",
) -> int:
    """Send ``count`` datagrams ``interval`` seconds apart (``data``: the bytes, or a function of
    the send number), print replies when ``wait`` is set, then the summary (prefixed ``label``);
    closes ``sender``. Returns the exit status (1: --wait and no reply at all)."""
    replies = 0
    sent_bytes = 0
    rtt = RoundTrips()

    def on_sent(datagram: Datagram) -> None:
        nonlocal sent_bytes
        sent_bytes += len(datagram.data)
        rtt.sent(datagram.time)

    def on_reply(datagram: Datagram) -> None:
        nonlocal replies
        replies += 1
        out.datagram(datagram, rtt_ms=rtt.replied(datagram.time))
        out.flush()

    with sender, stop_on_signals(sender):
        sent = sender.run_repeat(
            data,
            count,
            interval,
            on_sent=on_sent,
            on_reply=on_reply if wait else None,
            reply_timeout=wait,
        )
        stopped = sender.stopping  # by a signal (leaving the with-block stops it too)
    status(
        _("{label}{datagrams}, {bytes} sent to {peer}").format(
            label=label,
            datagrams=counted(sent, "datagram"),
            bytes=counted(sent_bytes, "byte"),
            peer=sender.peer,
        )
        + rtt.summary()
    )
    if wait and not replies:
        if stopped:  # Ctrl-C before the wait was over: "within 30 s" would be untrue
            status(_("swb: stopped before any reply from {peer} arrived").format(peer=sender.peer))
            return EXIT_INTERRUPTED
        status(_("swb: no reply from {peer} within {wait:g} s").format(peer=sender.peer, wait=wait))
        return EXIT_NETWORK
    return EXIT_OK


def udp_listen(args: argparse.Namespace) -> int:
    """``swb udp-listen PORT``: print every datagram until --count, --timeout or a signal."""
    from net.pcapng import TrafficRecord
    from net.udp import UdpReceiver

    encoding = check_encoding(args.encoding)
    reply = _payload(args, args.reply) if args.reply is not None else None
    out = Printer(encoding, json_lines=args.json, quiet=args.quiet)
    _verify_checksums(args, out)
    capture = _capture(args)
    # Through a responder, fixed replies are reported (on_reply) and so captured too.
    responder = _responder(
        args, "raw", "fixed" if reply is not None else "none", reply or b"", capture is not None
    )
    on_datagram: Callable[[Datagram], None] | None = out.datagram
    on_reply: Callable[[Datagram], None] = out.datagram
    if capture is not None:

        def on_datagram(datagram: Datagram) -> None:
            capture.writer.write(
                TrafficRecord(
                    datagram.time, "udp", datagram.outgoing, receiver.address, datagram.peer,
                    datagram.data,
                )
            )  # fmt: skip
            out.datagram(datagram)

        on_reply = on_datagram
    elif args.quiet:
        # --quiet takes no datagrams at all: the receiver then only counts, as fast as it can read.
        on_datagram = None
    receiver = UdpReceiver(
        args.host,
        args.port,
        on_datagram=on_datagram,
        multicast_group=args.multicast,
        reply=reply,
        on_drained=out.flush,
        max_datagrams=args.count,
        responder=responder,
        on_reply=on_reply,
    )
    with (
        _closing_capture(capture),
        receiver,
        stop_on_signals(receiver),
        _stop_after(receiver, args.timeout),
    ):
        status(_("listening on {address} (UDP)").format(address=receiver.address))
        if receiver.multicast_group:
            status(
                _("joined the multicast group {multicast_group}").format(
                    multicast_group=receiver.multicast_group
                )
            )
        if receiver.rcvbuf_warning:
            status(
                _("swb: warning: {rcvbuf_warning}").format(rcvbuf_warning=receiver.rcvbuf_warning)
            )
        try:
            receiver.run()
        finally:
            out.flush()
    stats = receiver.stats
    summary = f"{counted(stats.datagrams, 'datagram')}, {counted(stats.bytes, 'byte')}"
    if stats.truncated:
        summary += _(", {truncated} truncated").format(truncated=stats.truncated)
    if reply is not None or responder is not None:
        summary += _(", {replies} sent").format(replies=counted(stats.replies, "reply"))
    status(summary + _checksum_summary(args, out))
    return EXIT_OK


def tcp_send(args: argparse.Namespace) -> int:
    """``swb tcp-send HOST PORT DATA``: connect, send, then close (or print replies for --wait s).

    Exit status: 0 when sent (the peer closing during --wait is fine); 1 when the connection could
    not be made or broke (reset), the TLS handshake or certificate check failed, or (without
    --tls) the server answered in TLS.
    """

    encoding = check_encoding(args.encoding)
    data = append_checksum(_payload(args, args.data), args.checksum, args.checksum_order)
    out = Printer(encoding, json_lines=args.json, framing=_framing(args))
    return send_stream(
        args.host,
        args.port,
        data,
        args.count,
        args.interval / 1000.0,
        wait=args.wait,
        connect_timeout=args.connect_timeout,
        tls=client_tls(args, tls=args.tls),
        out=out,
        label="" if args.count == 1 else f"{counted(args.count, 'send')}, ",
    )


def send_stream(
    host: str,
    port: int,
    data: bytes | Callable[[int], bytes],
    count: int = 1,
    interval: float = 0.0,
    *,
    wait: float | None,
    connect_timeout: float,
    tls: ClientTls | None,
    out: Printer,
    label: str = "",
    tls_hint: str = N_("add --tls"),
) -> int:
    """Connect, send ``data`` (bytes, or a function of the send number) ``count`` times
    ``interval`` seconds apart, and print what arrives until ``wait`` seconds after the last
    send was written (None: close then), or until the peer closes. With ``label``, a summary
    line starting with it follows. Returns the exit status (1: could not connect, broke, or
    failed TLS; plain TCP answered in TLS, which ``tls_hint`` says how to fix).
    """
    from net.tcp import TcpClient

    payload = data if callable(data) else lambda _index: data
    failure: list[str] = []
    timers: list[threading.Timer] = []
    lock = threading.Lock()
    written = 0
    sent_bytes = 0
    rtt = RoundTrips()

    def sent_everything() -> None:
        if wait is None:
            client.shutdown()
        else:
            timer = threading.Timer(wait, client.shutdown)
            timer.daemon = True
            timers.append(timer)
            timer.start()

    def written_one(size: int) -> None:
        nonlocal written, sent_bytes
        with lock:  # the loop's Sent events and the repeat thread's empty payloads
            written += 1
            sent_bytes += size
            last = written == count
        if last:
            sent_everything()

    def send(index: int) -> None:
        chunk = payload(index)
        if chunk:
            client.send(chunk)  # its Sent event counts it
        else:
            written_one(0)

    def repeat() -> None:
        # On a thread of its own: the client's loop must go on reading replies meanwhile.
        for index in range(1, count):
            if client.wait_stopped(interval):
                return
            try:
                send(index)
            except ConnectError:  # the connection is gone: the loop reports it as Disconnected
                return

    def on_event(event: TcpEvent) -> None:
        if isinstance(event, Connected):
            if event.tls is not None:
                status(
                    _(
                        "connected to {peer} with {version} ({cipher}); certificate SHA-256 "
                        "fingerprint: {peer_fingerprint}"
                    ).format(
                        peer=event.peer,
                        version=event.tls.version,
                        cipher=event.tls.cipher,
                        peer_fingerprint=event.tls.peer_fingerprint,
                    )
                )
            out.tcp_event(event)
            send(0)
            if count > 1:
                threading.Thread(target=repeat, name="swb-repeat", daemon=True).start()
        elif isinstance(event, Received):
            if tls is None and client.bytes_in == len(event.data) and _looks_like_tls(event.data):
                failure.append(
                    _("{peer} answered in TLS: it is a TLS server, so {tls_hint}").format(
                        peer=event.peer, tls_hint=_(tls_hint)
                    )
                )
                client.shutdown()
                return
            out.tcp_event(event, rtt_ms=rtt.replied(event.time))
        elif isinstance(event, Disconnected):
            out.tcp_event(event)
            if event.error:
                reason = event.reason
                if (
                    tls is None
                    and not client.bytes_in
                    and reason.endswith(_("reset the connection"))
                ):
                    # What TLS servers (openssl s_server, swb tcp-serve --tls) do with plain text.
                    reason += _(" (if it is a TLS server, {tls_hint})").format(tls_hint=_(tls_hint))
                failure.append(reason)
        elif isinstance(event, Sent) and not event.heartbeat:  # one send, written in full
            rtt.sent(event.time)
            written_one(len(event.data))
        out.flush()

    warn_if_insecure(tls)
    client = TcpClient(host, port, on_event=on_event, connect_timeout=connect_timeout, tls=tls)
    try:
        with client, stop_on_signals(client):
            client.run()
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()
    if label:
        status(
            _("{label}{bytes} sent to {peer}").format(
                label=label, bytes=counted(sent_bytes, "byte"), peer=client.peer
            )
            + rtt.summary()
        )
    if failure:
        status(f"swb: {failure[0]}")
        return EXIT_NETWORK
    return EXIT_OK


def tcp_serve(args: argparse.Namespace) -> int:
    """``swb tcp-serve PORT``: serve clients, print what they send, until a signal.

    With --tls (or --cert and --key) clients must speak TLS; the certificate's path and SHA-256
    fingerprint are printed before "listening on ...", so clients can pin it.
    """
    encoding = check_encoding(args.encoding)
    if args.echo:
        mode, fixed = "echo", b""
    elif args.reply is not None:
        mode, fixed = "fixed", _payload(args, args.reply)
    else:
        mode, fixed = "none", b""
    from net.tcp import TcpServer

    framing = _framing(args)
    responder = _responder(args, str(framing) if framing else None, mode, fixed)
    certificate, context = server_tls(args)
    out = Printer(encoding, json_lines=args.json, quiet=args.quiet, announce=True, framing=framing)
    _verify_checksums(args, out)
    capture = _capture(args)
    locals_: dict[int, str] = {}  # conn_id -> this end's address, for the capture

    def on_event(event: TcpEvent) -> None:
        if capture is not None:
            _capture_tcp(capture, locals_, event)
        # With rules, what the server answers is part of the conversation: out rows too.
        if isinstance(event, Connected | Received | Disconnected) or (
            responder is not None and isinstance(event, Sent)
        ):
            out.tcp_event(event)
            out.flush()

    raise_file_limit()
    server = TcpServer(
        args.host,
        args.port,
        on_event=on_event,
        reply_mode=mode,
        fixed_reply=fixed,
        max_clients=args.max_clients,
        ssl_context=context,
        keepalive=not args.no_keepalive,
        idle_timeout=args.idle_timeout,
        responder=responder,
    )
    with _closing_capture(capture), server, stop_on_signals(server):
        if certificate is not None:
            announce_certificate(certificate, given=bool(args.cert))
        if server.limit_reason:
            status(
                _(
                    "swb: serving at most {max_clients} clients at once, not "
                    "{requested_max_clients}: {limit_reason}"
                ).format(
                    max_clients=server.max_clients,
                    requested_max_clients=server.requested_max_clients,
                    limit_reason=server.limit_reason,
                )
            )
        status(_("listening on {address} (TCP)").format(address=server.address))
        try:
            server.serve_forever()
        finally:
            out.flush()
    summary = _("{clients}, {bytes} received").format(
        clients=counted(server.total_clients, "client"), bytes=counted(server.bytes_in, "byte")
    )
    if server.bytes_out:
        summary += _(", {bytes} sent").format(bytes=counted(server.bytes_out, "byte"))
    if server.refused:
        summary += _(", {refused} refused (limit {max_clients} at once)").format(
            refused=server.refused, max_clients=server.max_clients
        )
    if server.tls_failures:
        summary += _(", {handshakes} failed").format(
            handshakes=counted(server.tls_failures, "TLS handshake")
        )
    status(summary + _checksum_summary(args, out))
    return EXIT_OK


def _verify_checksums(args: argparse.Namespace, out: Printer) -> None:
    """--checksum of a listener: rows (datagrams, frames, or chunks without --framing) that do
    not end with it are marked. An unknown name is bad input before anything listens."""
    if args.checksum:
        get_checksum(args.checksum)
        out.checksum = (args.checksum, args.checksum_order)


def _checksum_summary(args: argparse.Namespace, out: Printer) -> str:
    if not args.checksum:
        return ""
    return _(", {count} failed the {name} check").format(
        count=out.bad_checksums, name=args.checksum
    )


def _responder(
    args: argparse.Namespace,
    framing: str | None,
    fallback: str,
    fixed: bytes,
    always: bool = False,
) -> Responder | None:
    """The --rule and --mock options as a responder answering the rest with the fallback;
    ``framing`` None: lines, or raw chunks when a rule matches hex bytes. Without rules it is
    None, unless a fallback answers and --checksum must keep damaged frames unanswered (or
    ``always``): then raw chunks without --framing, as the rows are checked."""
    checksum = (args.checksum, args.checksum_order) if args.checksum else None
    if not args.rule and not args.mock:
        if fallback == "none" or (checksum is None and not always):
            return None
        framing = framing or "raw"
    from net.rules import Responder, default_framing, parse_rules

    rules = parse_rules(args.rule, args.encoding)
    if args.mock:
        from net.script import mock_rules

        rules += mock_rules(args.mock, framing=framing or default_framing(rules))
    return Responder(
        rules, framing=framing, fallback=fallback, fixed_reply=fixed, checksum=checksum
    )


def _capture(args: argparse.Namespace) -> PcapngFile | None:
    """The --pcapng file, opened (as FILE.part) before anything listens; None without it."""
    if args.pcapng is None:
        return None
    from net.pcapng import PcapngFile

    return PcapngFile(args.pcapng)


@contextlib.contextmanager
def _closing_capture(capture: PcapngFile | None) -> Iterator[None]:
    """Close the capture when the command ends, however it ends, and say what it holds."""
    if capture is None:
        yield
        return
    try:
        yield
    except BaseException:
        capture.abort()
        raise
    packets = capture.close()
    status(
        _("wrote {packets} to {path} (pcapng)").format(
            packets=counted(packets, "packet"), path=capture.path
        )
    )


def _capture_tcp(capture: PcapngFile, locals_: dict[int, str], event: TcpEvent) -> None:
    """Record one server event in the capture: handshakes, data both ways, closes."""
    from net.pcapng import TrafficRecord

    if isinstance(event, Connected):
        locals_[event.conn_id] = event.local
        capture.writer.tcp_opened(
            event.time, event.local, event.peer, event.conn_id, peer_connected=True
        )
    elif isinstance(event, Received | Sent) and event.conn_id in locals_:
        if isinstance(event, Sent) and event.heartbeat:
            return
        capture.writer.write(
            TrafficRecord(
                event.time, "tcp", isinstance(event, Sent), locals_[event.conn_id], event.peer,
                event.data, event.conn_id,
            )
        )  # fmt: skip
    elif isinstance(event, Disconnected) and event.conn_id in locals_:
        local = locals_.pop(event.conn_id)
        capture.writer.tcp_closed(event.time, local, event.peer, event.conn_id)


def _framing(args: argparse.Namespace) -> FramingSpec | None:
    """The --framing spec (None: rows as received).

    Raises:
        PayloadError: not a framing spec."""
    if args.framing is None:
        return None
    from net.framing import parse_framing

    return parse_framing(args.framing)


def _looks_like_tls(data: bytes) -> bool:
    """Whether ``data`` starts like a TLS record (an alert or a handshake; RFC 8446 section 5.1)."""
    return len(data) >= 5 and data[0] in (0x15, 0x16) and data[1] == 3 and data[2] <= 4


def _payload(args: argparse.Namespace, text: str) -> bytes:
    if args.hex and args.escapes:
        raise PayloadError(_("choose either --hex or --escapes, not both"))
    mode = "hex" if args.hex else "escapes" if args.escapes else "text"
    return encode_payload(text, mode, args.encoding)


@contextlib.contextmanager
def _stop_after(loop: StoppableLoop, seconds: float | None) -> Iterator[None]:
    if seconds is None:
        yield
        return
    timer = threading.Timer(seconds, loop.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
