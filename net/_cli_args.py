"""What ``swb``'s command parsers share: a parser that reports bad input in one line, the argument
types (ports, counts, seconds, sizes, percentages) and the options several commands take.

An option is a row ``(flags, settings)``, the arguments of ``ArgumentParser.add_argument``; a
command lists its rows in a table and :func:`add_options` adds them in order (the order ``--help``
shows). The constructors below (:func:`flag`, :func:`seconds_option`, ...) write the rows that
recur. Nothing here opens a socket: ``swb --help`` loads no engine (tests/test_imports.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from net._i18n import N_, _
from net.errors import AddressError

__all__ = [
    "EXIT_BAD_INPUT",
    "Option",
    "Parser",
    "Row",
    "add_checksum_options",
    "add_framing_option",
    "add_options",
    "add_payload_options",
    "add_pcapng_option",
    "add_rule_options",
    "add_send_arguments",
    "add_tls_client_options",
    "add_tls_server_options",
    "bind_port_arg",
    "byte_count",
    "byte_size",
    "flag",
    "host_option",
    "milliseconds",
    "milliseconds_option",
    "number_arg",
    "percent",
    "port_arg",
    "positive_int",
    "seconds",
    "seconds_option",
    "tls_server_rows",
]

_Number = TypeVar("_Number", int, float)

#: Bad input: the user can fix the command line (design.md, CLI contract).
EXIT_BAD_INPUT = 2

#: One option: the positional arguments and the keyword arguments of ``add_argument``.
Option = tuple[tuple[str, ...], dict[str, Any]]
#: A row of a command's table: one option, or a function that adds a set of them.
Row = Option | Callable[[Any], None]


class Parser(argparse.ArgumentParser):
    """argparse that reports bad input in one line and exits 2 (not a usage screen)."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_BAD_INPUT,
            _("{prog}: {message} (see '{prog} --help')").format(prog=self.prog, message=message)
            + "\n",
        )


# -- argument types: text -> value, or argparse.ArgumentTypeError with one sentence ------------


def port_arg(text: str) -> int:
    """A port to connect to, 1 to 65535 (net.address.parse_port)."""
    from net.address import parse_port  # not at the top: `swb --version` needs no sockets

    try:
        return parse_port(text)
    except AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def bind_port_arg(text: str) -> int:
    """A port to listen on, 0 (any free one) to 65535."""
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


#: What each number type says when it refuses a value: (not a number, out of range), N_-marked
#: templates with ``{text}``, translated when a value is refused.
_REFUSALS = {
    "positive_int": (N_("{text!r} is not a whole number"), N_("{text} must be 1 or more")),
    "seconds": (
        N_("{text!r} is not a number of seconds"),
        N_("{text} seconds is out of range (more than 0, at most 86400)"),
    ),
    "milliseconds": (
        N_("{text!r} is not a number of milliseconds"),
        N_("{text} ms is out of range (0 to 86400000)"),
    ),
    "percent": (N_("{text!r} is not a percentage"), N_("{text} % is out of range (0 to 100)")),
    "byte_count": (
        N_("{text!r} is not a whole number of bytes"),
        N_("{text} bytes cannot be negative"),
    ),
}


def _bounded(
    name: str, kind: Callable[[str], _Number], in_range: Callable[[_Number], bool]
) -> Callable[[str], _Number]:
    """The argument type ``name``: ``kind`` within ``in_range`` (see :func:`number_arg`), refused
    with the sentences of ``_REFUSALS[name]``."""
    not_a_number, out_of_range = _REFUSALS[name]

    def parse(text: str) -> _Number:
        return number_arg(
            text,
            kind,
            _(not_a_number).format(text=text),
            in_range,
            _(out_of_range).format(text=text),
        )

    parse.__name__ = parse.__qualname__ = name
    return parse


positive_int = _bounded("positive_int", int, lambda v: v >= 1)  # a count, 1 or more
seconds = _bounded("seconds", float, lambda v: 0 < v <= 86400)  # more than 0, at most a day
milliseconds = _bounded("milliseconds", float, lambda v: 0 <= v <= 86_400_000)  # 0 to a day
percent = _bounded("percent", float, lambda v: 0 <= v <= 100)
byte_count = _bounded("byte_count", int, lambda v: v >= 0)  # a whole number of bytes

_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def byte_size(text: str) -> int:
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


# -- option rows ---------------------------------------------------------------------------------


