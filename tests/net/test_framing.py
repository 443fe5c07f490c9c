"""net.framing: tables of specs and streams, and the property that wire splits never change frames."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.errors import PayloadError
from net.framing import Frame, FramingSpec, parse_framing

SPECS = [
    ("raw", FramingSpec("raw")),
    ("line", FramingSpec("line")),
    ("CRLF", FramingSpec("crlf")),
    ("any", FramingSpec("any")),
    ("fixed:4", FramingSpec("fixed", 4)),
    ("len1", FramingSpec("length", 1)),
    ("len2", FramingSpec("length", 2, "big")),
    ("len2be", FramingSpec("length", 2, "big")),
    ("len2le", FramingSpec("length", 2, "little")),
    ("len4be+header", FramingSpec("length", 4, "big", counts_header=True)),
    ("len4le", FramingSpec("length", 4, "little")),
    ("delim:0D0a", FramingSpec("delim", delimiter=b"\r\n")),
    ("delim:03", FramingSpec("delim", delimiter=b"\x03")),
]


@pytest.mark.parametrize(("text", "spec"), SPECS)
def test_parse_framing(text: str, spec: FramingSpec) -> None:
    assert parse_framing(text) == spec
    assert parse_framing(str(spec)) == spec


@pytest.mark.parametrize(
    "text", ["", "lines", "fixed:0", "fixed:x", "len3", "len1be", "len2xe", "delim:", "delim:0g"]
)
def test_bad_specs_are_payload_errors(text: str) -> None:
    with pytest.raises(PayloadError):
        parse_framing(text)


# (spec, stream, [(frame bytes, payload)] when fed at once and flushed)
CASES = [
    ("line", b"a\nbb\r\n\nc", [(b"a\n", b"a"), (b"bb\r\n", b"bb"), (b"\n", b""), (b"c", b"c")]),
    ("crlf", b"a\nb\r\nc\r\n", [(b"a\nb\r\n", b"a\nb"), (b"c\r\n", b"c")]),
    ("any", b"a\rb\nc\r\nd\r", [(b"a\r", b"a"), (b"b\n", b"b"), (b"c\r\n", b"c"), (b"d\r", b"d")]),
    ("any", b"\r\r\n", [(b"\r", b""), (b"\r\n", b"")]),
    ("fixed:3", b"abcdefgh", [(b"abc", b"abc"), (b"def", b"def"), (b"gh", b"gh")]),
    ("len1", b"\x02hi\x00\x01!", [(b"\x02hi", b"hi"), (b"\x00", b""), (b"\x01!", b"!")]),
    ("len2be", b"\x00\x03abc\x00\x01z", [(b"\x00\x03abc", b"abc"), (b"\x00\x01z", b"z")]),
    ("len2le", b"\x03\x00abc", [(b"\x03\x00abc", b"abc")]),
    ("len2be+header", b"\x00\x05abc\x00\x02", [(b"\x00\x05abc", b"abc"), (b"\x00\x02", b"")]),
    ("len2be+header", b"\x00\x01x", [(b"\x00\x01", b""), (b"x", b"x")]),  # length < header
    ("len4be", b"\x00\x00\x00\x02ok", [(b"\x00\x00\x00\x02ok", b"ok")]),
    ("len4le+header", b"\x06\x00\x00\x00ok", [(b"\x06\x00\x00\x00ok", b"ok")]),
    ("delim:7e7e", b"a~b~~c~~", [(b"a~b~~", b"a~b"), (b"c~~", b"c")]),
]


@pytest.mark.parametrize(("spec", "stream", "expected"), CASES)
def test_frames_of_a_stream(spec: str, stream: bytes, expected: list[tuple[bytes, bytes]]) -> None:
    framer = parse_framing(spec).framer()
    frames = framer.feed(stream) + framer.flush()
    assert [(f.data, f.payload) for f in frames] == expected


def test_a_partial_frame_waits_and_flush_gives_it_incomplete() -> None:
    framer = parse_framing("len2be").framer()
    assert framer.feed(b"\x00\x05ab") == []
    assert framer.pending == 4
    assert framer.feed(b"c") == []
    assert framer.flush() == [Frame(b"\x00\x05abc", incomplete=True)]
    assert framer.pending == 0


def test_a_trailing_cr_waits_for_a_possible_lf() -> None:
    framer = parse_framing("any").framer()
    assert framer.feed(b"one\r") == []
    assert framer.feed(b"\ntwo\r") == [Frame(b"one\r\n", trailer=2)]
    assert framer.flush() == [Frame(b"two\r", trailer=1)]  # the end of the stream ends it


@pytest.mark.parametrize(
    ("spec", "stream", "expected"),
    [
        # A line with no end is cut every 8 bytes; its pieces (the tail too) are flagged.
        ("line", b"0123456789abcdefXY\nok\n", [b"01234567", b"89abcdef", b"XY\n", b"ok\n"]),
        # A 300-byte message announced: 8-byte pieces, then framing resumes after it.
        ("len2be", b"\x01\x2c" + b"m" * 300 + b"\x00\x01z", None),
        ("delim:00", b"x" * 20, [b"x" * 8, b"x" * 8, b"xxxx"]),
    ],
)
def test_frames_over_the_maximum_are_cut_and_flagged(
    spec: str, stream: bytes, expected: list[bytes] | None
) -> None:
    framer = parse_framing(spec).framer(max_size=8)
    frames = [f for i in range(len(stream)) for f in framer.feed(stream[i : i + 1])]
    frames += framer.flush()
    assert all(len(f.data) <= 8 for f in frames)
    assert b"".join(f.data for f in frames) == stream
    if expected is not None:
        assert [f.data for f in frames] == expected
    last = frames[-1]
    assert not last.cut or last.incomplete
    assert all(f.cut for f in frames[:-1] if f.data != b"ok\n")
    if spec == "len2be":
        assert frames[-1] == Frame(b"\x00\x01z", header=2)
        assert sum(len(f.data) for f in frames if f.cut) == 302


def test_memory_stays_bounded_without_a_terminator() -> None:
    framer = parse_framing("line").framer(max_size=1024)
    for _ in range(1000):
        framer.feed(b"y" * 100)
        assert framer.pending <= 1024


def test_raw_gives_each_chunk() -> None:
    framer = parse_framing("raw").framer()
    assert framer.feed(b"ab") == [Frame(b"ab")]
    assert framer.feed(b"c\n") == [Frame(b"c\n")]
    assert framer.flush() == []


def test_max_size_too_small_is_refused() -> None:
    with pytest.raises(PayloadError):
        parse_framing("fixed:100").framer(max_size=64)


SPLIT_SPECS = [s for s, _ in SPECS if s != "raw"] + ["delim:414141"]
ALPHABET = st.sampled_from([b"\n", b"\r", b"A", b"\x00", b"\x01", b"\x03", b"\x04", b"~"])


@settings(max_examples=300, deadline=None)
@given(
    spec=st.sampled_from(SPLIT_SPECS),
    pieces=st.lists(ALPHABET, max_size=120),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=12),
    max_size=st.sampled_from([8, 13, 64]),
)
def test_wire_splits_never_change_the_frames(
    spec: str, pieces: list[bytes], cuts: list[int], max_size: int
) -> None:
    stream = b"".join(pieces)
    whole = parse_framing(spec).framer(max_size)
    expected = whole.feed(stream) + whole.flush()
    framer = parse_framing(spec).framer(max_size)
    got: list[Frame] = []
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    for start, stop in itertools.pairwise(bounds):
        got += framer.feed(stream[start:stop])
        assert framer.pending <= max_size + 1
    got += framer.flush()
    assert got == expected
    assert b"".join(f.data for f in got) == stream
    assert all(len(f.data) <= max_size for f in got)
