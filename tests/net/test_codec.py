"""Payload codecs: tables of what users type, and hypothesis round trips over arbitrary bytes and text."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.codec import (
    ENCODINGS,
    LINE_ENDINGS,
    PayloadSpec,
    StreamDecoder,
    _escape_controls,
    check_encoding,
    encode_payload,
    hexdump,
    json_line,
    parse_escapes,
    parse_hex,
    render_text,
    to_hex,
)
from net.errors import PayloadError

HEX_CASES = [
    ("48 65 6c 6c 6f", b"Hello"),
    ("48656C6C6F", b"Hello"),
    ("0x48 0x65", b"He"),
    ("0X48,0x65", b"He"),
    ("48:65:6c", b"Hel"),
    ("48-65", b"He"),
    ("48;65", b"He"),
    ("A B", b"\x0a\x0b"),
    ("  ff\n00\t", b"\xff\x00"),
    ("", b""),
    ("   ", b""),
]

BAD_HEX = [
    ("zz", "'z' at position 1"),
    ("48 6G", "'G' at position 5"),
    ("123", "odd number of digits"),
    ("0x", "no hex digits"),
    ("41 0x", "no hex digits"),
    ("４１", "not a hex digit"),  # fullwidth digits are not hex
    ("0x4g", "'g' at position 4"),
]

ESCAPE_CASES = [
    (r"a\r\n", "UTF-8", b"a\r\n"),
    (r"\x00\xFF", "UTF-8", b"\x00\xff"),
    (r"tab\there", "UTF-8", b"tab\there"),
    (r"\\ \" \' \0 \a \b \f \v", "UTF-8", b"\\ \" ' \x00 \x07 \x08 \x0c \x0b"),
    (r"中\x0d", "UTF-8", "中".encode() + b"\r"),
    (r"中\x0d", "GBK", "中".encode("gbk") + b"\r"),
    # A stateful codec writes its byte-order mark once, not around every \xNN.
    (r"a\x41b", "UTF-16", "ab".encode("utf-16")[:4] + b"A" + b"b\x00"),
    (r"\x41", "UTF-16", b"A"),
]

BAD_ESCAPES = [
    ("abc\\", "lone backslash"),
    (r"\q", "unknown escape \\q"),
    (r"\x4", "two hex digits"),
    (r"\xZZ", "two hex digits"),
    ("中", "cannot be written in ASCII"),
]


@pytest.mark.parametrize(("text", "expected"), HEX_CASES)
def test_parse_hex(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


@pytest.mark.parametrize(("text", "message"), BAD_HEX)
def test_parse_hex_rejects(text: str, message: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(message)):
        parse_hex(text)


@pytest.mark.parametrize(("text", "encoding", "expected"), ESCAPE_CASES)
def test_parse_escapes(text: str, encoding: str, expected: bytes) -> None:
    assert parse_escapes(text, encoding) == expected


@pytest.mark.parametrize(("text", "message"), BAD_ESCAPES)
def test_parse_escapes_rejects(text: str, message: str) -> None:
    encoding = "ASCII" if message.endswith("ASCII") else "UTF-8"
    with pytest.raises(PayloadError, match=re.escape(message)):
        parse_escapes(text, encoding)


ENCODE_CASES = [
    ("hello", "text", "UTF-8", "none", b"hello"),
    ("hello", "text", "UTF-8", "crlf", b"hello\r\n"),
    ("hi", "text", "Latin-1", "lf", b"hi\n"),
    ("hi", "text", "UTF-8", "cr", b"hi\r"),
    ("中文", "text", "UTF-8", "none", b"\xe4\xb8\xad\xe6\x96\x87"),
    ("中文", "text", "GBK", "none", b"\xd6\xd0\xce\xc4"),
    ("中文", "text", "GB18030", "none", b"\xd6\xd0\xce\xc4"),
    ("ab", "text", "UTF-16LE", "lf", b"a\x00b\x00\n\x00"),
    ("ab", "text", "UTF-16BE", "none", b"\x00a\x00b"),
    ("41 42", "hex", "UTF-8", "crlf", b"AB"),  # hex is bytes exactly as written
    (r"a\x00", "escapes", "UTF-8", "lf", b"a\x00\n"),
    (r"a", "escapes", "UTF-16", "lf", "a\n".encode("utf-16")),
]


@pytest.mark.parametrize(("text", "mode", "encoding", "ending", "expected"), ENCODE_CASES)
def test_encode_payload(text: str, mode: str, encoding: str, ending: str, expected: bytes) -> None:
    assert encode_payload(text, mode, encoding, ending) == expected
    if mode in ("text", "hex", "escapes"):
        spec = PayloadSpec(text, mode, encoding, ending)  # type: ignore[arg-type]
        assert spec.to_bytes() == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "text", "no-such-codec"), "unknown text encoding"),
        (("x", "text", "hex"), "not a text encoding"),
        (("x", "text", "UTF-8", "lfcr"), "unknown line ending"),
        (("x", "binary"), "unknown payload mode"),
        (("é", "text", "ASCII"), "cannot be written in ASCII"),
        (("中", "text", "Latin-1"), "cannot be written in LATIN-1"),
    ],
)
def test_encode_payload_rejects(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(message)):
        encode_payload(*args)


def test_every_offered_encoding_and_line_ending_is_usable() -> None:
    for name in ENCODINGS:
        assert check_encoding(name)
    for ending in LINE_ENDINGS:
        assert encode_payload("x", "text", "UTF-8", ending).startswith(b"x")


RENDER_CASES = [
    (b"hello", "UTF-8", True, "hello"),
    (b"a\r\nb", "UTF-8", True, "a\\r\\nb"),
    (b"a\r\nb\tc", "UTF-8", False, "a\r\nb\tc"),
    (b"\x1b[31mred", "UTF-8", False, "\\x1b[31mred"),  # no terminal escapes reach a log
    (b"\xff\xfe", "UTF-8", True, "\\xff\\xfe"),
    ("中文".encode("gbk"), "GBK", True, "中文"),
    ("中文".encode(), "GBK", True, "涓\\xad鏂\\x87"),  # the wrong encoding shows, never fails
    (b"x", "no-such-codec", True, "x"),  # falls back to UTF-8
    ("a\u2028b".encode(), "UTF-8", True, "a\\u2028b"),
]


@pytest.mark.parametrize(("data", "encoding", "one_line", "expected"), RENDER_CASES)
def test_render_text(data: bytes, encoding: str, one_line: bool, expected: str) -> None:
    assert render_text(data, encoding, one_line=one_line) == expected


@pytest.mark.parametrize(
    ("data", "separator", "expected"),
    [
        (b"AB\r", " ", "41 42 0D"),
        (b"AB\r", "", "41420D"),
        (b"AB", ":", "41:42"),
        (b"AB", ", ", "41, 42"),  # a separator longer than one character
        (b"", " ", ""),
        (b"\x00", " ", "00"),
    ],
)
def test_to_hex(data: bytes, separator: str, expected: str) -> None:
    assert to_hex(data, separator) == expected


def test_hexdump() -> None:
    dump = hexdump(b"Hello, world!\x00\x01\x02\x03\x04")
    lines = dump.splitlines()
    assert lines[0] == "00000000  48 65 6C 6C 6F 2C 20 77 6F 72 6C 64 21 00 01 02  Hello, world!..."
    assert lines[1].startswith("00000010  03 04")
    assert lines[1].endswith("  ..")
    assert hexdump(b"") == ""


def test_stream_decoder_keeps_a_character_split_across_reads() -> None:
    data = "中文".encode()
    decoder = StreamDecoder("UTF-8")
    assert decoder.decode(data[:1]) == ""
    assert decoder.decode(data[1:4]) == "中"
    assert decoder.decode(data[4:]) == "文"
    truncated = StreamDecoder("UTF-8")
    assert truncated.decode(data[:2]) == ""
    assert truncated.decode(b"", final=True) == "\\xe4\\xb8"


# ---- whole messages and defaults: each case kills a mutant tools/mutation.py found alive -------
# The tables above match a fragment of each message; these compare the whole sentence, so a wrong
# position, a lost character or a changed word in what the user reads fails.
EXACT_MESSAGES = [
    (lambda: parse_hex("4G 4G"), "'G' at position 2 is not a hex digit (use 0-9 and A-F)"),
    (lambda: parse_hex("4X"), "'X' at position 2 is not a hex digit (use 0-9 and A-F)"),
    (
        lambda: parse_escapes("ab\\"),
        "the payload ends with a lone backslash: write \\\\ for a backslash",
    ),
    (
        lambda: parse_escapes(r"ab\x4"),
        r"escape at position 3 needs two hex digits after \x, like \x0d",
    ),
    (
        lambda: parse_escapes(r"ab\xX1"),
        r"escape at position 3 needs two hex digits after \x, like \x0d",
    ),
    (
        lambda: parse_escapes(r"ab\q"),
        r"unknown escape \q at position 3 (known: \n \r \t \0 \\ \xNN)",
    ),
    (
        lambda: parse_escapes("中", "Latin-1"),
        "'中' cannot be written in LATIN-1: choose another encoding (UTF-8 writes every character)",
    ),
    (
        lambda: encode_payload("a中", "escapes", "Latin-1"),
        "'中' cannot be written in LATIN-1: choose another encoding (UTF-8 writes every character)",
    ),
    *[
        (
            lambda name=name: check_encoding(name),
            f"{name!r} cannot encode text (try UTF-8, GBK or Latin-1)",
        )
        for name in ("undefined", "idna", "punycode")  # registered, but refuse text or handlers
    ],
    (
        lambda: encode_payload("中", "text", "ASCII"),
        "'中' cannot be written in ASCII: choose another encoding (UTF-8 writes every character)",
    ),
]


@pytest.mark.parametrize(("call", "message"), EXACT_MESSAGES)
def test_whole_error_messages(call: Callable[[], object], message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        call()
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (",41,42", b"AB"),  # an empty group before the first separator is skipped, not the end
        ("41,,42", b"AB"),
        ("0x41 0X42", b"AB"),
    ],
)
def test_parse_hex_empty_groups(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: encode_payload("é"), "é".encode()),  # default mode text, encoding UTF-8
        (lambda: parse_escapes(r"é\X41"), "é".encode() + b"A"),  # default UTF-8; \X as \x
        (lambda: render_text(b"a\nb"), "a\\nb"),  # default one_line: a log cell
        (lambda: StreamDecoder().decode(b"a\nb\xe4\xb8\xad"), "a\nb中"),  # default multi-line
        (lambda: StreamDecoder(one_line=True).decode(b"a\nb"), "a\\nb"),
        (lambda: StreamDecoder("no-such-codec").decode("中".encode()), "中"),  # falls back to UTF-8
        (lambda: render_text("中".encode(), "no-such-codec"), "中"),
    ],
)
def test_defaults_and_fallbacks(call: Callable[[], object], expected: object) -> None:
    assert call() == expected


@pytest.mark.parametrize("codec", ["iso2022_jp", "iso2022_kr"])
def test_shift_state_codec_returns_to_its_initial_state(codec: str) -> None:
    # the encoder's final flush appends the shift back to ASCII after the last text
    assert parse_escapes("日本", codec) == "日本".encode(codec)
    assert encode_payload("日本", "escapes", codec, "lf") == "日本\n".encode(codec)


def test_hexdump_pads_the_last_line_and_hides_del() -> None:
    assert hexdump(b"A" * 17 + b"\x7f~ ") == (
        "00000000  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA\n"
        "00000010  41 7F 7E 20" + " " * 36 + "  A.~ "
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": "中\x7f\x9b\u2028\n"}, '{"a": "中\\u007f\\u009b\\u2028\\n"}'),
        (["plain", 1, None], '["plain", 1, null]'),
        ("\u2029", '"\\u2029"'),
    ],
)
def test_json_line_escapes_what_json_dumps_leaves(value: object, expected: str) -> None:
    assert json_line(value) == expected


# ---- hypothesis round trips ---------------------------------------------------------------------
# No per-example deadline: a shared, busy CI machine must not turn slowness into failures.
relaxed = settings(deadline=None)


@relaxed
@given(st.binary(max_size=300), st.sampled_from(["", " ", ":", "-", ", ", "\n"]))
def test_hex_round_trip(data: bytes, separator: str) -> None:
    assert parse_hex(to_hex(data, separator)) == data
    assert parse_hex(to_hex(data).lower()) == data
    assert parse_hex(" ".join(f"0x{b:02x}" for b in data)) == data


def _escape_writer(data: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in data)


def _mixed_writer(data: bytes) -> str:
    """Printable ASCII as itself (backslash doubled), everything else as \\xNN."""
    out = []
    for b in data:
        char = chr(b)
        if char == "\\":
            out.append("\\\\")
        elif 32 <= b < 127:
            out.append(char)
        else:
            out.append(f"\\x{b:02X}")
    return "".join(out)


@relaxed
@given(st.binary(max_size=300), st.sampled_from(["UTF-8", "GBK", "Latin-1", "UTF-16LE"]))
def test_escapes_round_trip(data: bytes, encoding: str) -> None:
    assert parse_escapes(_escape_writer(data), encoding) == data


@relaxed
@given(st.binary(max_size=300), st.sampled_from(["UTF-8", "GBK", "GB18030", "Latin-1", "ASCII"]))
def test_mixed_escapes_round_trip(data: bytes, encoding: str) -> None:
    # Every offered encoding but UTF-16 writes printable ASCII as the same single bytes.
    assert parse_escapes(_mixed_writer(data), encoding) == data


def _representable(encoding: str) -> st.SearchStrategy[str]:
    def fits(char: str) -> bool:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            return False
        return True

    # Filter characters, not whole texts, so hypothesis rarely has to throw an example away;
    # every offered encoding is stateless, so a text of representable characters is representable.
    alphabet = {
        "ASCII": st.characters(max_codepoint=127),
        "Latin-1": st.characters(max_codepoint=255),
    }.get(encoding, st.characters(codec="utf-8").filter(fits))
    return st.text(alphabet, max_size=60)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_text_round_trip(encoding: str) -> None:
    codec = codecs.lookup(encoding).name

    @relaxed
    @given(_representable(encoding))
    def check(text: str) -> None:
        data = encode_payload(text, "text", encoding)
        assert data.decode(codec) == text
        decoder = StreamDecoder(encoding, one_line=False)
        # One byte at a time: a character cut across reads still comes out whole.
        pieces = [decoder.decode(data[i : i + 1]) for i in range(len(data))]
        pieces.append(decoder.decode(b"", final=True))
        printable = not any(c == "\\" or not c.isprintable() for c in text)
        if printable:
            assert "".join(pieces) == text
            assert render_text(data, encoding) == text

    check()


@relaxed
@given(st.binary(max_size=200), st.sampled_from(ENCODINGS), st.booleans())
def test_render_text_never_fails_and_stays_on_one_line(
    data: bytes, encoding: str, one_line: bool
) -> None:
    text = render_text(data, encoding, one_line=one_line)
    if one_line:
        assert "\n" not in text
        assert "\r" not in text
    assert "\x1b" not in text


# The escaping as first written: re.sub with a Python callback per control character. The fast
# version must give exactly the same text.
_REFERENCE_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REFERENCE_MULTI_LINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _reference_visible(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}"


def _reference_escape(text: str, one_line: bool) -> str:
    if one_line:
        return _REFERENCE_ONE_LINE.sub(_reference_visible, text)
    return _REFERENCE_MULTI_LINE.sub(
        lambda m: m.group() if m.group() == "\r" else _reference_visible(m), text
    )


# Text rich in what gets escaped: C0, DEL, C1, the line separators, next to ordinary characters.
_CONTROL_HEAVY = st.text(
    st.one_of(
        st.characters(max_codepoint=0xA0),
        st.sampled_from("\u2028\u2029\u2027\u202a中é\\"),
        st.characters(),
    )
)


@relaxed
@given(st.one_of(st.text(), _CONTROL_HEAVY), st.booleans())
def test_fast_escaping_equals_the_reference(text: str, one_line: bool) -> None:
    assert _escape_controls(text, one_line) == _reference_escape(text, one_line)


@relaxed
@given(st.binary(max_size=300), st.sampled_from(ENCODINGS), st.booleans())
def test_rendering_bytes_equals_the_reference(data: bytes, encoding: str, one_line: bool) -> None:
    decoded = data.decode(check_encoding(encoding), errors="backslashreplace")
    assert render_text(data, encoding, one_line=one_line) == _reference_escape(decoded, one_line)
