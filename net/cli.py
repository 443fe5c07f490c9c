"""``swb``: the Socket Workbench engine from the command line (design.md, "CLI contract").

Exit codes: 0 done, 1 network failure, 2 bad input (one clear line on stderr), 130 interrupted.
Never a traceback: every error the engine raises on purpose has a sentence for the user.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

from net._i18n import N_, _, fit_output, ngettext, translate_argparse
from net._version import __version__
from net.errors import AddressError, InputError, NetError

__all__ = ["exit_status", "main"]

_Number = TypeVar("_Number", int, float)

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

#: What argparse itself says to a user (CPython's Lib/argparse.py), so the catalogue translates
#: it too: net._i18n.translate_argparse points argparse's gettext at swb's catalogue.
ARGPARSE_SENTENCES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
)
#: argparse counts with ngettext; a lambda marks the pair for the catalogue without running it.
_ARGPARSE_COUNTED = (lambda n: ngettext("expected %s argument", "expected %s arguments", n),)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad input in one line and exits 2 (not a usage screen)."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_BAD_INPUT,
            _("{prog}: {message} (see '{prog} --help')").format(prog=self.prog, message=message)
            + "\n",
        )


def port_arg(text: str) -> int:
    from net.address import parse_port  # not at the top: `swb --version` needs no sockets

    try:
        return parse_port(text)
    except AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def bind_port_arg(text: str) -> int:
    from net.address import parse_port

    try:
        return parse_port(text, allow_zero=True)
    except AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_arg(
    text: str,
    kind: Callable[[str], _Number],
    not_a_number: str,
    in_range: Callable[[_Number], bool],
    out_of_range: str,
) -> _Number:
    """``text`` read as ``kind`` (int or float) for argparse, or its error with one sentence:
    ``not_a_number`` when it cannot be read, ``out_of_range`` when ``in_range`` refuses it (NaN
    fails every comparison, so a range check refuses it too)."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(not_a_number) from None
    if not in_range(value):
        raise argparse.ArgumentTypeError(out_of_range)
    return value


def _positive_int(text: str) -> int:
    return number_arg(
        text,
        int,
        _("{text!r} is not a whole number").format(text=text),
        lambda v: v >= 1,
        _("{text} must be 1 or more").format(text=text),
    )


def _seconds(text: str) -> float:
    return number_arg(
        text,
        float,
        _("{text!r} is not a number of seconds").format(text=text),
        lambda v: 0 < v <= 86400,
        _("{text} seconds is out of range (more than 0, at most 86400)").format(text=text),
    )


_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _byte_size(text: str) -> int:
    """A byte count: digits with an optional K, M, G or T (binary: 1K = 1024 bytes)."""
    cleaned = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = cleaned[-1:] if cleaned[-1:] in _SIZE_UNITS else ""
    number = cleaned[: len(cleaned) - len(unit)]
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a size in bytes (like 1000000, 500M or 2G)").format(text=text)
        ) from None
    if not 0 < value < 2**62 or value != value:
        raise argparse.ArgumentTypeError(
            _("{text} is out of range (more than 0 bytes)").format(text=text)
        )
    return int(value * _SIZE_UNITS[unit])


def _milliseconds(text: str) -> float:
    return number_arg(
        text,
        float,
        _("{text!r} is not a number of milliseconds").format(text=text),
        lambda v: 0 <= v <= 86_400_000,
        _("{text} ms is out of range (0 to 86400000)").format(text=text),
    )


def _add_tls_client_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--insecure",
        action="store_true",
        help=_("do not verify the server's certificate (anyone in between can read the traffic)"),
    )
    group.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help=_(
            "trust exactly the certificate with this SHA-256 fingerprint (as `swb serve --tls` prints)"
        ),
    )
    parser.add_argument("--cafile", metavar="PEM", help=_("trust the CA certificates in this file"))


