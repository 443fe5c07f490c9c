"""Edges of the file server's pure rules, one table per rule: every limit at N and N+1, whole verdicts,
and the inputs that tell a strict parser from a lenient one.

Each case kills a mutant that tools/mutation.py found alive in net/httpfile.py (the tables in
test_httpfile.py check the common cases; these check the boundaries and the exact outcome).
"""

from __future__ import annotations

import base64
import hashlib
import time

import pytest

from net.httpfile import (
    MAX_HEADER_LINES,
    MAX_RAW_NAME_BYTES,
    MAX_REQUEST_LINE,
    HeadVerdict,
    RangePlan,
    Target,
    check_head,
    content_type,
    http_date,
    human_size,
    if_range_matches,
    parse_repr_digest,
    parse_target,
    plan_range,
    shown_name,
    sniff,
)


def _nothing_is_shared(_name: str) -> bool:
    return False


# ---- sniff: which dialect a connection speaks -----------------------------------------------------

SNIFF_EDGES = [
    (b"GE", "more"),  # not final by default: "GE" may still become "GET /"
    (b"GET x\n/\n", "raw"),  # only the first line decides: a "/" on a later line is no request
    (b"\nab", "raw"),  # a line end at offset 0 is a line end
    (b"a" * MAX_RAW_NAME_BYTES, "more"),  # at the limit a name may still be completed
    (b"a" * (MAX_RAW_NAME_BYTES + 1), "raw"),  # over it, no name anyone shares
]


@pytest.mark.parametrize(("data", "expected"), SNIFF_EDGES)
def test_sniff_edges(data: bytes, expected: str) -> None:
    assert sniff(data, _nothing_is_shared) == expected


# ---- check_head: the request-line and head limits, whole verdicts ---------------------------------


def _request(line_len: int, ending: bytes, headers: int, complete: bool) -> bytes:
    line = b"GET /" + b"a" * (line_len - 5)
    assert len(line) == line_len
    head = line + ending + b"h: v\r\n" * headers
    return head + b"\r\n" if complete else head


HEAD_EDGES = [
    # request line exactly at the limit and one byte over, with CRLF and with a bare LF
    (_request(MAX_REQUEST_LINE, b"\r\n", 0, True), HeadVerdict(True, None)),
    (_request(MAX_REQUEST_LINE + 1, b"\r\n", 0, True), HeadVerdict(False, 414)),
    (_request(MAX_REQUEST_LINE, b"\n", 0, True), HeadVerdict(True, None)),
    (_request(MAX_REQUEST_LINE + 1, b"\n", 0, True), HeadVerdict(False, 414)),
    (_request(MAX_REQUEST_LINE + 1, b"", 0, False), HeadVerdict(False, 414)),  # no line end yet
    # header lines exactly at the limit and one over, in a complete and in an incomplete head
    (_request(20, b"\r\n", MAX_HEADER_LINES, True), HeadVerdict(True, None)),
    (_request(20, b"\r\n", MAX_HEADER_LINES + 1, True), HeadVerdict(False, 431)),
    (_request(20, b"\r\n", MAX_HEADER_LINES, False), HeadVerdict(False, None)),
    (_request(20, b"\r\n", MAX_HEADER_LINES + 1, False), HeadVerdict(False, 431)),
]


@pytest.mark.parametrize(("data", "expected"), HEAD_EDGES)
def test_check_head_whole_verdicts(data: bytes, expected: HeadVerdict) -> None:
    assert check_head(data) == expected


def test_check_head_size_edge_is_16384_bytes() -> None:
    filler = b"h: " + b"v" * 995 + b"\r\n"  # 1,000 bytes a line: few lines, far from 100
    head = b"GET / HTTP/1.1\r\n"
    while len(head) + len(filler) + 2 <= 16384:
        head += filler
    head += b"x: " + b"v" * (16384 - len(head) - 2 - 5) + b"\r\n"
    exact = head + b"\r\n"
    assert len(exact) == 16384
    assert check_head(exact) == HeadVerdict(True, None)
    over = head[:-2] + b"v\r\n\r\n"
    assert len(over) == 16385
    assert check_head(over) == HeadVerdict(False, 431)


# ---- parse_target ---------------------------------------------------------------------------------

TARGET_EDGES = [
    (b"/?format=json&x=\xff", Target("json")),  # a non-ASCII query byte does not hide the rest
    (b"/?x=\xe4\xb8\xad", Target("index")),
]


@pytest.mark.parametrize(("target", "expected"), TARGET_EDGES)
def test_parse_target_edges(target: bytes, expected: Target) -> None:
    assert parse_target(target) == expected


