"""Hypothesis over every pure parser that meets bytes or text from someone else.

Each parser may fail only with the error type it documents (AddressError, PayloadError, None for
"malformed", ...), never with a stray IndexError or UnicodeError, and its results keep the
promises the server and the client rely on: ranges inside the file, request targets that cannot
break a request line, file names that cannot leave the download folder.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import string
import unicodedata

import h11
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from net.address import parse_host, parse_port
from net.codec import (
    ENCODINGS,
    LINE_ENDINGS,
    MODES,
    StreamDecoder,
    check_encoding,
    encode_payload,
    parse_escapes,
    parse_hex,
    render_text,
)
from net.download import ShareUrl, _parse_list, parse_share_url, safe_file_name
from net.errors import AddressError, PayloadError, ProtocolError
from net.httpfile import (
    MAX_HEAD_BYTES,
    check_head,
    http_date,
    if_range_matches,
    parse_content_range,
    parse_raw_name,
    parse_repr_digest,
    parse_target,
    plan_range,
    sniff,
)
from net.tls import normalize_fingerprint

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Bytes that matter to HTTP heads, names and ranges, mixed with anything at all.
HTTP_PIECES = [
    b"GET ",
    b"HEAD ",
    b"/",
    b" HTTP/1.1",
    b" HTTP/1.0",
    b"\r\n",
    b"\n",
    b"\r\n\r\n",
    b"Host: x",
    b"Range: bytes=0-",
    b"Content-Length: 5",
    b"Transfer-Encoding: chunked",
    b":",
    b"%",
    b"%2e%2e%2f",
    b"..",
    b"\\",
    b"\x00",
    b"\x1b[31m",
    b"\xc0\xae",
    b"\xff",
    "．".encode(),
    b"?",
    b"#",
]
http_bytes = st.lists(
    st.one_of(st.sampled_from(HTTP_PIECES), st.binary(max_size=8)), max_size=30
).map(b"".join)

# Text with the characters that break parsers: separators, brackets, percent signs, controls,
# surrogates are left out (they cannot come from a keyboard or a decoded network string).
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(":/[]@%?#.\\ \t\r\n\x00\x1b\x7f\x85\u2028\u202e．０１")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=40,
)


# ---- the file server's side ---------------------------------------------------------------------


#: Bytes that start as a request does ("GET /", "HEAD *", "GET http://"), then anything.
http_starts = st.tuples(
    st.sampled_from([b"GET ", b"HEAD ", b"PUT ", b"OPTIONS "]),
    st.sampled_from([b"/", b"*", b"http://", b"/a b HTTP/1.1"]),
    http_bytes,
).map(b"".join)


@FUZZ
@given(http_starts, st.binary(max_size=40))
def test_sniff_never_changes_its_mind_about_http(data: bytes, more: bytes) -> None:
    """Once the first bytes are HTTP, more bytes cannot make them a raw name (no dialect flip)."""
    # assume(), not an if: were no example HTTP, hypothesis would fail the test, not pass it.
    assume(sniff(data, lambda name: True) == "http")
    assert sniff(data + more, lambda name: False, final=True) == "http"


@FUZZ
@given(http_bytes, st.booleans(), st.booleans())
def test_sniff_and_raw_names_are_total(data: bytes, final: bool, known: bool) -> None:
    assume(data)
    verdict = sniff(data, lambda name: known, final=final)
    assert verdict in ("http", "raw", "more")
    assert not (final and verdict == "more")
    name = parse_raw_name(data)
    assert name is None or (isinstance(name, str) and name)


@FUZZ
@given(http_bytes, http_bytes)
def test_head_limits_are_total_and_an_error_stays_an_error(data: bytes, more: bytes) -> None:
    verdict = check_head(data)
    assert verdict.status in (None, 414, 431)
    if verdict.status is not None:
        assert check_head(data + more).status is not None


@FUZZ
@given(http_bytes)
@example(b"GET /a.txt?../../secret HTTP/1.1\r\nHost: x\r\n\r\n")
@example(b"GET /a.txt#/../secret HTTP/1.1\r\nHost: x\r\n\r\n")
@example(b"GET /%2e%2e%2fsecret\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n")
def test_the_servers_head_handling(data: bytes) -> None:
    """What the loop does with a head: limits, then h11, then the target; only h11's own error."""
    if check_head(data).status is not None:
        return
    http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES + 4096)
    http.receive_data(data)
    http.receive_data(b"")
    try:
        event = http.next_event()
    except h11.RemoteProtocolError as exc:
        assert 400 <= exc.error_status_hint < 500
        return
    if isinstance(event, h11.Request):
        target = parse_target(event.target)
        assert target.kind in ("index", "json", "file", "missing", "bad")