def _add_tls_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tls",
        action="store_true",
        help=_(
            "speak TLS (a self-signed certificate is made on first use; its fingerprint is printed)"
        ),
    )
    parser.add_argument(
        "--cert", metavar="PEM", help=_("use this certificate instead (with --key)")
    )
    parser.add_argument("--key", metavar="PEM", help=_("private key for --cert"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="swb",
        description=_("Socket Workbench: UDP, TCP and file sharing from the command line."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"swb {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help=_("show the traceback when swb fails by a bug of its own"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "serve",
        help=_(
            "share files over TCP (HTTP and classic raw, inside TLS with --tls); prints the URLs"
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=_("files (or folders) to share"))
    p.add_argument(
        "-H", "--host", default="", help=_("address to listen on (default: every address)")
    )
    p.add_argument(
        "-p",
        "--port",
        type=bind_port_arg,
        default=8000,
        help=_("port (default 8000; 0 = any free)"),
    )
    p.add_argument(
        "--no-raw", action="store_true", help=_("answer only HTTP, not the classic raw dialect")
    )
    p.add_argument("--json", action="store_true", help=_("print transfer events as JSON lines"))
    p.add_argument("--quiet", action="store_true", help=_("print only the URLs and the summary"))
    p.add_argument(
        "--no-announce",
        action="store_true",
        help=_("do not announce the share on the local network (mDNS; swb discover finds it)"),
    )
    p.add_argument(
        "--upload-dir",
        metavar="DIR",
        default=None,
        help=_(
            "accept uploads into DIR (PUT /name, the index page's form, swb put); off by default"
        ),
    )
    p.add_argument(
        "--max-upload",
        type=_byte_size,
        default=None,
        metavar="SIZE",
        help=_("with --upload-dir: refuse uploads larger than this (like 500M; default: no limit)"),
    )
    p.add_argument(
        "--part-max-age",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="with --upload-dir: remove an interrupted upload's partial file this many hours "
        "after its last byte (at start and hourly; default 24)",
    )
    p.add_argument(
        "--password",
        action="store_true",
        help=_(
            "ask for a password (HTTP Basic, any user name), read from $SWB_PASSWORD or a "
            "prompt, never the command line; turns the raw dialect off"
        ),
    )
    _add_tls_server_options(p)
    p.set_defaults(handler="net._cli_files:serve")

    p = sub.add_parser("discover", help=_("list the shares announced on the local network (mDNS)"))
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help=_("how long to listen (default 2)"),
    )
    p.add_argument("--json", action="store_true", help=_("one JSON object per share"))
    p.set_defaults(handler="net._cli_discover:discover")

    p = sub.add_parser(
        "get",
        help=(
            _(
                "download a file: http(s)://host:port/name, or raw://host:port/name for classic raw "
                "servers (raw+tls:// inside TLS)"
            )
        ),
    )
    p.add_argument("url", metavar="URL")
    p.add_argument(
        "-o", "--output", default=".", metavar="DIR", help=_("save folder (default: here)")
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help=_("speak the classic raw dialect (http:// becomes raw://, https:// raw+tls://)"),
    )
    p.add_argument("--quiet", action="store_true", help=_("no progress display"))
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=_("give up when the whole download takes longer (default: no limit)"),
    )
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help=_("connect timeout, and the longest wait for the server's next bytes (default 30)"),
    )
    p.add_argument(
        "--max-size",
        type=_byte_size,
        default=None,
        metavar="BYTES",
        help=_(
            "refuse a file larger than this (like 500M or 2G); a body without a length stops "
            "there (default: what the disk has free)"
        ),
    )
    p.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help=_("mirror a share or a folder of it (URL ending in /) into DIR, verifying every file"),
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=4,
        help=_("with --recursive: files at once (default 4)"),
    )
    _add_tls_client_options(p)
    p.set_defaults(handler="net._cli_files:get")

    p = sub.add_parser(
        "put",
        help=_("upload files to a share that takes uploads (swb serve --upload-dir); resumable"),
    )
    p.add_argument(
        "url",
        metavar="URL",
        help=_("http(s)://host:port/ (each FILE under its own name) or .../NAME for one file"),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=_("files to upload"))
    p.add_argument("--quiet", action="store_true", help=_("no progress display"))
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help=_("connect timeout, and the longest wait for the server (default 30)"),
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="N",
        help=_("continue a broken upload from the server's offset up to N times (default 3)"),
    )
    _add_tls_client_options(p)
    p.set_defaults(handler="net._cli_put:put")

    p = sub.add_parser("udp-send", help=_("send UDP datagrams (and wait for a reply)"))
    _add_send_arguments(p)
    p.add_argument(
        "--count", type=_positive_int, default=1, help=_("how many datagrams (default 1)")
    )
    p.add_argument(
        "--interval",
        type=_milliseconds,
        default=1000.0,
        metavar="MS",
        help=_("pause between datagrams in ms (default 1000)"),
    )
    p.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help=(
            _(
                "after each datagram, wait this long for a reply and print it with its sender; "
                "exit status 1 if no reply arrived at all (as ping does)"
            )
        ),
    )
    p.add_argument(
        "--broadcast", action="store_true", help=_("allow sending to a broadcast address")
    )
    p.add_argument(
        "--bind-port",
        type=bind_port_arg,
        default=0,
        metavar="PORT",
        help=_("send from this local port (default: any)"),
    )
    p.add_argument("--json", action="store_true", help=_("print replies as JSON lines"))
    p.set_defaults(handler="net._cli_sockets:udp_send")

    p = sub.add_parser("udp-listen", help=_("receive UDP datagrams on a port and print them"))
    p.add_argument("port", metavar="PORT", type=bind_port_arg)
    p.add_argument(
        "-H", "--host", default="", help=_("address to bind (default: every IPv4 address)")
    )
    p.add_argument("--count", type=_positive_int, help=_("stop after this many datagrams"))
    p.add_argument("--timeout", type=_seconds, help=_("stop after this many seconds"))
    p.add_argument("--reply", metavar="DATA", help=_("answer every datagram with DATA"))
    p.add_argument("--multicast", metavar="GROUP", help=_("join this multicast group"))
    _add_rule_options(p, framing=False)
    _add_payload_options(p)
    _add_checksum_options(p, verify=True)
    p.add_argument("--json", action="store_true", help=_("one JSON object per datagram"))
    p.add_argument("--quiet", action="store_true", help=_("print only the summary line"))
    _add_pcapng_option(p)
    p.set_defaults(handler="net._cli_sockets:udp_listen")

    p = sub.add_parser(
        "tcp-send", help=_("connect to a TCP server, send DATA, print what comes back")
    )
    _add_send_arguments(p)
    p.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help=_("after sending, print what arrives for this long (or until the peer closes)"),
    )
    p.add_argument("--connect-timeout", type=_seconds, default=10.0, metavar="SECONDS")
    p.add_argument(
        "--tls",
        action="store_true",
        help=_(
            "connect with TLS (verified by default; --insecure, --fingerprint and --cafile imply it)"
        ),
    )
    p.add_argument("--json", action="store_true", help=_("print received chunks as JSON lines"))
    p.add_argument("--count", type=_positive_int, default=1, help=_("send DATA this many times"))
    p.add_argument(
        "--interval",
        type=_milliseconds,
        default=1000.0,
        metavar="MS",
        help=_("with --count: pause between sends in ms (default 1000)"),
    )
    _add_framing_option(p)
    _add_tls_client_options(p)
    p.set_defaults(handler="net._cli_sockets:tcp_send")

    p = sub.add_parser("tcp-serve", help=_("run a TCP server; print what clients send"))
    p.add_argument("port", metavar="PORT", type=bind_port_arg)
    p.add_argument(
        "-H", "--host", default="", help=_("address to bind (default: every IPv4 address)")
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--echo", action="store_true", help=_("send every client back what it sends"))
    mode.add_argument("--reply", metavar="DATA", help=_("answer every chunk received with DATA"))
    _add_payload_options(p)
    _add_checksum_options(p, verify=True)
    _add_rule_options(p, framing=True)
    p.add_argument(
        "--max-clients",
        type=_positive_int,
        default=256,
        help=(
            _(
                "clients at once (default 256); more are refused with a line on stderr. Lowered, "
                "with a line saying so, where the system cannot hold that many"
            )
        ),
    )
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help=_("close a client after this many seconds with nothing sent or received"),
    )
    p.add_argument(
        "--no-keepalive",
        action="store_true",
        help=(
            _(
                "do not probe idle clients (by default TCP keepalive frees the slot of a client "
                "whose host vanished within about 2 minutes)"
            )
        ),
    )
    p.add_argument("--json", action="store_true", help=_("one JSON object per event"))
    p.add_argument("--quiet", action="store_true", help=_("print only the summary line"))
    _add_pcapng_option(p)
    _add_tls_server_options(p)
    p.set_defaults(handler="net._cli_sockets:tcp_serve")
    _add_packet_commands(sub)

    p = sub.add_parser(
        "run",
        help=_(
            "run a conversation script (TOML: send / expect / delay steps); exit 0 if all matched"
        ),
    )
    p.add_argument("script", metavar="SCRIPT.toml")
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=_("a value for {{NAME}} in the script's steps (repeatable)"),
    )
    p.add_argument("--junit", metavar="FILE", help=_("also write the results as JUnit XML"))
    p.add_argument("--json", action="store_true", help=_("one JSON object per step"))
    p.set_defaults(handler="net._cli_script:run")

    from net._cli_relay import add_parser as add_relay_parser

    add_relay_parser(sub)
    return parser


