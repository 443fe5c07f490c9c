"""The ``swb`` command line: one table of options per command, grouped by family (files, sockets,
saved packets, scripts, relay); net.cli parses with it and runs the command's handler.

Each command names its handler as ``"module:function"``, imported only when that command runs, so
``swb --help`` and ``swb udp-send`` load no HTTP, TLS or file-sharing code (tests/test_imports.py).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterable
from typing import Any

from net._cli_args import (
    Parser,
    Row,
    add_checksum_options,
    add_framing_option,
    add_options,
    add_payload_options,
    add_pcapng_option,
    add_rule_options,
    add_send_arguments,
    add_tls_client_options,
    add_tls_server_options,
    bind_port_arg,
    byte_count,
    byte_size,
    flag,
    host_option,
    milliseconds,
    milliseconds_option,
    percent,
    port_arg,
    positive_int,
    seconds,
    seconds_option,
    tls_server_rows,
)
from net._i18n import _
from net._version import __version__

__all__ = ["build_parser"]

_Commands = argparse._SubParsersAction  # the `sub` that add_parser is called on


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``swb`` and all its commands; parsing sets ``handler`` ("module:function")."""
    parser = Parser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    _add_file_commands(sub)
    _add_socket_commands(sub)
    _add_packet_commands(sub)
    _command(
        sub,
        "run",
        _("run a conversation script (TOML: send / expect / delay steps); exit 0 if all matched"),
        "net._cli_script:run",
        [
            (("script",), {"metavar": "SCRIPT.toml"}),
            (
                ("--var",),
                {
                    "action": "append",
                    "default": [],
                    "metavar": "NAME=VALUE",
                    "help": _("a value for {{NAME}} in the script's steps (repeatable)"),
                },
            ),
            (("--junit",), {"metavar": "FILE", "help": _("also write the results as JUnit XML")}),
            flag("--json", _("one JSON object per step")),
        ],
    )
    _add_relay_command(sub)
    return parser


def _command(
    sub: _Commands[Parser],
    name: str,
    help: str,
    handler: str,
    rows: Iterable[Row],
    **settings: Any,
) -> Parser:
    """Add the command ``name`` with its option rows; running it calls ``handler``."""
    parser: Parser = sub.add_parser(name, help=help, **settings)
    add_options(parser, rows)
    parser.set_defaults(handler=handler)
    return parser


