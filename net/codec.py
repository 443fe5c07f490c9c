"""Payloads as users write them (text in an encoding, hex, C escapes) and received bytes as users read them.

Everything here is pure: bytes in, bytes or str out, :class:`PayloadError` for input that cannot be
turned into bytes. Rendering never fails: undecodable bytes are shown as ``\\xNN``.
"""

from __future__ import annotations

import codecs
import functools
import re
from typing import Literal

from net._i18n import _
from net._record import Record
from net.errors import PayloadError

__all__ = [
    "ENCODINGS",
    "LINE_ENDINGS",
    "MODES",
    "PayloadSpec",
    "StreamDecoder",
    "check_encoding",
    "encode_payload",
    "hexdump",
    "json_line",
    "parse_escapes",
    "parse_hex",
    "render_text",
    "to_hex",
]

Mode = Literal["text", "hex", "escapes"]
MODES: tuple[Mode, ...] = ("text", "hex", "escapes")

#: The encodings offered in menus, in the order users pick them; any Python codec name also works.
ENCODINGS: tuple[str, ...] = ("UTF-8", "GBK", "GB18030", "Latin-1", "UTF-16LE", "UTF-16BE", "ASCII")

#: Line endings appended to text payloads ("none" sends the text as typed).
LINE_ENDINGS: dict[str, str] = {"none": "", "lf": "\n", "crlf": "\r\n", "cr": "\r"}

# Patterns, not compiled ones: re compiles (and caches) them on first use, so importing the module
# costs nothing for the commands that never render text.
_HEX_SEPARATORS = r"[\s,:;\-]+"
_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
# Control characters would garble a log cell: C0, DEL, C1 and the Unicode line separators. The
# patterns capture one character each, so that split() hands them to the table (see
# _escape_controls). A multi-line view keeps CR, LF and tab as they are.
_INVISIBLE_IN_JSON = "[\x7f-\x9f\u2028\u2029]"
_ONE_LINE_CONTROL = r"([\x00-\x1f\x7f-\x9f\u2028\u2029])"
_CONTROL = r"([\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029])"
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0"}


def _visible(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


_ESCAPES = {
    char: _visible(char) for char in map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])
}


class PayloadSpec(Record):
    """What the user typed and how to read it: enough to rebuild the bytes at any time."""

    text: str
    mode: Mode = "text"
    encoding: str = "UTF-8"
    line_ending: str = "none"

    def to_bytes(self) -> bytes:
        return encode_payload(self.text, self.mode, self.encoding, self.line_ending)


def check_encoding(name: str) -> str:
    """Return the Python codec name for ``name`` ("GBK", "utf8", "Latin-1"...).

    Raises:
        PayloadError: not an encoding Python knows, or not a text encoding.
    """
    codec, problem = _judge_encoding(name)
    if problem:
        raise PayloadError(problem)
    return codec