def _add_packet_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``swb send NAME`` and ``swb packets list|import|export`` (issue 17, saved packets)."""
    library = _Parser(add_help=False)
    library.add_argument(
        "--library",
        metavar="FILE",
        help=_("the packet library file (default: packets.json in the user's data folder)"),
    )
    p = sub.add_parser(
        "send",
        parents=[library],
        help=_(
            "send a saved packet by name (UDP: show replies; TCP/TLS: read replies until --wait ends)"
        ),
    )
    p.add_argument("name", metavar="NAME", help=_("the packet's name (see 'swb packets list')"))
    p.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help=(
            _(
                "UDP: after each datagram, wait this long for a reply (exit status 1 if none came); "
                "TCP/TLS: print what arrives until this long after the last send, or the peer closes"
            )
        ),
    )
    _add_checksum_options(p, override=True)
    p.add_argument("--connect-timeout", type=_seconds, default=10.0, metavar="SECONDS")
    p.add_argument("--json", action="store_true", help=_("print replies as JSON lines"))
    _add_tls_client_options(p)
    p.set_defaults(handler="net._cli_packets:send")

    p = sub.add_parser(
        "packets", help=_("list, import (Packet Sender JSON too) or export saved packets")
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    q = actions.add_parser("list", parents=[library], help=_("list the saved packets"))
    q.add_argument("--json", action="store_true", help=_("one JSON object per packet"))
    q.set_defaults(handler="net._cli_packets:list_packets")
    q = actions.add_parser(
        "import",
        parents=[library],
        help=_(
            "add the packets of a library file or a Packet Sender JSON export (same names replace)"
        ),
    )
    q.add_argument("file", metavar="FILE")
    q.set_defaults(handler="net._cli_packets:import_packets")
    q = actions.add_parser(
        "export", parents=[library], help=_("write the library to FILE to share it")
    )
    q.add_argument("file", metavar="FILE")
    q.set_defaults(handler="net._cli_packets:export_packets")


def _add_rule_options(parser: argparse.ArgumentParser, *, framing: bool) -> None:
    # framing: the TCP server, the one command that also has --echo.
    fallback = _("--reply/--echo answer") if framing else _("--reply answers")
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="'KIND:PATTERN => REPLY'",
        help=(
            _(
                "answer what matches (repeatable, first match wins; {fallback} the "
                "rest): KIND is exact, contains, prefix, suffix, regex or hex; REPLY "
                "has escapes, variables, {{{{1}}}} or {{{{name}}}} from regex groups, "
                "hex:.. for bytes, and may end in +checksum:NAME"
            ).format(fallback=fallback)
        ),
    )
    parser.add_argument(
        "--mock",
        metavar="SCRIPT.toml",
        help=(
            _(
                "also answer like the device a recorded script talks to: each of its sends gets "
                "the exact reply that followed it (after the --rule rules)"
            )
        ),
    )
    if framing:
        _add_framing_option(parser)


def _add_framing_option(parser: argparse.ArgumentParser) -> None:
    from net.framing import FRAMING_HELP

    parser.add_argument(
        "--framing",
        metavar="SPEC",
        help=(
            _(
                "print one row per frame: {framing_help} (default: rows as received). "
                "--rule and --mock answer each frame (default: each line, or each chunk when a "
                "rule matches hex bytes)"
            ).format(framing_help=_(FRAMING_HELP))
        ),
    )


def _add_pcapng_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pcapng",
        metavar="FILE",
        help=_(
            "also write the traffic to FILE as pcapng for Wireshark (complete when the command ends)"
        ),
    )


def _add_checksum_options(
    parser: argparse.ArgumentParser, *, override: bool = False, verify: bool = False
) -> None:
    parser.add_argument(
        "--checksum",
        metavar="NAME",
        help=(
            (
                _(
                    "check that each datagram (TCP: each frame, or chunk without --framing) ends "
                    "with its checksum: crc16-modbus (low byte first), crc16-ccitt-false, "
                    "crc16-xmodem, crc32, crc8, sum8, xor8 or lrc; rules and replies see the "
                    "payload without it and do not answer a frame that fails"
                )
                if verify
                else _(
                    "append a checksum: crc16-modbus (low byte first), crc16-ccitt-false, "
                    "crc16-xmodem, crc32, crc8, sum8, xor8 or lrc"
                )
            )
            + (_("; 'none' drops the packet's own") if override else "")
        ),
    )
    parser.add_argument(
        "--checksum-order",
        choices=("big", "little"),
        help=_("byte order of the checksum (default: the algorithm's own)"),
    )


def _add_send_arguments(p: argparse.ArgumentParser) -> None:
    """HOST PORT DATA and how DATA becomes bytes: udp-send and tcp-send take the same."""
    p.add_argument("host", metavar="HOST")
    p.add_argument("port", metavar="PORT", type=port_arg)
    p.add_argument("data", metavar="DATA", help=_("payload text (or hex with --hex)"))
    _add_payload_options(p)
    _add_checksum_options(p)


def _add_payload_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hex", action="store_true", help=_("DATA is hex, like '48 65 6C 6C 6F'"))
    parser.add_argument(
        "--escapes", action="store_true", help=_(r"DATA has C escapes like \r\n \x00")
    )
    parser.add_argument(
        "--encoding", default="UTF-8", help=_("text encoding (UTF-8, GBK, Latin-1, ...)")
    )


def _load(handler: str) -> Callable[[argparse.Namespace], int]:
    module_name, _colon, func = handler.partition(":")
    module = __import__(module_name, fromlist=[func])
    result: Callable[[argparse.Namespace], int] = getattr(module, func)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``swb``; returns the exit code (the console script passes it to ``sys.exit``)."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        # Before the parser: building it imports every command's option tables (issue 22).
        print(f"swb {__version__}")
        return EXIT_OK
    _escape_unencodable_output()
    # A console that cannot show the language's script (cp1252, ASCII) gets English sentences.
    fit_output(sys.stdout, sys.stderr)
    translate_argparse()
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        return _load(args.handler)(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    except NetError as exc:
        _fail(f"swb: {exc}")
        return exit_status(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout went away (`swb udp-listen 9 | head`): nothing left to tell anyone.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        # A bug of ours: one line, not a traceback, unless --debug asks for it.
        _fail(
            "swb: "
            + _("internal error ({kind}: {exc}); --debug shows where").format(
                kind=type(exc).__name__, exc=exc
            )
        )
        if args is not None and args.debug:
            import traceback

            traceback.print_exc()
        return EXIT_NETWORK


def exit_status(exc: NetError) -> int:
    """The exit status for a command that ended with ``exc`` (design.md, CLI contract): 2 for
    input the user can fix (an InputError), 1 for a failure of the network or the peer."""
    return EXIT_BAD_INPUT if isinstance(exc, InputError) else EXIT_NETWORK


def _escape_unencodable_output() -> None:
    """Write what stdout and stderr cannot encode as escapes (``\\u62a5``) instead of crashing.

    A redirected stdout on Windows uses the legacy code page (cp1252 on a Western system), which
    has no Chinese characters; a file name or received text would end the command with a
    UnicodeEncodeError half-way through its work.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on replaced streams
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _fail(message: str) -> None:
    sys.stderr.write(message.replace("\n", " ") + "\n")
    sys.stderr.flush()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