def add_options(parser: argparse.ArgumentParser | Any, rows: Iterable[Row]) -> None:
    """Add each row to ``parser`` (a parser, an argument group or a mutually exclusive group), in
    order: an option, or a function that adds its set of options."""
    for row in rows:
        if callable(row):
            row(parser)
        else:
            flags, settings = row
            parser.add_argument(*flags, **settings)


def flag(name: str, help: str) -> Option:
    """An on/off switch (``store_true``)."""
    return (name,), {"action": "store_true", "help": help}


def seconds_option(name: str, help: str | None, default: float | None = None) -> Option:
    """``NAME SECONDS``: a time in seconds (see :func:`seconds`)."""
    return (name,), {"type": seconds, "default": default, "metavar": "SECONDS", "help": help}


def milliseconds_option(name: str, help: str, default: float) -> Option:
    """``NAME MS``: a time in milliseconds (see :func:`milliseconds`)."""
    return (name,), {"type": milliseconds, "default": default, "metavar": "MS", "help": help}


def host_option(help: str) -> Option:
    """``-H/--host``: the address a server listens on ("" = every address)."""
    return ("-H", "--host"), {"default": "", "help": help}


# -- option sets several commands take -----------------------------------------------------------


def add_tls_client_options(parser: argparse.ArgumentParser | Any) -> None:
    """--insecure | --fingerprint SHA256, and --cafile PEM (read by _cli_common.client_tls)."""
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


def tls_server_rows(
    tls_flag: str = "--tls", tls_help: str | None = None, cert_help: str | None = None
) -> list[Row]:
    """``tls_flag`` (--tls), --cert PEM and --key PEM: what _cli_common.server_certificate reads.
    The helps default to the server commands' own."""
    return [
        flag(
            tls_flag,
            tls_help
            or _(
                "speak TLS (a self-signed certificate is made on first use; its fingerprint "
                "is printed)"
            ),
        ),
        (
            ("--cert",),
            {"metavar": "PEM", "help": cert_help or _("use this certificate instead (with --key)")},
        ),
        (("--key",), {"metavar": "PEM", "help": _("private key for --cert")}),
    ]


def add_tls_server_options(parser: argparse.ArgumentParser) -> None:
    """--tls, --cert PEM and --key PEM, as ``swb serve`` and ``tcp-serve`` take them."""
    add_options(parser, tls_server_rows())


def add_rule_options(parser: argparse.ArgumentParser, *, framing: bool) -> None:
    """--rule and --mock (net.rules); ``framing``: the TCP server, the one command that also has
    --echo, and --framing."""
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
        add_framing_option(parser)


def add_framing_option(parser: argparse.ArgumentParser) -> None:
    """--framing SPEC (net.framing)."""
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


def add_pcapng_option(parser: argparse.ArgumentParser) -> None:
    """--pcapng FILE (net.pcapng)."""
    parser.add_argument(
        "--pcapng",
        metavar="FILE",
        help=_(
            "also write the traffic to FILE as pcapng for Wireshark (complete when the command ends)"
        ),
    )


def add_checksum_options(
    parser: argparse.ArgumentParser, *, override: bool = False, verify: bool = False
) -> None:
    """--checksum NAME and --checksum-order (net.checksum): appended by senders, checked by
    listeners (``verify``); ``override``: a saved packet's own checksum can be replaced."""
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


def add_send_arguments(parser: argparse.ArgumentParser) -> None:
    """HOST PORT DATA and how DATA becomes bytes: udp-send and tcp-send take the same."""
    add_options(
        parser,
        [
            (("host",), {"metavar": "HOST"}),
            (("port",), {"metavar": "PORT", "type": port_arg}),
            (("data",), {"metavar": "DATA", "help": _("payload text (or hex with --hex)")}),
        ],
    )
    add_payload_options(parser)
    add_checksum_options(parser)


def add_payload_options(parser: argparse.ArgumentParser) -> None:
    """--hex, --escapes and --encoding: how DATA (or --reply DATA) becomes bytes (net.codec)."""
    add_options(
        parser,
        [
            flag("--hex", _("DATA is hex, like '48 65 6C 6C 6F'")),
            flag("--escapes", _(r"DATA has C escapes like \r\n \x00")),
            (
                ("--encoding",),
                {"default": "UTF-8", "help": _("text encoding (UTF-8, GBK, Latin-1, ...)")},
            ),
        ],
    )
