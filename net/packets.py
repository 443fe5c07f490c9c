"""Saved packets: a named library of payloads with their destination, as in Packet Sender and
NetAssist's multi-string list; our JSON library files, and import of Packet Sender's JSON export.

The library is a JSON document ``{"format": "socket-workbench-packets", "version": 1, "packets":
[...]}``; one per user (:func:`default_library_path`) plus any file a user opens or saves to share.
Reading is pure (:func:`parse_library`, :func:`parse_packet_sender`); writing replaces the file in
one step (a new file, fsynced, then renamed over the old one), so a crash or a failed import never
leaves a half-written library.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from net._i18n import N_, _
from net.checksum import ByteOrder, append_checksum, get_checksum
from net.codec import LINE_ENDINGS, MODES, Mode, PayloadSpec, check_encoding, parse_hex, to_hex
from net.errors import LibraryError, PayloadError
from net.variables import parse_template, render_payload, uses_variables

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "MAX_PACKETS",
    "MAX_PAYLOAD_CHARS",
    "PROTOCOLS",
    "SCHEMA_VERSION",
    "LibraryError",
    "Packet",
    "default_library_path",
    "dump_library",
    "find_packet",
    "load_library",
    "merge_packets",
    "parse_library",
    "parse_packet_sender",
    "read_packets_file",
    "save_library",
]

FORMAT = "socket-workbench-packets"
SCHEMA_VERSION = 1
#: A library file larger than this is refused before it is read (64 MiB).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PACKETS = 100_000
MAX_PAYLOAD_CHARS = 1024 * 1024
MAX_NAME_CHARS = 256

Protocol = Literal["udp", "tcp", "tls"]
PROTOCOLS: tuple[Protocol, ...] = ("udp", "tcp", "tls")


@dataclass(frozen=True, slots=True)
class Packet:
    """One saved packet.

    ``payload`` is read as ``mode`` says ("text", "hex" or "escapes", see net.codec), may hold
    variables (net.variables), and gets ``checksum`` (a net.checksum name, "" for none) appended
    in ``checksum_order`` ("" for the algorithm's own). It is sent ``repeat_count`` times (0: until
    stopped) every ``repeat_interval_ms`` milliseconds, from ``local_port`` (0: any; UDP only).
    """

    name: str
    protocol: Protocol = "udp"
    host: str = "127.0.0.1"
    port: int = 0
    payload: str = ""
    mode: Mode = "text"
    encoding: str = "UTF-8"
    line_ending: str = "none"
    checksum: str = ""
    checksum_order: str = ""
    repeat_count: int = 1
    repeat_interval_ms: float = 1000.0
    local_port: int = 0
    folder: str = ""

    @property
    def spec(self) -> PayloadSpec:
        return PayloadSpec(self.payload, self.mode, self.encoding, self.line_ending)

    @property
    def has_variables(self) -> bool:
        return uses_variables(self.payload)

    def to_bytes(self, sequence: int = 0, now: float | None = None) -> bytes:
        """The exact bytes of the ``sequence``-th send (0-based): variables expanded at ``now``
        (seconds since 1970; default the current time), then the checksum appended.

        Raises:
            PayloadError: the payload, a variable or the checksum cannot be used.
        """
        data = render_payload(self.spec, sequence=sequence, now=now)
        order: ByteOrder | None = None
        if self.checksum_order in ("big", "little"):
            order = "big" if self.checksum_order == "big" else "little"
        return append_checksum(data, self.checksum, order)

    def check(self) -> Packet:
        """Return the packet if every field is usable, else raise.

        The destination is checked when sending (a library may hold a draft without a host).

        Raises:
            LibraryError: the field and why, in one sentence naming the packet.
        """
        where = f"packet {self.name!r}"
        # (what is wrong, the sentence that says so): checked in order, the first that holds is
        # raised (lazily: a later check may assume the earlier fields are sound).
        problems: tuple[tuple[Callable[[], bool], str], ...] = (
            (
                lambda: (
                    not self.name.strip() or len(self.name) > MAX_NAME_CHARS or "\n" in self.name
                ),
                N_("{where}: a name must be 1 to {max_name_chars} characters on one line"),
            ),
            (
                lambda: self.protocol not in PROTOCOLS,
                N_("{where}: protocol {protocol!r} is not udp, tcp or tls"),
            ),
            (
                lambda: not 0 <= self.port <= 65535 or not 0 <= self.local_port <= 65535,
                N_("{where}: ports go from 1 to 65535"),
            ),
            (
                lambda: bool(self.local_port) and self.protocol != "udp",
                N_("{where}: a local port can only be chosen for UDP packets"),
            ),
            (
                lambda: len(self.payload) > MAX_PAYLOAD_CHARS,
                N_("{where}: the payload is longer than {max_payload_chars} characters"),
            ),
            (
                lambda: self.mode not in MODES,
                N_("{where}: payload mode {mode!r} is not text, hex or escapes"),
            ),
            (
                lambda: self.line_ending not in LINE_ENDINGS,
                N_("{where}: line ending {line_ending!r} is not none, lf, crlf or cr"),
            ),
            (
                lambda: self.checksum_order not in ("", "big", "little"),
                N_("{where}: checksum byte order must be big or little"),
            ),
            (
                lambda: self.repeat_count < 0 or not 0 <= self.repeat_interval_ms <= 86_400_000,
                N_(
                    "{where}: repeat needs a count of 0 (until stopped) or more and an "
                    "interval of 0 to 86400000 ms"
                ),
            ),
        )
        for wrong, sentence in problems:
            if wrong():
                raise LibraryError(
                    _(sentence).format(
                        where=where,
                        max_name_chars=MAX_NAME_CHARS,
                        max_payload_chars=MAX_PAYLOAD_CHARS,
                        protocol=self.protocol,
                        mode=self.mode,
                        line_ending=self.line_ending,
                    )
                )
        try:
            check_encoding(self.encoding)
            if self.checksum:
                get_checksum(self.checksum)
            if self.has_variables:
                parse_template(self.payload)
        except PayloadError as exc:
            raise LibraryError(f"{where}: {exc}") from None
        return self


_FIELDS = {f.name: f for f in fields(Packet)}
_INTEGER_FIELDS = {"port", "local_port", "repeat_count"}


def default_library_path() -> Path:
    """``packets.json`` in the user's data folder (net.datadir.user_data_dir).

    Raises:
        NetError: the data folder cannot be created.
    """
    from net.datadir import user_data_dir

    return user_data_dir() / "packets.json"


def parse_library(data: bytes, source: str = N_("the library")) -> list[Packet]:
    """Read a library document (ours; see the module docstring).

    Raises:
        LibraryError: not JSON, not our format, a newer schema version, an unknown field or a
            field of the wrong type or value; the sentence names ``source`` and the packet.
    """
    source = _(source)  # the default is marked with N_: translate it now, not at import
    document = _json(data, source)
    if isinstance(document, list):
        raise LibraryError(
            _("{source} is a Packet Sender export, not a library: import it instead").format(
                source=source
            )
        )
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LibraryError(
            _("{source} is not a Socket Workbench packet library").format(source=source)
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise LibraryError(_("{source} has no valid schema version").format(source=source))
    if version > SCHEMA_VERSION:
        raise LibraryError(
            _(
                "{source} was written by a newer Socket Workbench (schema version "
                "{version}); update this one to read it"
            ).format(source=source, version=version)
        )
    items = document.get("packets")
    if not isinstance(items, list):
        raise LibraryError(_("{source} has no list of packets").format(source=source))
    _check_count(len(items), source)
    packets = [_packet_from_dict(item, index, source) for index, item in enumerate(items)]
    _check_unique(packets, source)
    return packets


def dump_library(packets: Iterable[Packet]) -> bytes:
    """The library document for ``packets`` (UTF-8 JSON, indented, ending with a newline)."""
    document = {
        "format": FORMAT,
        "version": SCHEMA_VERSION,
        "packets": [asdict(packet) for packet in packets],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def parse_packet_sender(data: bytes, source: str = N_("the Packet Sender export")) -> list[Packet]:
    """Read Packet Sender's JSON export: an array of objects with the lower-case keys ``name``,
    ``hexstring``, ``toip``, ``port``, ``tcporudp`` ("UDP", "TCP", "SSL"), ``repeat`` (seconds),
    ``fromport`` and ``asciistring`` (Base64 of its escaped text; read only when ``hexstring`` is
    missing). Numbers may be JSON numbers or strings, as Packet Sender writes them.

    Payloads that are printable text (with CR, LF and tab) become "escapes" payloads, others hex,
    so the bytes sent are exactly Packet Sender's. A repeat of N seconds becomes a repeat until
    stopped every N*1000 ms. Packet Sender's ``fromport`` is kept for UDP only: for TCP it records
    the port a connection came from, which a client does not choose here.

    Raises:
        LibraryError: not such an export, or a packet with a protocol this program does not speak
            (HTTP, DTLS) or a malformed field; the sentence names the packet.
    """
    source = _(source)  # the default is marked with N_: translate it now, not at import
    document = _json(data, source)
    if not isinstance(document, list):
        raise LibraryError(
            _("{source} is not a Packet Sender export (a JSON array of packets)").format(
                source=source
            )
        )
    _check_count(len(document), source)
    packets = []
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise LibraryError(
                _("{source}: item {index} is not a packet object").format(
                    source=source, index=index + 1
                )
            )
        name = str(item.get("name", "")).strip()
        where = f"{source}: packet {name or index + 1!r}"
        kind = str(item.get("tcporudp", "TCP")).strip().upper()
        protocol: Protocol
        if kind == "UDP":
            protocol = "udp"
        elif kind == "TCP":
            protocol = "tcp"
        elif kind in ("SSL", "TLS"):
            protocol = "tls"
        else:
            raise LibraryError(
                _("{where} uses {kind}, which is not supported (UDP, TCP or SSL)").format(
                    where=where, kind=kind or _("no protocol")
                )
            )
        payload = _packet_sender_bytes(item, where)
        repeat = _number(item.get("repeat", 0), where, "repeat")
        local_port = int(_number(item.get("fromport", 0), where, "fromport"))
        text, mode = _as_payload_text(payload)
        packet = Packet(
            name=name,
            protocol=protocol,
            host=str(item.get("toip", "")).strip(),
            port=int(_number(item.get("port", 0), where, "port")),
            payload=text,
            mode=mode,
            repeat_count=0 if repeat > 0 else 1,
            repeat_interval_ms=round(repeat * 1000, 3) if repeat > 0 else 1000.0,
            local_port=local_port if protocol == "udp" else 0,
        )
        try:
            packets.append(packet.check())
        except LibraryError as exc:
            raise LibraryError(f"{source}: {exc}") from None
    return packets


def read_packets_file(path: str | os.PathLike[str]) -> list[Packet]:
    """Packets from a file that is either our library or a Packet Sender export.

    Raises:
        LibraryError: the file cannot be read, is too large, or is neither format.
    """
    data = _read(Path(path))
    source = str(path)
    # A byte order mark (Notepad on Windows writes one) comes before the "[" of an export.
    stripped = data.removeprefix(codecs.BOM_UTF8).lstrip()
    if stripped.startswith(b"["):
        return parse_packet_sender(data, source)
    return parse_library(data, source)


def load_library(path: str | os.PathLike[str]) -> list[Packet]:
    """The packets in the library at ``path``; an empty list when the file does not exist yet.

    Raises:
        LibraryError: as :func:`parse_library`, or the file cannot be read.
    """
    file = Path(path)
    if not file.exists():
        return []
    return parse_library(_read(file), str(file))


def save_library(path: str | os.PathLike[str], packets: Sequence[Packet]) -> None:
    """Write ``packets`` to ``path`` in one step (a new file, fsynced, renamed over the old one).

    Raises:
        LibraryError: a packet is not valid, or the file cannot be written (the old one is kept).
    """
    from net._tls_server import write_file  # the same atomic write the certificate store uses

    for packet in packets:
        packet.check()
    _check_unique(packets, str(path))
    target = Path(path)
    try:
        write_file(target, dump_library(packets), 0o600)
    except OSError as exc:
        raise LibraryError(
            _("cannot save {target}: {strerror}").format(
                target=target, strerror=exc.strerror or exc
            )
        ) from exc


def merge_packets(
    existing: Sequence[Packet], incoming: Iterable[Packet]
) -> tuple[list[Packet], int, int]:
    """``existing`` with ``incoming`` added: a packet with a name already there replaces it in its
    place, others go to the end. Returns (packets, how many added, how many replaced).

    Raises:
        LibraryError: the result would hold more than :data:`MAX_PACKETS`.
    """
    merged = list(existing)
    index = {packet.name: i for i, packet in enumerate(merged)}
    added = replaced = 0
    for packet in incoming:
        if packet.name in index:
            merged[index[packet.name]] = packet
            replaced += 1
        else:
            index[packet.name] = len(merged)
            merged.append(packet)
            added += 1
    _check_count(len(merged), _("the library"))
    return merged, added, replaced


def find_packet(packets: Sequence[Packet], name: str) -> Packet:
    """The packet called ``name`` (exactly, else the only one whose name matches ignoring case).

    Raises:
        LibraryError: no such packet (the sentence lists a few names that exist).
    """
    for packet in packets:
        if packet.name == name:
            return packet
    folded = [packet for packet in packets if packet.name.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    if not packets:
        raise LibraryError(_("no packet named {name!r}: the library is empty").format(name=name))
    shown = ", ".join(repr(p.name) for p in packets[:5]) + (", ..." if len(packets) > 5 else "")
    raise LibraryError(
        _("no packet named {name!r} (the library has {shown})").format(name=name, shown=shown)
    )


def _json(data: bytes, source: str) -> Any:
    if len(data) > MAX_FILE_BYTES:
        raise LibraryError(
            _("{source} is larger than {max_file_bytes} MiB").format(
                source=source, max_file_bytes=MAX_FILE_BYTES // (1024 * 1024)
            )
        )
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LibraryError(_("{source} is not UTF-8 text").format(source=source)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = (
            _(" (line {line}, column {column})").format(line=exc.lineno, column=exc.colno)
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise LibraryError(
            _("{source} is not valid JSON{detail}").format(source=source, detail=detail)
        ) from None


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise LibraryError(_("{path} does not exist").format(path=path)) from None
    except IsADirectoryError:
        raise LibraryError(_("{path} is a folder, not a library file").format(path=path)) from None
    except OSError as exc:
        raise LibraryError(
            _("cannot read {path}: {strerror}").format(path=path, strerror=exc.strerror or exc)
        ) from exc
    return data


def _check_count(count: int, source: str) -> None:
    if count > MAX_PACKETS:
        raise LibraryError(
            _("{source} holds more than {max_packets} packets").format(
                source=source, max_packets=MAX_PACKETS
            )
        )


def _check_unique(packets: Iterable[Packet], source: str) -> None:
    seen: set[str] = set()
    for packet in packets:
        if packet.name in seen:
            raise LibraryError(
                _("{source} has two packets named {name!r}").format(source=source, name=packet.name)
            )
        seen.add(packet.name)


def _packet_from_dict(item: object, index: int, source: str) -> Packet:
    if not isinstance(item, dict):
        raise LibraryError(
            _("{source}: item {index} is not a packet object").format(
                source=source, index=index + 1
            )
        )
    name = item.get("name")
    where = f"{source}: packet {name if isinstance(name, str) else index + 1!r}"
    values: dict[str, Any] = {}
    for key, value in item.items():
        if key not in _FIELDS:
            raise LibraryError(
                _("{where} has the unsupported field {key!r}").format(where=where, key=key)
            )
        default = _FIELDS[key].default
        if key in _INTEGER_FIELDS:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
        else:
            ok = isinstance(value, str)
        if not ok:
            raise LibraryError(
                _("{where}: field {key!r} has a value of the wrong type").format(
                    where=where, key=key
                )
            )
        values[key] = value
    if "name" not in values:
        raise LibraryError(
            _("{source}: item {index} has no name").format(source=source, index=index + 1)
        )
    try:
        return Packet(**values).check()
    except LibraryError as exc:
        raise LibraryError(f"{source}: {exc}") from None


def _number(value: object, where: str, key: str) -> float:
    if isinstance(value, bool):
        raise LibraryError(_("{where}: {key} is not a number").format(where=where, key=key))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text) if text else 0.0
        except ValueError:
            raise LibraryError(
                _("{where}: {key} {text!r} is not a number").format(where=where, key=key, text=text)
            ) from None
    if not math.isfinite(number) or number < 0:
        raise LibraryError(
            _("{where}: {key} {value!r} is out of range").format(where=where, key=key, value=value)
        )
    return number


def _packet_sender_bytes(item: dict[str, Any], where: str) -> bytes:
    if "hexstring" in item:
        try:
            return parse_hex(str(item["hexstring"]))
        except PayloadError as exc:
            raise LibraryError(
                _("{where}: hexstring: {exc}").format(where=where, exc=exc)
            ) from None
    encoded = item.get("asciistring")
    if not encoded:
        return b""
    try:
        text = base64.b64decode(str(encoded), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        raise LibraryError(_("{where}: asciistring is not Base64").format(where=where)) from None
    return _packet_sender_ascii(text, where)


def _packet_sender_ascii(text: str, where: str) -> bytes:
    # Packet Sender's "mixed ASCII": \n \r \t \\ and \HH (two hex digits, no "x") for other bytes.
    out = bytearray()
    i = 0
    named = {"n": 10, "r": 13, "t": 9, "\\": 92}
    while i < len(text):
        char = text[i]
        if char != "\\":
            out += char.encode("latin-1")
            i += 1
            continue
        code = text[i + 1 : i + 2]
        if code in named:
            out.append(named[code])
            i += 2
            continue
        digits = text[i + 1 : i + 3]
        try:
            out.append(int(digits, 16))
        except ValueError:
            raise LibraryError(
                _("{where}: asciistring has a broken escape at {i}").format(where=where, i=i + 1)
            ) from None
        i += 3
    return bytes(out)


_PRINTABLE_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _as_payload_text(data: bytes) -> tuple[str, Mode]:
    """Printable UTF-8 text (CR, LF, tab allowed) as an escapes payload, anything else as hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return to_hex(data), "hex"
    if "{{" in text or not all(c.isprintable() or c in "\r\n\t" for c in text):
        return to_hex(data), "hex"
    return "".join(_PRINTABLE_ESCAPES.get(c, c) for c in text), "escapes"