@FUZZ
@given(st.one_of(http_bytes, st.binary(max_size=60)))
@example(b"/a.txt?../../secret")
@example(b"/%c0%ae%c0%ae/secret")
@example(b"http://x")
def test_parse_target_is_total(target: bytes) -> None:
    parsed = parse_target(target)
    assert parsed.kind in ("index", "json", "file", "missing", "bad")
    if parsed.kind == "file":
        # The name is looked up by exact key; a query never becomes part of it.
        assert isinstance(parsed.name, str) and b"?" + parsed.name.encode() not in target


range_spec = st.one_of(
    st.builds(lambda a, b: f"{a}-{b}", st.integers(0, 2000), st.integers(0, 2000)),
    st.builds(lambda a: f"{a}-", st.integers(0, 2000)),
    st.builds(lambda b: f"-{b}", st.integers(0, 2000)),
    st.sampled_from(["", " ", "-", "--", "0-,0-", "1-2", "+1-2", "1_0-", "a-b", "0x1-2"]),
    st.text(string.digits + "-, \t", max_size=8),
)
range_header = st.builds(
    lambda unit, specs: (unit + "=" + ",".join(specs)).encode(),
    st.sampled_from(["bytes", "BYTES", " bytes ", "lines", ""]),
    st.lists(range_spec, max_size=200),
)


@FUZZ
@given(st.one_of(range_header, st.binary(max_size=60)), st.integers(0, 1500))
@example(b"bytes=" + b",".join([b"0-"] * 200), 1000)
@example(b"bytes=0-1,1-2", 1000)
@example(b"bytes=" + b"9" * 5000 + b"-", 1000)
def test_range_plans_stay_inside_the_file(value: bytes, size: int) -> None:
    plan = plan_range(value, size)
    assert plan.status in (200, 206, 416)
    if plan.status == 200:
        assert (plan.start, plan.length) == (0, size)
    elif plan.status == 206:
        assert 0 <= plan.start < size and 0 < plan.length <= size - plan.start


@FUZZ
@given(
    st.one_of(st.binary(max_size=60), st.sampled_from([b'"x"', b"W/", b"Mon, 99 Foo 99999"])),
    st.floats(min_value=0, max_value=2**33, allow_nan=False),
)
@example(b"Sat, 01 Jan 10000 00:00:00 GMT", 1.0)
@example(b"Mon, 31 Feb 2020 25:61:61 GMT", 1.0)
@example(b"0", 1.0)
def test_if_range_matches_only_this_representation(value: bytes, mtime: float) -> None:
    etag, modified = '"1-2"', http_date(mtime).encode()
    # what the server sent in ETag and Last-Modified always names it, once the date is a strong
    # validator (a second old, RFC 9110 §8.8.2.2); a weak tag or another second never does
    assert if_range_matches(etag.encode(), etag, mtime, now=mtime + 10) is True
    assert if_range_matches(b" " + modified + b" ", etag, mtime, now=int(mtime) + 1) is True
    assert if_range_matches(modified, etag, mtime, now=int(mtime) + 0.999) is False
    assert if_range_matches(b"W/" + etag.encode(), etag, mtime, now=mtime + 10) is False
    assert if_range_matches(http_date(mtime + 1).encode(), etag, mtime, now=mtime + 10) is False
    assert if_range_matches(http_date(mtime - 1).encode(), etag, mtime, now=mtime + 10) is False
    # and arbitrary bytes match only when they are that tag or that second
    if if_range_matches(value, etag, mtime, now=mtime + 10):
        text = value.strip()
        assert text == etag.encode() or (
            email.utils.parsedate_to_datetime(text.decode("latin-1")).timestamp() // 1 == int(mtime)
        ), value


@FUZZ
@given(
    st.one_of(st.text(max_size=60), st.from_regex(r"bytes [0-9*]{1,25}-?[0-9]{0,25}/[0-9*]{1,25}"))
)
def test_content_range_is_within_its_total(value: str) -> None:
    parsed = parse_content_range(value)
    if parsed is None or parsed.start is None:
        return
    assert parsed.end is not None and 0 <= parsed.start <= parsed.end
    assert parsed.total is None or parsed.end < parsed.total


@FUZZ
@given(st.one_of(st.text(max_size=80), st.from_regex(r"sha-256=:[A-Za-z0-9+/=]{0,60}:")))
def test_repr_digest_is_32_bytes_or_nothing(value: str) -> None:
    digest = parse_repr_digest(value)
    assert digest is None or len(digest) == 32


# ---- the user's input: payloads and addresses ----------------------------------------------------

