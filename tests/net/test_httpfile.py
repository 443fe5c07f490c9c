"""The file server's pure protocol rules: tables of cases plus a few hypothesis properties."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.httpfile import (
    MAX_HEAD_BYTES,
    MAX_HEADER_LINES,
    MAX_REQUEST_LINE,
    ContentRange,
    RangePlan,
    Target,
    check_head,
    content_type,
    evaluate_preconditions,
    format_repr_digest,
    http_date,
    if_range_matches,
    make_etag,
    parse_content_range,
    parse_raw_name,
    parse_repr_digest,
    parse_target,
    plan_range,
    render_json,
    sniff,
)
from net.share import SharedFile
from net.sharepage import render_index

SHARED = {"report.txt", "GET ready.txt", "README", "GET", "中文 报告.txt", "a b"}


def is_name(name: str) -> bool:
    return name in SHARED


SNIFF_CASES = [
    # (first bytes, final, expected)
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False, "http"),
    (b"GET /report.txt HTTP/1.1\r\n", False, "http"),
    (b"HEAD /x HTTP/1.0\r\n\r\n", False, "http"),
    (b"GET /", False, "http"),  # a name never contains "/": this is a request line starting
    (b"OPTIONS * HTTP/1.1\r\n", False, "http"),
    (b"GET http://host/x HTTP/1.1\r\n", False, "http"),
    (b"M-SEARCH * HTTP/1.1\r\n", False, "http"),
    (b"report.txt", False, "raw"),  # known name, cannot start a request: answered at once
    (b"report.txt\n", False, "raw"),
    (b"report.txt\r\n", False, "raw"),
    ("中文 报告.txt".encode(), False, "raw"),
    (b"unknown.bin", False, "more"),  # might be split: wait the grace
    (b"unknown.bin", True, "raw"),
    (b"unknown.bin\n", False, "raw"),
    (b"GET ready.txt", False, "more"),  # a name that looks like a request start: grace first
    (b"GET ready.txt", True, "raw"),
    (b"GET", False, "more"),
    (b"GET", True, "raw"),
    (b"GET ", False, "more"),
    (b"README", False, "more"),
    (b"README", True, "raw"),
    (b"get / HTTP/1.1\r\n", False, "raw"),  # lower-case method: a name (with a newline)
    (b"GET ready.txt\n", False, "raw"),
    (b"\r\nGET / HTTP/1.1\r\n", False, "raw"),
    (b"x" * 5000, False, "raw"),
    (b"\xff\xfe", False, "more"),
    (b"\xff\xfe", True, "raw"),
]


@pytest.mark.parametrize(("data", "final", "expected"), SNIFF_CASES)
def test_sniff(data: bytes, final: bool, expected: str) -> None:
    assert sniff(data, is_name, final=final) == expected


@given(st.binary(min_size=1, max_size=200))
def test_sniff_is_total_and_final_decides(data: bytes) -> None:
    assert sniff(data, is_name) in ("http", "raw", "more")
    assert sniff(data, is_name, final=True) in ("http", "raw")


@given(st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s))
def test_a_name_is_never_http(name: str) -> None:
    assert sniff(name.encode(), lambda _n: True, final=True) == "raw"


RAW_NAME_CASES = [
    (b"a.txt", "a.txt"),
    (b"a.txt\n", "a.txt"),
    (b"a.txt\r\n", "a.txt"),
    (b"a.txt\n\n", "a.txt\n"),  # only one terminator is removed
    (b"a b", "a b"),
    ("中文 报告.txt".encode(), "中文 报告.txt"),
    (b"", None),
    (b"\n", None),
    (b"\xc0\xae", None),  # overlong UTF-8 is not UTF-8
    (b"\xff", None),
]


@pytest.mark.parametrize(("data", "expected"), RAW_NAME_CASES)
def test_parse_raw_name(data: bytes, expected: str | None) -> None:
    assert parse_raw_name(data) == expected


def _head(lines: int = 1, line_len: int = 20) -> bytes:
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * line_len) for i in range(lines))
    return b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"


HEAD_CASES = [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True, None),
    (b"GET / HTTP/1.1\nHost: x\n\n", True, None),
    (b"GET / HTTP/1.1\r\nHost: x\r\n", False, None),
    (b"GET /" + b"a" * (MAX_REQUEST_LINE - 15) + b" HTTP/1.1\r\n\r\n", True, None),
    (b"GET /" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.1\r\n\r\n", False, 414),
    (b"GET /" + b"a" * (MAX_REQUEST_LINE + 1), False, 414),  # no line end yet, already too long
    (_head(lines=MAX_HEADER_LINES - 1), True, None),  # Host + 99 = 100 header lines
    (_head(lines=MAX_HEADER_LINES), False, 431),
    (_head(lines=10, line_len=MAX_HEAD_BYTES // 10), False, 431),
    (b"GET / HTTP/1.1\r\nX: " + b"v" * MAX_HEAD_BYTES, False, 431),  # never ends, too long
]


@pytest.mark.parametrize(("data", "complete", "status"), HEAD_CASES)
def test_check_head(data: bytes, complete: bool, status: int | None) -> None:
    verdict = check_head(data)
    assert verdict.status == status
    if status is None:
        assert verdict.complete is complete


def test_check_head_counts_only_the_first_head() -> None:
    pipelined = _head(lines=60) + _head(lines=60)
    assert check_head(pipelined).status is None


TARGET_CASES = [
    (b"/", Target("index")),
    (b"/?format=json", Target("json")),
    (b"/?x=1&format=json", Target("json")),
    (b"/?format=html", Target("index")),
    (b"/a.txt", Target("file", "a.txt")),
    (b"/a%20b", Target("file", "a b")),
    (b"/a%2Fb", Target("file", "a/b")),  # decoded once; no shared name contains "/"
    (b"/%E4%B8%AD%E6%96%87%20%E6%8A%A5%E5%91%8A.txt", Target("file", "中文 报告.txt")),
    (b"/%25", Target("file", "%")),
    (b"/%23%3F%26", Target("file", "#?&")),
    (b"/a.txt?download=1", Target("file", "a.txt")),
    (b"/../etc/passwd", Target("file", "../etc/passwd")),
    (b"/%2e%2e%2fsecret", Target("file", "../secret")),
    (b"/%252e%252e", Target("file", "%2e%2e")),  # double encoding stays encoded once
    (b"/%c0%ae%c0%ae", Target("missing")),  # overlong UTF-8
    (b"/%ff", Target("missing")),
    (b"http://host:8000/a.txt", Target("file", "a.txt")),
    (b"http://host:8000", Target("index")),
    (b"*", Target("bad")),
    (b"a.txt", Target("bad")),
    (b"host:443", Target("bad")),
]


@pytest.mark.parametrize(("target", "expected"), TARGET_CASES)
def test_parse_target(target: bytes, expected: Target) -> None:
    assert parse_target(target) == expected


SIZE = 1000
RANGE_CASES = [
    (None, RangePlan(200, 0, SIZE)),
    (b"bytes=0-99", RangePlan(206, 0, 100)),
    (b"bytes=100-", RangePlan(206, 100, 900)),
    (b"bytes=-100", RangePlan(206, 900, 100)),
    (b"bytes=-5000", RangePlan(206, 0, SIZE)),  # suffix longer than the file: all of it
    (b"bytes=990-5000", RangePlan(206, 990, 10)),  # end clamped
    (b"bytes=999-999", RangePlan(206, 999, 1)),
    (b"BYTES=0-0", RangePlan(206, 0, 1)),  # the unit is case-insensitive
    (b"bytes = 0-9", RangePlan(206, 0, 10)),
    (b"bytes=0-9,", RangePlan(206, 0, 10)),  # empty list elements are allowed
    (b"bytes=1000-", RangePlan(416, 0, 0)),
    (b"bytes=5000-6000", RangePlan(416, 0, 0)),
    (b"bytes=-0", RangePlan(416, 0, 0)),
    (b"bytes=0-1,5-6", RangePlan(200, 0, SIZE)),  # several ranges: never multipart
    (b"bytes=2000-,3000-", RangePlan(416, 0, 0)),
    (b"bytes=0-1,2000-", RangePlan(200, 0, SIZE)),
    (b"bytes=9-0", RangePlan(200, 0, SIZE)),  # malformed: ignored
    (b"bytes=abc", RangePlan(200, 0, SIZE)),
    (b"bytes=-", RangePlan(200, 0, SIZE)),
    (b"bytes=", RangePlan(200, 0, SIZE)),
    (b"bytes=+1-2", RangePlan(200, 0, SIZE)),
    (b"bytes=1_0-20", RangePlan(200, 0, SIZE)),
    (b"bytes=" + b"9" * 5000 + b"-", RangePlan(200, 0, SIZE)),
    (b"items=0-1", RangePlan(200, 0, SIZE)),
    (b"0-1", RangePlan(200, 0, SIZE)),
]


@pytest.mark.parametrize(("value", "expected"), RANGE_CASES)
def test_plan_range(value: bytes | None, expected: RangePlan) -> None:
    assert plan_range(value, SIZE) == expected


def test_empty_file_is_always_whole() -> None:
    assert plan_range(b"bytes=0-", 0) == RangePlan(200, 0, 0)
    assert plan_range(b"bytes=-5", 0) == RangePlan(200, 0, 0)


@given(st.binary(max_size=60), st.integers(min_value=0, max_value=10**12))
def test_plan_range_stays_inside_the_file(value: bytes, size: int) -> None:
    plan = plan_range(value, size)
    if plan.status == 206:
        assert 0 <= plan.start < size
        assert 1 <= plan.length <= size - plan.start
    elif plan.status == 200:
        assert (plan.start, plan.length) == (0, size)


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9))
def test_plan_range_single(first: int, length: int, size: int) -> None:
    plan = plan_range(f"bytes={first}-{first + length}".encode(), size)
    if first < size:
        assert plan == RangePlan(206, first, min(first + length, size - 1) - first + 1)
    else:
        assert plan.status == 416


def test_if_range() -> None:
    mtime = 1_700_000_000.5
    etag = make_etag(10, 1_700_000_000_500_000_000)
    now = mtime + 60
    assert if_range_matches(etag.encode(), etag, mtime, now)
    assert not if_range_matches(b'"other"', etag, mtime, now)
    assert not if_range_matches(b"W/" + etag.encode(), etag, mtime, now)
    date = http_date(mtime).encode()
    assert if_range_matches(date, etag, mtime, now)
    assert not if_range_matches(http_date(mtime - 1).encode(), etag, mtime, now)
    # A Last-Modified within the same second as now is weak: it cannot validate a range.
    assert not if_range_matches(date, etag, mtime, mtime + 0.2)
    assert not if_range_matches(b"not a date", etag, mtime, now)
    assert not if_range_matches(b"", etag, mtime, now)


def test_etag_changes_with_size_and_time() -> None:
    assert make_etag(1, 2) != make_etag(1, 3) != make_etag(2, 3)
    assert make_etag(1, 2).startswith('"') and make_etag(1, 2).endswith('"')


def test_http_date_is_imf_fixdate() -> None:
    assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text/plain"),
        ("page.html", "text/html"),
        ("photo.JPG", "image/jpeg"),
        ("archive.tar.gz", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
        ("中文 报告.txt", "text/plain"),
    ],
)
def test_content_type(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_repr_digest_round_trip() -> None:
    digest = hashlib.sha256(b"hello").digest()
    value = format_repr_digest(digest.hex())
    assert value == "sha-256=:" + base64.b64encode(digest).decode() + ":"
    assert parse_repr_digest(value) == digest
    assert parse_repr_digest("sha-512=:AAAA:, " + value) == digest
    assert parse_repr_digest("SHA-256=" + base64.b64encode(digest).decode()) == digest  # RFC 3230
    assert parse_repr_digest("sha-256=:AAAA:") is None  # wrong length
    assert parse_repr_digest("sha-256=:!!:") is None
    assert parse_repr_digest("md5=:AAAA:") is None
    assert parse_repr_digest("") is None


CONTENT_RANGE_CASES = [
    ("bytes 0-99/1000", ContentRange(0, 99, 1000)),
    ("bytes 0-99/*", ContentRange(0, 99, None)),
    ("bytes */1000", ContentRange(None, None, 1000)),
    ("Bytes 5-5/6", ContentRange(5, 5, 6)),
    ("bytes 9-0/10", None),
    ("bytes 0-10/10", None),
    ("bytes */*", None),
    ("items 0-1/2", None),
    ("bytes 0-1", None),
]


@pytest.mark.parametrize(("value", "expected"), CONTENT_RANGE_CASES)
def test_parse_content_range(value: str, expected: ContentRange | None) -> None:
    assert parse_content_range(value) == expected


HOSTILE_NAMES = ["<i>x</i>.txt", "a \"quoted\" & 'single'.txt", "100% #1 ?.txt", "中文 报告.txt"]


def _files() -> list[SharedFile]:
    return [
        SharedFile(name, Path("/nowhere") / str(i), 1536 * i, time.time(), None if i else "ab" * 32)
        for i, name in enumerate(HOSTILE_NAMES)
    ]


def test_index_escapes_names_and_encodes_links() -> None:
    page = render_index(_files()).decode()
    assert "<i>x</i>" not in page
    assert "&lt;i&gt;x&lt;/i&gt;.txt" in page
    # "/" separates a key's segments (folders); each segment is encoded on its own.
    assert 'href="/%3Ci%3Ex%3C/i%3E.txt"' in page
    assert 'href="/100%25%20%231%20%3F.txt"' in page
    assert "&quot;quoted&quot;" in page
    assert "中文 报告.txt" in page
    assert "/nowhere" not in page  # never a local path


def test_json_list() -> None:
    items = json.loads(render_json(_files()))
    assert [item["path"] for item in items] == HOSTILE_NAMES
    assert [item["name"] for item in items] == [n.rpartition("/")[2] for n in HOSTILE_NAMES]
    assert {item["type"] for item in items} == {"file"}
    assert set(items[0]) == {"name", "path", "type", "size", "mtime", "sha256", "url"}
    assert items[0]["sha256"] == "ab" * 32
    assert items[1]["sha256"] is None
    assert items[3]["url"] == "/%E4%B8%AD%E6%96%87%20%E6%8A%A5%E5%91%8A.txt"
    assert all(parse_target(item["url"].encode()) == Target("file", item["path"]) for item in items)


CONTROL_NAMES = ["evil\x1b[31m\r\nname.txt", "csi\x9b2J.txt", "del\x7f.txt", "line\u2028sep.txt"]


def test_index_and_list_never_carry_raw_control_characters() -> None:
    """curl http://host:8000/ prints the index to a terminal: a name must not drive it."""
    files = [
        SharedFile(name, Path("/nowhere") / name, 1, time.time(), None) for name in CONTROL_NAMES
    ]
    page = render_index(files).decode()
    body = render_json(files).decode()
    for text in (page, body):
        assert not any(ch in text for ch in "\x1b\x9b\x7f\u2028\r"), text
    assert "evil\\x1b[31m\\x0d\\x0aname.txt" in page
    assert 'href="/evil%1B%5B31m%0D%0Aname.txt"' in page  # the link still names the real file
    assert [item["name"] for item in json.loads(body)] == CONTROL_NAMES  # exact, once parsed