def _add_file_commands(sub: _Commands[Parser]) -> None:
    """serve, discover, get and put (net._cli_files, _cli_discover, _cli_put)."""
    _command(
        sub,
        "serve",
        _("share files over TCP (HTTP and classic raw, inside TLS with --tls); prints the URLs"),
        "net._cli_files:serve",
        [
            (
                ("paths",),
                {"nargs": "+", "metavar": "PATH", "help": _("files (or folders) to share")},
            ),
            host_option(_("address to listen on (default: every address)")),
            (
                ("-p", "--port"),
                {
                    "type": bind_port_arg,
                    "default": 8000,
                    "help": _("port (default 8000; 0 = any free)"),
                },
            ),
            flag("--no-raw", _("answer only HTTP, not the classic raw dialect")),
            flag("--json", _("print transfer events as JSON lines")),
            flag("--quiet", _("print only the URLs and the summary")),
            flag(
                "--no-announce",
                _("do not announce the share on the local network (mDNS; swb discover finds it)"),
            ),
            (
                ("--upload-dir",),
                {
                    "metavar": "DIR",
                    "default": None,
                    "help": _(
                        "accept uploads into DIR (PUT /name, the index page's form, swb put); "
                        "off by default"
                    ),
                },
            ),
            (
                ("--max-upload",),
                {
                    "type": byte_size,
                    "default": None,
                    "metavar": "SIZE",
                    "help": _(
                        "with --upload-dir: refuse uploads larger than this (like 500M; default: "
                        "no limit)"
                    ),
                },
            ),
            (
                ("--part-max-age",),
                {
                    "type": float,
                    "default": 24.0,
                    "metavar": "HOURS",
                    "help": "with --upload-dir: remove an interrupted upload's partial file this "
                    "many hours after its last byte (at start and hourly; default 24)",
                },
            ),
            flag(
                "--password",
                _(
                    "ask for a password (HTTP Basic, any user name), read from $SWB_PASSWORD or a "
                    "prompt, never the command line; turns the raw dialect off"
                ),
            ),
            add_tls_server_options,
        ],
    )
    _command(
        sub,
        "discover",
        _("list the shares announced on the local network (mDNS)"),
        "net._cli_discover:discover",
        [
            seconds_option("--timeout", _("how long to listen (default 2)"), default=2.0),
            flag("--json", _("one JSON object per share")),
        ],
    )
    _command(
        sub,
        "get",
        _(
            "download a file: http(s)://host:port/name, or raw://host:port/name for classic raw "
            "servers (raw+tls:// inside TLS)"
        ),
        "net._cli_files:get",
        [
            (("url",), {"metavar": "URL"}),
            (
                ("-o", "--output"),
                {"default": ".", "metavar": "DIR", "help": _("save folder (default: here)")},
            ),
            flag(
                "--raw",
                _("speak the classic raw dialect (http:// becomes raw://, https:// raw+tls://)"),
            ),
            flag("--quiet", _("no progress display")),
            seconds_option(
                "--timeout", _("give up when the whole download takes longer (default: no limit)")
            ),
            seconds_option(
                "--idle-timeout",
                _("connect timeout, and the longest wait for the server's next bytes (default 30)"),
                default=30.0,
            ),
            (
                ("--max-size",),
                {
                    "type": byte_size,
                    "default": None,
                    "metavar": "BYTES",
                    "help": _(
                        "refuse a file larger than this (like 500M or 2G); a body without a "
                        "length stops there (default: what the disk has free)"
                    ),
                },
            ),
            (
                ("-r", "--recursive"),
                {
                    "action": "store_true",
                    "help": _(
                        "mirror a share or a folder of it (URL ending in /) into DIR, verifying "
                        "every file"
                    ),
                },
            ),
            (
                ("--jobs",),
                {
                    "type": positive_int,
                    "default": 4,
                    "help": _("with --recursive: files at once (default 4)"),
                },
            ),
            add_tls_client_options,
        ],
    )
    _command(
        sub,
        "put",
        _("upload files to a share that takes uploads (swb serve --upload-dir); resumable"),
        "net._cli_put:put",
        [
            (
                ("url",),
                {
                    "metavar": "URL",
                    "help": _(
                        "http(s)://host:port/ (each FILE under its own name) or .../NAME for one "
                        "file"
                    ),
                },
            ),
            (("files",), {"nargs": "+", "metavar": "FILE", "help": _("files to upload")}),
            flag("--quiet", _("no progress display")),
            seconds_option(
                "--idle-timeout",
                _("connect timeout, and the longest wait for the server (default 30)"),
                default=30.0,
            ),
            (
                ("--retries",),
                {
                    "type": int,
                    "default": 3,
                    "metavar": "N",
                    "help": _(
                        "continue a broken upload from the server's offset up to N times "
                        "(default 3)"
                    ),
                },
            ),
            add_tls_client_options,
        ],
    )