encodings = st.one_of(
    st.sampled_from([*ENCODINGS, "utf8", "gb2312", "base64", "rot13", "bogus", "", " "]),
    st.text(max_size=12),
)


@FUZZ
@given(hostile_text)
@example("0x")
@example("\\x4")
@example("0x4G")
def test_hex_is_bytes_or_payload_error(text: str) -> None:
    try:
        assert isinstance(parse_hex(text), bytes)
    except PayloadError as exc:
        assert str(exc)


@FUZZ
@given(
    st.one_of(hostile_text, st.text("\\xuUnN0123456789abcdefABCDEF{}rt", max_size=20)), encodings
)
@example("\\", "UTF-8")
@example("\\u{110000}", "UTF-8")
@example("\\N{NO SUCH NAME}", "UTF-8")
@example("\\ud800", "UTF-8")
def test_escapes_are_bytes_or_payload_error(text: str, encoding: str) -> None:
    try:
        assert isinstance(parse_escapes(text, encoding), bytes)
    except PayloadError as exc:
        assert str(exc)


@FUZZ
@given(
    hostile_text,
    st.one_of(st.sampled_from(MODES), st.text(max_size=8)),
    encodings,
    st.one_of(st.sampled_from(list(LINE_ENDINGS)), st.text(max_size=5)),
)
def test_encode_payload_is_bytes_or_payload_error(
    text: str, mode: str, encoding: str, ending: str
) -> None:
    try:
        assert isinstance(encode_payload(text, mode, encoding, ending), bytes)
    except PayloadError as exc:
        assert str(exc)


@FUZZ
@given(encodings)
def test_check_encoding_is_a_codec_or_payload_error(name: str) -> None:
    try:
        codec = check_encoding(name)
    except PayloadError as exc:
        assert str(exc)
        return
    assert codec == check_encoding(codec)


#: Codecs Python registers that cannot render or encode text: check_encoding refuses them.
BROKEN_CODECS = {"undefined", "idna", "punycode"}


def _broken_codec(name: str) -> bool:
    try:
        return codecs.lookup(name.strip()).name in BROKEN_CODECS
    except (LookupError, ValueError):
        return False


@FUZZ
@given(
    st.binary(max_size=80),
    encodings.filter(lambda name: not _broken_codec(name)),
    st.lists(st.integers(0, 80), max_size=4),
)
def test_received_bytes_always_render_on_one_line(
    data: bytes, encoding: str, cuts: list[int]
) -> None:
    """What the logs and ``swb`` print of received bytes: no control character gets through."""
    text = render_text(data, encoding)
    assert not any(unicodedata.category(ch) == "Cc" for ch in text)
    assert "\u2028" not in text and "\u2029" not in text
    decoder = StreamDecoder(encoding, one_line=True)
    pieces, start = [], 0
    for cut in sorted(cuts):
        pieces.append(decoder.decode(data[start:cut]))
        start = max(start, cut)
    pieces.append(decoder.decode(data[start:], final=True))
    assert not any(unicodedata.category(ch) == "Cc" for ch in "".join(pieces))


@FUZZ
@given(st.one_of(hostile_text, st.integers(-(2**70), 2**70), st.from_regex(r"\s*[0-9]{1,30}\s*")))
@example("٣")  # an Arabic-Indic digit: isdigit() but not a port
@example("¹")
@example(True)
def test_ports_are_numbers_or_address_errors(text: str | int) -> None:
    try:
        port = parse_port(text, allow_zero=True)  # type: ignore[arg-type]
    except AddressError:
        return
    assert 0 <= port <= 65535


@FUZZ
@given(
    st.one_of(
        hostile_text,
        st.from_regex(r"\[?[0-9a-fA-F:.%]{0,45}\]?"),
        st.from_regex(r"[a-z0-9.-]{0,70}"),
    )
)
@example("xn--")
@example("a" * 64 + ".com")
@example("1.2.3.4.")
@example("[::1]:80")
@example("ａｂｃ.com")
def test_hosts_are_normal_forms_or_address_errors(text: str) -> None:
    try:
        host = parse_host(text)
    except AddressError:
        return
    assert host and host == host.strip() and not any(ch in host for ch in "/[]@ \t\r\n")
    assert parse_host(host) == host  # already the normal form


# Found by the properties above.
@pytest.mark.parametrize("name", sorted(BROKEN_CODECS))
def test_codecs_that_cannot_render_are_refused_or_harmless(name: str) -> None:
    try:
        check_encoding(name)
    except PayloadError:
        return
    assert render_text(b"\x00\xff", name)  # UnicodeError: a traceback in swb udp-listen
    with pytest.raises(PayloadError):
        encode_payload("x", "text", name)  # undefined: a traceback in swb udp-send