# ---- preconditions (RFC 9110 §13) ---------------------------------------------------------------

MTIME = 1_700_000_000.5
ETAG = make_etag(10, 1_700_000_000_500_000_000)  # '"<hex>-a"'
OPAQUE = ETAG[1:-1]
NOW = MTIME + 3600
AT = http_date(MTIME)  # Last-Modified itself (whole seconds)
BEFORE = http_date(MTIME - 60)
AFTER = http_date(MTIME + 60)
FUTURE = http_date(NOW + 3600)

#: (method, {header: value}, expected); header names as in evaluate_preconditions' keywords.
PRECONDITION_CASES = [
    ("GET", {}, None),
    # 1. If-Match: strong comparison, "*", lists, weak never matches, malformed never matches.
    ("GET", {"if_match": ETAG}, None),
    ("GET", {"if_match": "*"}, None),
    ("GET", {"if_match": f'"old", {ETAG}'}, None),
    ("GET", {"if_match": '"old"'}, 412),
    ("GET", {"if_match": f"W/{ETAG}"}, 412),
    ("GET", {"if_match": OPAQUE}, 412),  # not quoted: malformed
    ("HEAD", {"if_match": '"old"'}, 412),
    ("GET", {"if_match": f'"x,{OPAQUE}"'}, 412),  # a comma inside a tag is not a list
    ("GET", {"if_match": f" , {ETAG} ,"}, None),  # empty list elements are allowed
    # 2. If-Unmodified-Since, only without If-Match; an invalid date is ignored.
    ("GET", {"if_unmodified_since": AT}, None),
    ("GET", {"if_unmodified_since": AFTER}, None),
    ("GET", {"if_unmodified_since": BEFORE}, 412),
    ("GET", {"if_unmodified_since": "yesterday"}, None),
    ("GET", {"if_match": ETAG, "if_unmodified_since": BEFORE}, None),  # If-Match wins
    ("GET", {"if_match": '"old"', "if_unmodified_since": AFTER}, 412),
    # 3. If-None-Match: weak comparison; 304 for GET/HEAD, 412 for other methods.
    ("GET", {"if_none_match": ETAG}, 304),
    ("HEAD", {"if_none_match": ETAG}, 304),
    ("GET", {"if_none_match": f"W/{ETAG}"}, 304),
    ("GET", {"if_none_match": f'"old", W/{ETAG}'}, 304),
    ("GET", {"if_none_match": "*"}, 304),
    ("GET", {"if_none_match": '"old"'}, None),
    ("GET", {"if_none_match": "garbage"}, None),
    ("POST", {"if_none_match": ETAG}, 412),
    ("DELETE", {"if_none_match": "*"}, 412),
    # 4. If-Modified-Since: only without If-None-Match, only GET/HEAD, valid and not future.
    ("GET", {"if_modified_since": AT}, 304),
    ("HEAD", {"if_modified_since": AFTER}, 304),
    ("GET", {"if_modified_since": BEFORE}, None),
    ("GET", {"if_modified_since": FUTURE}, None),
    ("GET", {"if_modified_since": "not a date"}, None),
    ("GET", {"if_modified_since": f"{AT}, {AT}"}, None),  # more than one member: invalid
    ("POST", {"if_modified_since": AT}, None),
    ("GET", {"if_none_match": '"old"', "if_modified_since": AT}, None),  # INM wins
    ("GET", {"if_none_match": ETAG, "if_modified_since": BEFORE}, 304),
    # The order of §13.2.2: a failed If-Match (412) comes before a matching If-None-Match (304).
    ("GET", {"if_match": '"old"', "if_none_match": ETAG}, 412),
    ("GET", {"if_unmodified_since": BEFORE, "if_modified_since": AT}, 412),
    ("GET", {"if_match": ETAG, "if_none_match": ETAG}, 304),
]