def _add_socket_commands(sub: _Commands[Parser]) -> None:
    """udp-send, udp-listen, tcp-send and tcp-serve (net._cli_sockets)."""
    listen_port = (("port",), {"metavar": "PORT", "type": bind_port_arg})
    bind_host = host_option(_("address to bind (default: every IPv4 address)"))
    verify_checksums = functools.partial(add_checksum_options, verify=True)
    _command(
        sub,
        "udp-send",
        _("send UDP datagrams (and wait for a reply)"),
        "net._cli_sockets:udp_send",
        [
            add_send_arguments,
            _count_option(_("how many datagrams (default 1)")),
            milliseconds_option(
                "--interval", _("pause between datagrams in ms (default 1000)"), default=1000.0
            ),
            seconds_option(
                "--wait",
                _(
                    "after each datagram, wait this long for a reply and print it with its "
                    "sender; exit status 1 if no reply arrived at all (as ping does)"
                ),
            ),
            flag("--broadcast", _("allow sending to a broadcast address")),
            (
                ("--bind-port",),
                {
                    "type": bind_port_arg,
                    "default": 0,
                    "metavar": "PORT",
                    "help": _("send from this local port (default: any)"),
                },
            ),
            flag("--json", _("print replies as JSON lines")),
        ],
    )
    _command(
        sub,
        "udp-listen",
        _("receive UDP datagrams on a port and print them"),
        "net._cli_sockets:udp_listen",
        [
            listen_port,
            bind_host,
            (("--count",), {"type": positive_int, "help": _("stop after this many datagrams")}),
            (("--timeout",), {"type": seconds, "help": _("stop after this many seconds")}),
            (("--reply",), {"metavar": "DATA", "help": _("answer every datagram with DATA")}),
            (("--multicast",), {"metavar": "GROUP", "help": _("join this multicast group")}),
            functools.partial(add_rule_options, framing=False),
            add_payload_options,
            verify_checksums,
            flag("--json", _("one JSON object per datagram")),
            flag("--quiet", _("print only the summary line")),
            add_pcapng_option,
        ],
    )
    _command(
        sub,
        "tcp-send",
        _("connect to a TCP server, send DATA, print what comes back"),
        "net._cli_sockets:tcp_send",
        [
            add_send_arguments,
            seconds_option(
                "--wait",
                _("after sending, print what arrives for this long (or until the peer closes)"),
            ),
            seconds_option("--connect-timeout", None, default=10.0),
            flag(
                "--tls",
                _(
                    "connect with TLS (verified by default; --insecure, --fingerprint and "
                    "--cafile imply it)"
                ),
            ),
            flag("--json", _("print received chunks as JSON lines")),
            _count_option(_("send DATA this many times")),
            milliseconds_option(
                "--interval",
                _("with --count: pause between sends in ms (default 1000)"),
                default=1000.0,
            ),
            add_framing_option,
            add_tls_client_options,
        ],
    )

    def reply_mode(parser: Parser) -> None:
        add_options(
            parser.add_mutually_exclusive_group(),
            [
                flag("--echo", _("send every client back what it sends")),
                (
                    ("--reply",),
                    {"metavar": "DATA", "help": _("answer every chunk received with DATA")},
                ),
            ],
        )

    _command(
        sub,
        "tcp-serve",
        _("run a TCP server; print what clients send"),
        "net._cli_sockets:tcp_serve",
        [
            listen_port,
            bind_host,
            reply_mode,
            add_payload_options,
            verify_checksums,
            functools.partial(add_rule_options, framing=True),
            (
                ("--max-clients",),
                {
                    "type": positive_int,
                    "default": 256,
                    "help": _(
                        "clients at once (default 256); more are refused with a line on stderr. "
                        "Lowered, with a line saying so, where the system cannot hold that many"
                    ),
                },
            ),
            seconds_option(
                "--idle-timeout",
                _("close a client after this many seconds with nothing sent or received"),
            ),
            flag(
                "--no-keepalive",
                _(
                    "do not probe idle clients (by default TCP keepalive frees the slot of a "
                    "client whose host vanished within about 2 minutes)"
                ),
            ),
            flag("--json", _("one JSON object per event")),
            flag("--quiet", _("print only the summary line")),
            add_pcapng_option,
            add_tls_server_options,
        ],
    )


def _count_option(help: str) -> Row:
    """``--count N``: how many times to send (default once)."""
    return ("--count",), {"type": positive_int, "default": 1, "help": help}


def _add_packet_commands(sub: _Commands[Parser]) -> None:
    """``swb send NAME`` and ``swb packets list|import|export`` (issue 17, saved packets)."""
    library = Parser(add_help=False)
    library.add_argument(
        "--library",
        metavar="FILE",
        help=_("the packet library file (default: packets.json in the user's data folder)"),
    )
    _command(
        sub,
        "send",
        _(
            "send a saved packet by name (UDP: show replies; TCP/TLS: read replies until --wait "
            "ends)"
        ),
        "net._cli_packets:send",
        [
            (
                ("name",),
                {"metavar": "NAME", "help": _("the packet's name (see 'swb packets list')")},
            ),
            seconds_option(
                "--wait",
                _(
                    "UDP: after each datagram, wait this long for a reply (exit status 1 if none "
                    "came); TCP/TLS: print what arrives until this long after the last send, or "
                    "the peer closes"
                ),
            ),
            functools.partial(add_checksum_options, override=True),
            seconds_option("--connect-timeout", None, default=10.0),
            flag("--json", _("print replies as JSON lines")),
            add_tls_client_options,
        ],
        parents=[library],
    )
    packets = sub.add_parser(
        "packets", help=_("list, import (Packet Sender JSON too) or export saved packets")
    )
    actions = packets.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    actions.required = True
    file = (("file",), {"metavar": "FILE"})
    for name, help, handler, rows in (
        (
            "list",
            _("list the saved packets"),
            "list_packets",
            [flag("--json", _("one JSON object per packet"))],
        ),
        (
            "import",
            _(
                "add the packets of a library file or a Packet Sender JSON export (same names "
                "replace)"
            ),
            "import_packets",
            [file],
        ),
        ("export", _("write the library to FILE to share it"), "export_packets", [file]),
    ):
        _command(actions, name, help, f"net._cli_packets:{handler}", rows, parents=[library])