# ---- plan_range: only SP and HTAB are whitespace, numbers up to 19 digits -------------------------

WHOLE = RangePlan(200, 0, 10)
RANGE_EDGES = [
    (b"bytes=\x0c0-1", WHOLE),  # form feed is not OWS (RFC 9110 §5.6.3): malformed, whole file
    (b"bytes=\x0b0-1", WHOLE),
    (b"bytes=X0-1X", WHOLE),
    (b"bytes= \t0-1\t ", RangePlan(206, 0, 2)),
    (b"bytes=0-" + b"9" * 19, RangePlan(206, 0, 10)),  # 19 digits: clamped to the file
    (b"bytes=0-" + b"9" * 20, WHOLE),  # 20 digits: not a number we parse
    (b"bytes=-" + b"9" * 19, RangePlan(206, 0, 10)),
]


@pytest.mark.parametrize(("value", "expected"), RANGE_EDGES)
def test_plan_range_edges(value: bytes, expected: RangePlan) -> None:
    assert plan_range(value, 10) == expected


# ---- if_range_matches: RFC 9110 §13.1.5 -----------------------------------------------------------

ETAG = '"5-a"'
MTIME = 1_700_000_000.75  # a fraction: Last-Modified has whole seconds


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        (http_date(MTIME), int(MTIME) + 1, True),  # a date validates exactly one second later
        (http_date(MTIME), int(MTIME) + 1.5, True),
        (http_date(MTIME), int(MTIME) + 0.999, False),
        ("W/" + http_date(MTIME), MTIME + 60, False),  # a weak prefix never matches, even on a date
        ("w/" + http_date(MTIME), MTIME + 60, True),  # ("w/" is no weak prefix: a lenient date)
        ("not a date", MTIME + 60, False),
        (ETAG, MTIME, True),
        ("W/" + ETAG, MTIME, False),
    ],
)
def test_if_range_edges(value: str, now: float, expected: bool) -> None:
    assert if_range_matches(value.encode(), ETAG, MTIME, now=now) is expected


def test_if_range_date_uses_the_clock_by_default() -> None:
    a_minute_ago = time.time() - 60
    assert if_range_matches(http_date(a_minute_ago).encode(), ETAG, a_minute_ago) is True
    assert if_range_matches(http_date(time.time()).encode(), ETAG, time.time() + 5) is False


# ---- parse_repr_digest: RFC 9530 and the legacy Digest --------------------------------------------

DIGEST = hashlib.sha256(b"x").digest()
B64 = base64.b64encode(DIGEST).decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"md5=:AAAA:,sha-256=:{B64}:", DIGEST),  # members split on commas, spaces or not
        (f"SHA-256={B64};q=1", DIGEST),  # parameters after the value are not part of it
        (f"SHA-256={B64};a=1;b=2", DIGEST),
        (f"sha-256=:{B64}Q", None),  # a byte sequence opens and closes with ":"
        (f"sha-256=:{B64[:10]}!{B64[10:]}:", None),  # a character outside base64 is malformed
        (f"sha-256=:{B64[:-4]}:", None),  # not 32 bytes
        ("sha-256=::", None),
    ],
)
def test_parse_repr_digest_edges(value: str, expected: bytes | None) -> None:
    assert parse_repr_digest(value) == expected


# ---- what people see: types, names, sizes, the index ----------------------------------------------


def test_content_type_knows_the_common_non_standard_types() -> None:
    assert content_type("a.pict") == "image/pict"  # mimetypes' non-strict table


@pytest.mark.parametrize(
    ("name", "shown"),
    [("a\u2028b", "a\\u2028b"), ("a\x1bb", "a\\x1bb"), ("a\x9fb", "a\\x9fb"), ("aĀb", "aĀb")],
)
def test_shown_name_edges(name: str, shown: str) -> None:
    assert shown_name(name) == shown


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024**2 - 1, "1024.0 KiB"),
        (1024**2, "1.0 MiB"),
        (1024**3, "1.0 GiB"),
        (1024**4, "1.0 TiB"),
        (1024**5, "1024.0 TiB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize("blank", [b"\r\n", b"\n", b"\r\n\r\n"])
def test_empty_lines_before_the_request_line_do_not_hide_its_length(blank: bytes) -> None:
    # RFC 9112 §2.2 lets a server skip empty lines before the request line; the limit still holds
    # for the line after them (found by mutation testing: check_head measured the empty line).
    long_line = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert check_head(blank + long_line) == HeadVerdict(complete=False, status=414)
    short = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    assert check_head(blank + short) == HeadVerdict(complete=True)