@functools.lru_cache(maxsize=64)
def _judge_encoding(name: str) -> tuple[str, str]:
    """(codec name, "") or ("", why it cannot be used); cached, since rendering every datagram
    and log cell asks again for the same few names."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        return "", _("unknown text encoding {name!r} (try UTF-8, GBK or Latin-1)").format(name=name)
    if not getattr(info, "_is_text_encoding", True):
        return "", _("{name!r} is not a text encoding (try UTF-8, GBK or Latin-1)").format(
            name=name
        )
    try:
        # Some registered codecs refuse every text ("undefined") or every error handler ("idna",
        # "punycode"); find out now, not in the middle of a send or of rendering a datagram.
        "a".encode(info.name)
        b"\x80\xffa".decode(info.name, "backslashreplace")
    except (UnicodeError, LookupError, TypeError):
        return "", _("{name!r} cannot encode text (try UTF-8, GBK or Latin-1)").format(name=name)
    return info.name, ""


def json_line(value: object) -> str:
    """``value`` as one line of JSON that is safe to print or to embed in a page.

    ``json.dumps`` escapes only C0 controls; DEL, C1 (CSI is U+009B) and the line separators are
    escaped too, so a file name or payload cannot drive the terminal that shows it or end a
    JavaScript line. Non-ASCII text (中文) stays readable.
    """
    import json  # only --json output needs it

    text = json.dumps(value, ensure_ascii=False)
    return re.sub(_INVISIBLE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", text)


def encode_payload(
    text: str, mode: Mode | str = "text", encoding: str = "UTF-8", line_ending: str = "none"
) -> bytes:
    """Turn what the user typed into the bytes to send.

    Args:
        text: the payload field's contents.
        mode: "text" (encode as is), "hex" (see :func:`parse_hex`) or "escapes" (see
            :func:`parse_escapes`).
        encoding: the text encoding for "text" and "escapes".
        line_ending: a key of :data:`LINE_ENDINGS`, appended in text and escapes modes.
    Raises:
        PayloadError: malformed hex or escapes, an unknown encoding or line ending, or text the
            encoding cannot represent.
    """
    if line_ending not in LINE_ENDINGS:
        raise PayloadError(
            _("unknown line ending {line_ending!r} (none, lf, crlf or cr)").format(
                line_ending=line_ending
            )
        )
    if mode == "hex":
        return parse_hex(text)
    codec = check_encoding(encoding)
    suffix = LINE_ENDINGS[line_ending]
    if mode == "escapes":
        return _parse_escapes(text, codec, suffix, encoding)
    if mode == "text":
        return _encode_text(text + suffix, codec, label=encoding)
    raise PayloadError(_("unknown payload mode {mode!r} (text, hex or escapes)").format(mode=mode))


def parse_hex(text: str) -> bytes:
    """Read bytes written in hex, as people paste them from captures and datasheets.

    Accepts "48 65 6c", "48656C", "0x48 0x65", "48:65:6c", "48-65", "48,65", and single-digit
    groups ("A B" means 0A 0B). Upper and lower case mix freely.

    Raises:
        PayloadError: a character that is not a hex digit, or a group with an odd number of digits.
    """
    out = bytearray()
    for group in re.split(_HEX_SEPARATORS, text.strip()):
        if not group:
            continue
        digits = group[2:] if group[:2] in ("0x", "0X") else group
        if not digits:
            raise PayloadError(
                _("{group!r} has no hex digits after it: write bytes like 0x41").format(group=group)
            )
        for offset, char in enumerate(digits):
            if char not in "0123456789abcdefABCDEF":
                where = text.find(group) + (len(group) - len(digits)) + offset
                raise PayloadError(
                    _("{char!r} at position {where} is not a hex digit (use 0-9 and A-F)").format(
                        char=char, where=where + 1
                    )
                )
        if len(digits) == 1:
            digits = "0" + digits
        elif len(digits) % 2:
            raise PayloadError(
                _(
                    "hex group {group!r} has an odd number of digits: write each byte as two digits"
                ).format(group=group)
            )
        out += bytes.fromhex(digits)
    return bytes(out)


def parse_escapes(text: str, encoding: str = "UTF-8") -> bytes:
    r"""Encode ``text`` with C-style escapes: \n \r \t \0 \\ \" \' \a \b \f \v, \xNN for a raw byte.

    Characters outside escapes are encoded with ``encoding``; ``\xNN`` is the byte NN as is.

    Raises:
        PayloadError: an unknown or incomplete escape, or text the encoding cannot represent.
    """
    return _parse_escapes(text, check_encoding(encoding), "", encoding)


def _parse_escapes(text: str, codec: str, suffix: str, label: str) -> bytes:
    # One incremental encoder for the whole payload: a stateful codec ("UTF-16" with its BOM)
    # must not restart between the text around a \xNN escape.
    encoder = codecs.getincrementalencoder(codec)()
    out = bytearray()
    pending: list[str] = []
    wrote_text = False

    def flush() -> None:
        nonlocal wrote_text
        chunk = "".join(pending)
        pending.clear()
        if chunk:
            out.extend(_encode_text(chunk, codec, encoder, label))
            wrote_text = True

    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            pending.append(char)
            i += 1
            continue
        if i + 1 >= len(text):
            raise PayloadError(
                _("the payload ends with a lone backslash: write \\\\ for a backslash")
            )
        code = text[i + 1]
        if code in _SIMPLE_ESCAPES:
            pending.append(_SIMPLE_ESCAPES[code])
            i += 2
            continue
        if code in "xX":
            digits = text[i + 2 : i + 4]
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise PayloadError(
                    _("escape at position {i} needs two hex digits after \\x, like \\x0d").format(
                        i=i + 1
                    )
                )
            flush()
            out.append(int(digits, 16))
            i += 4
            continue
        raise PayloadError(
            _("unknown escape \\{code} at position {i} (known: \\n \\r \\t \\0 \\\\ \\xNN)").format(
                code=code, i=i + 1
            )
        )
    pending.append(suffix)
    flush()
    if wrote_text:
        out.extend(encoder.encode("", True))  # a shift-state codec returns to its initial state
    return bytes(out)


def render_text(data: bytes, encoding: str = "UTF-8", *, one_line: bool = True) -> str:
    """Show received bytes as text; never raises.

    Undecodable bytes appear as ``\\xNN``. With ``one_line`` (log cells), CR, LF and other control
    characters are shown as escapes too, so one message stays on one row.
    """
    try:
        codec = check_encoding(encoding)
    except PayloadError:
        codec = "utf-8"
    text = data.decode(codec, errors="backslashreplace")
    return _escape_controls(text, one_line)


def to_hex(data: bytes, separator: str = " ") -> str:
    """``b"AB\\r"`` -> ``"41 42 0D"`` (upper case, as packet tools show it).

    ``separator`` goes between bytes and may be any string ("", " ", ":", ", ").
    """
    if len(separator) == 1:
        return data.hex(separator).upper()
    return separator.join(f"{b:02X}" for b in data) if separator else data.hex().upper()


def hexdump(data: bytes, width: int = 16) -> str:
    """A classic hex dump: offset, hex bytes, printable ASCII; one line per ``width`` bytes."""
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = " ".join(f"{b:02X}" for b in chunk).ljust(width * 3 - 1)
        ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08X}  {hex_part}  {ascii_part}")
    return "\n".join(lines)


class StreamDecoder:
    """Decodes a TCP stream chunk by chunk, so a character split across two reads stays whole."""

    def __init__(self, encoding: str = "UTF-8", *, one_line: bool = False) -> None:
        try:
            codec = check_encoding(encoding)
        except PayloadError:
            codec = "utf-8"
        self._decoder = codecs.getincrementaldecoder(codec)(errors="backslashreplace")
        self._one_line = one_line

    def decode(self, data: bytes, final: bool = False) -> str:
        return _escape_controls(self._decoder.decode(data, final), self._one_line)


def _escape_controls(text: str, one_line: bool) -> str:
    # split() with a capturing group alternates text and control characters; the table replaces
    # the odd items. Every loop runs in C: re.sub with a callback (one Python call per control
    # character) and str.translate (one exception per unmapped non-ASCII character in CPython)
    # both ran at a few MiB/s on binary data.
    parts = re.split(_ONE_LINE_CONTROL if one_line else _CONTROL, text)
    if len(parts) == 1:
        return text
    parts[1::2] = map(_ESCAPES.__getitem__, parts[1::2])
    return "".join(parts)


def _encode_text(
    text: str, codec: str, encoder: codecs.IncrementalEncoder | None = None, label: str = ""
) -> bytes:
    try:
        return encoder.encode(text) if encoder is not None else text.encode(codec)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        name = (label.strip() or codec).upper()  # the name the user chose, not Python's alias
        raise PayloadError(
            _(
                "{bad!r} cannot be written in {name}: choose another encoding (UTF-8 "
                "writes every character)"
            ).format(bad=bad, name=name)
        ) from None