def _add_relay_command(sub: _Commands[Parser]) -> None:
    """``swb relay`` (issue 19, net._cli_relay): a TCP or UDP relay that injects faults."""
    relay = _command(
        sub,
        "relay",
        _("relay TCP or UDP to a target, print both directions, and inject faults"),
        "net._cli_relay:relay",
        [
            (
                ("listen_port",),
                {"metavar": "LISTEN_PORT", "type": bind_port_arg, "help": _("0 = any free port")},
            ),
            (
                ("target_host",),
                {"metavar": "TARGET_HOST", "help": _("where clients are relayed to")},
            ),
            (("target_port",), {"metavar": "TARGET_PORT", "type": port_arg}),
            host_option(_("address to listen on (default: every IPv4)")),
            flag("--udp", _("relay UDP datagrams instead of TCP")),
        ],
    )
    faults = relay.add_argument_group(
        _("faults"),
        _(
            "Delay and jitter apply to what the client sends (so a round trip grows by the "
            "delay); the others to both directions. --direction picks one direction for all of "
            "them."
        ),
    )

    def amount(name: str, kind: Any, metavar: str, help: str, default: float = 0) -> Row:
        return (name,), {"type": kind, "default": default, "metavar": metavar, "help": help}

    add_options(
        faults,
        [
            (
                ("--direction",),
                {
                    "choices": ("both", "->", "<-"),
                    "help": _(
                        "apply every fault to both directions, or only client to target (->) or "
                        "back (<-)"
                    ),
                },
            ),
            amount("--delay", milliseconds, "MS", _("hold each chunk MS"), 0.0),
            amount("--jitter", milliseconds, "MS", _("plus or minus up to MS"), 0.0),
            amount("--rate", byte_count, "BYTES_PER_S", _("bandwidth limit")),
            amount("--loss", percent, "PCT", "UDP", 0.0),
            amount("--duplicate", percent, "PCT", "UDP", 0.0),
            amount("--reorder", percent, "PCT", "UDP", 0.0),
            amount("--slice", byte_count, "BYTES", _("TCP: forward in pieces")),
            amount(
                "--slice-pause", milliseconds, "MS", _("pause after each slice (default 10)"), 10.0
            ),
            amount(
                "--reset-after",
                byte_count,
                "BYTES",
                _("TCP: reset the connection once this many bytes went one way"),
            ),
            (
                ("--seed",),
                {
                    "type": int,
                    "metavar": "N",
                    "help": _("seed the random choices, for repeatable runs"),
                },
            ),
        ],
    )
    add_options(
        relay,
        [
            (
                ("--max-clients",),
                {
                    "type": positive_int,
                    "default": 256,
                    "metavar": "N",
                    "help": _("TCP connections or UDP client addresses at once (default 256)"),
                },
            ),
            seconds_option(
                "--connect-timeout",
                _("to connect (and finish TLS) to the target (default 10)"),
                default=10.0,
            ),
            seconds_option(
                "--idle-timeout",
                _("close (TCP) or forget (UDP) a client idle this long (default 300 TCP, 60 UDP)"),
            ),
        ],
    )
    add_options(
        relay.add_argument_group(_("TLS (TCP)")),
        [
            flag(
                "--tls-target",
                _(
                    "speak TLS to the target (verified by default; --insecure, --fingerprint, "
                    "--cafile)"
                ),
            ),
            add_tls_client_options,
            *tls_server_rows(
                "--tls-listen",
                _(
                    "speak TLS to clients (self-signed certificate made on first use, or "
                    "--cert/--key)"
                ),
                _("certificate for --tls-listen (with --key)"),
            ),
        ],
    )
    add_options(
        relay,
        [
            (
                ("--encoding",),
                {"default": "UTF-8", "help": _("text encoding for display (default UTF-8)")},
            ),
            flag("--json", _("one JSON object per line")),
            flag("--quiet", _("print only the summary")),
        ],
    )