@pytest.mark.parametrize(("method", "headers", "expected"), PRECONDITION_CASES)
def test_preconditions(method: str, headers: dict[str, str], expected: int | None) -> None:
    values = {key: value.encode("latin-1") for key, value in headers.items()}
    verdict = evaluate_preconditions(
        method.encode(),
        etag=ETAG,
        mtime=MTIME,
        now=NOW,
        **values,  # type: ignore[arg-type]
    )
    assert verdict == expected


@given(st.binary(max_size=200))
def test_preconditions_match_only_what_names_the_file(value: bytes) -> None:
    """Whatever the bytes: a tag condition holds only when the value names our tag (or is "*")."""
    names_it = OPAQUE.encode() in value or value.strip(b" \t") == b"*"
    if_match = evaluate_preconditions(b"GET", etag=ETAG, mtime=MTIME, now=NOW, if_match=value)
    assert if_match in (None, 412) and (if_match == 412 or names_it)
    none_match = evaluate_preconditions(
        b"GET", etag=ETAG, mtime=MTIME, now=NOW, if_none_match=value
    )
    assert none_match in (None, 304) and (none_match is None or names_it)
    for key in ("if_unmodified_since", "if_modified_since"):
        verdict = evaluate_preconditions(b"GET", etag=ETAG, mtime=MTIME, now=NOW, **{key: value})  # type: ignore[arg-type]
        assert verdict in (None, 304, 412)