@pytest.mark.parametrize("text", ["²", "１２７.０.０.１", "¹.²"])
def test_digit_look_alikes_are_not_a_host(text: str) -> None:
    with pytest.raises(AddressError):
        parse_host(text)


@FUZZ
@given(hostile_text)
@example("SHA256:" + "ab" * 32)
@example("ab" * 20)
def test_fingerprints_are_normalised_or_address_errors(text: str) -> None:
    try:
        pin = normalize_fingerprint(text)
    except AddressError:
        return
    assert len(pin) == 95 and set(pin) <= set("0123456789ABCDEF:")


# ---- the download side: URLs, names and lists from elsewhere --------------------------------------

urls = st.builds(
    lambda scheme, authority, path: f"{scheme}{authority}{path}",
    st.sampled_from(["http://", "https://", "raw://", "HTTP://", "ftp://", "", "http:/"]),
    st.one_of(
        st.sampled_from(
            ["127.0.0.1:8000", "[::1]:8000", "[::1", "h:0", "h:99999", "u@h:1", "h:", "", "h"]
        ),
        hostile_text,
    ),
    st.one_of(hostile_text.map(lambda t: "/" + t), st.just(""), hostile_text),
)


@FUZZ
@given(st.one_of(urls, hostile_text))
@example("http://127.0.0.1:8000/a b\r\nHost: evil\r\n")
@example("http://127.0.0.1:8000/a.txt#/../secret")
@example("http://127.0.0.1:8000/?x=\x1b[31m")
@example("raw://127.0.0.1:1/\x00")
def test_share_urls_are_safe_to_put_in_a_request_line(url: str) -> None:
    try:
        parsed = parse_share_url(url)
    except AddressError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, ShareUrl)
    assert 1 <= parsed.port <= 65535
    assert parsed.target.startswith("/")
    # The target goes on the wire as is: visible ASCII only, so no header can be smuggled in.
    assert all(33 <= ord(ch) <= 126 for ch in parsed.target), parsed.target
    assert "#" not in parsed.target
    assert "/" not in parsed.name


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029"


file_names = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            "",
            ".",
            "..",
            "...",
            "../../etc/passwd",
            "..\\..\\boot.ini",
            " ",
            ". .",
            "CON",
            "con.txt",
            "CON .txt",
            "NUL",
            "COM1",
            "COM¹",
            "LPT9.log",
            "aux.txt",
            "CONIN$",
            "name.",
            "name ",
            "a\u202egpj.exe",
            "\x1b[31mred",
            "line\nbreak",
            "x" * 300,
            "é" * 200 + ".txt",
            "." * 300,
        ]
    ),
    st.text(min_size=150, max_size=300),
)


@FUZZ
@given(file_names, st.booleans())
def test_safe_file_name_stays_in_the_folder(name: str, windows: bool) -> None:
    safe = safe_file_name(name, windows=windows)
    assert safe and safe.strip() == safe
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert safe not in (".", "..") and safe.strip(".")
    assert not any(_is_control(ch) for ch in safe), repr(safe)
    assert not any(unicodedata.bidirectional(ch) in ("RLO", "LRO", "RLE", "LRE") for ch in safe)
    assert len(safe.encode("utf-8")) <= 200
    assert safe_file_name(safe, windows=windows) == safe  # stable: nothing left to clean
    if windows:
        assert not any(ch in safe for ch in '<>:"|?*')
        assert not safe.endswith((".", " "))
        base = safe.split(".", 1)[0].rstrip(" ").upper()
        assert base not in {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
        assert not (len(base) == 4 and base[:3] in ("COM", "LPT") and base[3] in "0123456789¹²³")


list_items = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64),
        st.floats(allow_nan=True),
        hostile_text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["name", "size", "mtime", "sha256", "url", "x"]), children, max_size=6
        ),
    ),
    max_leaves=12,
)


@FUZZ
@given(st.one_of(list_items.map(lambda v: json.dumps(v).encode()), st.binary(max_size=60)))
@example(b'[{"name": "a", "size": 1, "url": "//evil.example/x"}]')
@example(b'[{"name": "a", "size": true}]')
@example(b"[1e999]")
def test_a_file_list_from_anywhere_is_files_or_a_protocol_error(body: bytes) -> None:
    where = parse_share_url("http://127.0.0.1:8000/")
    try:
        files = _parse_list(body, where)
    except ProtocolError as exc:
        assert str(exc)
        return
    for item in files:
        assert isinstance(item.name, str) and isinstance(item.size, int)
