"""net.variables: payload templates ({{counter}}, {{time:...}}, ...) expanded to the exact bytes."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.codec import PayloadSpec
from net.errors import PayloadError
from net.variables import escape_braces, parse_template, render_payload, uses_variables

NOW = 1_700_000_000.25  # 2023-11-14 22:13:20.25 UTC


def render(text: str, mode: str = "text", sequence: int = 0, **kw: str) -> bytes:
    return parse_template(text).render(mode, sequence=sequence, now=NOW, random_bytes=bytes, **kw)


# (template, send number, bytes)
CASES = [
    ("n={{counter}}", 0, b"n=1"),
    ("n={{counter}}", 2, b"n=3"),
    ("{{counter:start=0,width=4}}", 7, b"0007"),
    ("{{counter:start=1,width=4}}", 0, b"0001"),
    ("{{counter:start=10,step=-5}}", 3, b"-5"),
    ("{{counter:width=2}}", 99, b"100"),  # width is a minimum, as printf's %02d
    ("{{counter:bytes=2}}", 0, b"\x00\x01"),
    ("{{counter:bytes=2,order=little,start=258}}", 0, b"\x02\x01"),
    ("{{counter:bytes=1}}", 255, b"\x00"),  # wraps around like a one-byte field
    ("{{ counter : start = 5 }}", 0, b"5"),
    ("t={{unixtime}}", 0, b"t=1700000000"),
    ("{{unixtime:ms}}", 0, b"1700000000250"),
    ("{{random:3}}", 0, b"\x00\x00\x00"),  # random_bytes=bytes in these cases
    ("A{{hex:0D 0A}}B", 0, b"A\r\nB"),
    ("{{hex:}}", 0, b""),
    ("{{{{counter}}", 0, b"{{counter}}"),
    ("{{{counter}}}", 4, b"{5}"),
    ("a}}b", 0, b"a}}b"),
    ("{single}", 0, b"{single}"),
    ("no variables", 0, b"no variables"),
]


@pytest.mark.parametrize(("template", "sequence", "expected"), CASES)
def test_cases(template: str, sequence: int, expected: bytes) -> None:
    assert render(template, sequence=sequence) == expected


def test_time_uses_strftime_in_local_time() -> None:
    assert render("{{time:%Y}}") == time.strftime("%Y", time.localtime(NOW)).encode()
    assert render("{{time}}") == time.strftime("%H:%M:%S", time.localtime(NOW)).encode()


def test_text_between_variables_follows_the_mode() -> None:
    assert render("01 03 {{counter:bytes=1}} FF", mode="hex") == b"\x01\x03\x01\xff"
    assert render(r"\x02{{counter}}\r\n", mode="escapes", sequence=1) == b"\x022\r\n"
    spec = PayloadSpec("温度{{counter}}", "text", "GBK", "crlf")
    assert render_payload(spec, sequence=0) == "温度1\r\n".encode("gbk")


def test_random_comes_from_the_os_by_default() -> None:
    first, second = (render_payload(PayloadSpec("{{random:16}}")) for _ in range(2))
    assert len(first) == len(second) == 16
    assert first != second


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{count}}", "unknown variable {{count}} at position 1"),
        ("ab{{counter", "'{{' at position 3 has no closing '}}'"),
        ("{{counter:start}}", "needs a value"),
        ("{{counter:begin=1}}", "unknown counter option 'begin'"),
        ("{{counter:width=x}}", "not a whole number"),
        ("{{counter:bytes=9}}", "1 to 8 bytes"),
        ("{{counter:order=middle,bytes=2}}", "big or little"),
        ("{{random:0}}", "1 to 65535 bytes"),
        ("{{random:abc}}", "not a whole number"),
        ("{{hex:zz}}", "not a hex digit"),
        ("{{unixtime:us}}", "unixtime:ms"),
    ],
)
def test_errors_are_sentences(template: str, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_template(template)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_payloads_without_braces_are_untouched() -> None:
    spec = PayloadSpec(r"\x{{", "text")
    assert not uses_variables("plain {single} }}")
    assert render_payload(PayloadSpec("plain {x}", "text", "UTF-8", "lf")) == b"plain {x}\n"
    with pytest.raises(PayloadError):
        render_payload(spec)  # "{{" without "}}": the user is told, not sent something else


@given(st.text(alphabet=st.sampled_from("{}ab:中\\"), max_size=40))
def test_escaped_text_is_sent_literally(text: str) -> None:
    assert parse_template(escape_braces(text)).render() == text.encode()


@given(st.text(alphabet=st.sampled_from("{}:counterhxadm%Y1=,"), max_size=40))
def test_any_text_parses_or_says_where(text: str) -> None:
    try:
        template = parse_template(text)
    except PayloadError as exc:
        assert "position" in str(exc) and "\n" not in str(exc)
        return
    assert isinstance(template.render(sequence=3, now=NOW), bytes)


@given(st.integers(min_value=0, max_value=10_000))
def test_counter_counts_every_send(sequence: int) -> None:
    assert render("{{counter}}", sequence=sequence) == str(sequence + 1).encode()


@pytest.mark.parametrize("template", [case[0] for case in CASES if "time" not in case[0]])
@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16-LE", "GBK"])
def test_renderer_gives_what_render_gives(template: str, encoding: str) -> None:
    """The renderer a repeated send uses (text encoded once, counters as one format) gives the
    bytes of render, in every mode and line ending (the clock's variables read the time, so
    test_cases covers them with a fixed clock)."""
    parsed = parse_template(template)
    for mode, ending in (("text", "crlf"), ("escapes", "none"), ("text", "none")):
        renderer = parsed.renderer(mode, encoding, ending, random_bytes=bytes)
        for number in (0, 1, 7):
            assert renderer(number) == parsed.render(
                mode, encoding, ending, sequence=number, random_bytes=bytes
            )


@given(st.text(alphabet="%{}cnouter:,=swidthbyl0123456789 ", max_size=40))
def test_renderer_agrees_with_render_on_any_text(text: str) -> None:
    try:
        parsed = parse_template(text)
        expected = [parsed.render(sequence=n, now=NOW, random_bytes=bytes) for n in range(3)]
    except PayloadError:
        return
    if any(getattr(part, "name", "") in ("time", "unixtime") for part in parsed.parts):
        return
    renderer = parsed.renderer(random_bytes=bytes)
    assert [renderer(n) for n in range(3)] == expected
