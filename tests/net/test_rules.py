"""net.rules: matching and reply rendering as tables, then the rules answering over real sockets
(TcpServer, UdpReceiver, `swb tcp-serve --rule`, `swb udp-listen --rule`)."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.checksum import append_checksum
from net.errors import PayloadError
from net.rules import (
    MAX_MATCH_INPUT,
    RegexShape,
    Responder,
    Rule,
    RuleSet,
    compile_hex_pattern,
    default_framing,
    escape_bytes,
    make_rule,
    parse_rule,
    parse_rules,
    regex_shape,
)
from net.tcp import TcpEvent, TcpServer
from net.udp import UdpReceiver
from tests.conftest import WAIT
from tests.net.test_cli_sockets import _read_exactly, listener, swb

GET_RULE = r"regex:GET (\w+) => VAL {{1}}=42\n"

# (rule, message, reply or None for no match)
MATCH_CASES = [
    ("exact:PING => PONG", b"PING", b"PONG"),
    ("exact:PING => PONG", b"PING!", None),
    (r"exact:\x01\x02 => ok", b"\x01\x02", b"ok"),
    ("contains:temp => T", b"read temp now", b"T"),
    ("contains:temp => T", b"read tmp", None),
    ("prefix:AT+ => OK\\r\\n", b"AT+CSQ", b"OK\r\n"),
    ("prefix:AT+ => OK", b"XAT+", None),
    ("suffix:? => yes", b"ready?", b"yes"),
    ("suffix:? => yes", b"?ready", None),
    (GET_RULE, b"GET temp", b"VAL temp=42\n"),
    (r"regex:^SET (?P<key>\w+)=(?P<value>\d+)$ => {{key}} is {{value}}", b"SET a=5", b"a is 5"),
    (r"regex:(\d+) => {{0}}/{{1}}", b"n=17", b"17/17"),
    ("regex:^x(y)?$ => [{{1}}]", b"x", b"[]"),
    ("regex:温度 => 25℃", "当前温度".encode(), "25℃".encode()),
    (
        "hex:01 03 ?? ?? => hex:01 83 02",
        bytes.fromhex("0a 01 03 00 10 ff"),
        bytes.fromhex("018302"),
    ),
    ("hex:01 03 ?? ?? => hex:01 83 02", bytes.fromhex("01 04 00 10"), None),
    ("exact:a => hex:41 {{hex:42}} 43", b"a", b"ABC"),
    ("exact:a => {{{{literal}}", b"a", b"{{literal}}"),
    ("exact:q => x +checksum:crc16-modbus", b"q", append_checksum(b"x", "crc16-modbus")),
    # An empty reply whose space after the arrow was lost in quoting: matched, nothing sent.
    ("exact:QUIET =>", b"QUIET", b""),
    ("exact:QUIET => ", b"QUIET", b""),
]


@pytest.mark.parametrize(("text", "message", "reply"), MATCH_CASES)
def test_rule_matches_and_renders(text: str, message: bytes, reply: bytes | None) -> None:
    responder = Responder(parse_rules([text]), framing="raw")
    assert responder.answer(message) == (reply or b"")
    assert responder.matched == (reply is not None)


BAD_RULES = [
    ("regex:GET ( => x", "does not compile: missing )"),
    ("regex:[a-z => x", "does not compile"),
    ("foo:x => y", "does not start with a match kind"),
    ("exact:x", "has no ' => '"),
    ("exact: => x", "empty pattern"),
    ("regex:(a) => {{2}}", "uses {{2}} but the pattern has only 1"),
    # A named group is group 1 too, not one more: "only 2" for one group misled.
    ("regex:(?P<n>a) => {{2}}", "uses {{2}} but the pattern has only 1 "),
    ("exact:a => {{1}}", "uses {{1}} but the pattern has none"),
    ("exact:a => {{bogus}}", "unknown variable {{bogus}}"),
    (r"exact:a => \q", r"unknown escape \q"),
    ("hex:0G => x", "not a hex digit"),
    ("exact:a => hex:ZZ", "not a hex digit"),
    ("exact:a => x +checksum:crc99", "unknown checksum"),
]


@pytest.mark.parametrize(("text", "sentence"), BAD_RULES)
def test_bad_rule_is_one_sentence(text: str, sentence: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_rules(["exact:ok => fine", text])
    message = str(caught.value)
    assert message.startswith("rule 2: ") and sentence in message
    assert "\n" not in message and "Traceback" not in message


def test_first_enabled_rule_wins_and_disabled_rules_are_skipped() -> None:
    rules = [
        make_rule("contains", "a", "first", enabled=False),
        make_rule("contains", "a", "second"),
        make_rule("contains", "ab", "third"),
    ]
    assert Responder(rules, framing="raw").answer(b"ab") == b"second"
    assert parse_rule("contains:a => x").to_text() == "contains:a => x"
    assert parse_rule("exact:a => x +checksum:sum8").checksum == "sum8"


def test_counter_counts_replies() -> None:
    responder = Responder([parse_rule("exact:n => #{{counter}}")], framing="raw")
    assert [responder.answer(b"n") for _ in range(3)] == [b"#1", b"#2", b"#3"]


def test_counter_counts_each_rules_replies_and_survives_edits() -> None:
    first, second = parse_rule("exact:a => a{{counter}}"), parse_rule("exact:b => b{{counter}}")
    responder = Responder([first, second], framing="raw")
    replies = [responder.answer(m) for m in (b"a", b"b", b"a", b"a", b"b")]
    assert replies == [b"a1", b"b1", b"a2", b"a3", b"b2"]
    # Editing the rule set (as the window does on every keystroke) keeps unchanged rules' counts;
    # a changed rule is a new rule and starts again.
    responder.set_rules([first, parse_rule("exact:b => B{{counter}}")])
    assert [responder.answer(m) for m in (b"a", b"b")] == [b"a4", b"B1"]


def test_hex_rules_without_a_framing_see_raw_chunks() -> None:
    """A binary request may hold 0x0A: cutting it into lines would answer neither half."""
    rules = [parse_rule("hex:01 03 ?? 0A => hex:01 83")]
    assert default_framing(rules) == "raw"
    assert default_framing([parse_rule(GET_RULE)]) == "line"
    responder = Responder(rules, fallback="echo")
    assert responder.framing == "raw"
    assert responder.respond(1, bytes.fromhex("01 03 00 0A")) == bytes.fromhex("01 83")
    assert Responder(rules, framing="line").respond(1, bytes.fromhex("01 03 00 0A")) == b""


def test_with_a_checksum_rules_see_the_payload_and_damaged_frames_get_no_reply() -> None:
    """--checksum: the CRC is not part of what rules match, and a frame that fails it is not
    answered, by a rule or by a fallback."""
    good = append_checksum(b"ping", "crc16-modbus")
    bad = good[:-1] + bytes([good[-1] ^ 1])
    rules = [parse_rule("exact:ping => pong"), parse_rule(r"regex:^v(.*)$ => [{{1}}]")]
    checksum = ("crc16-modbus", None)
    responder = Responder(rules, framing="raw", checksum=checksum)
    assert responder.answer(good) == b"pong"
    assert responder.answer(bad) == b""
    assert responder.answer(b"ping") == b""  # no checksum at all: damaged too
    assert responder.answer(append_checksum(b"v12", "crc16-modbus")) == b"[12]"
    framed = Responder(rules, framing="len2be", checksum=checksum)
    assert framed.respond(1, len(good).to_bytes(2, "big") + good) == b"pong"
    assert framed.respond(1, len(bad).to_bytes(2, "big") + bad) == b""
    for mode, reply in (("echo", good), ("fixed", b"ok")):
        fallback = Responder(framing="raw", fallback=mode, fixed_reply=b"ok", checksum=checksum)
        assert fallback.answer(good) == reply  # an echo sends the frame whole, CRC included
        assert fallback.answer(bad) == b""


# (framing, chunks received, replies): every net.framing spec splits what rules see.
FRAMING_CASES = [
    ("len2be", [b"\x00\x03GET", b"\x00\x02hi\x00"], [b"got GET", b"\x00\x02hi"]),
    ("crlf", [b"GET\r", b"\nhi\n\r\n"], [b"got GET", b"hi\n\r\n"]),
    ("delim:03", [b"GET\x03h", b"i\x03"], [b"got GET", b"hi\x03"]),
    ("fixed:3", [b"GE", b"Thi!"], [b"got GET", b"hi!"]),
]


@pytest.mark.parametrize(("framing", "chunks", "replies"), FRAMING_CASES)
def test_rules_see_each_frame_of_any_framing(
    framing: str, chunks: list[bytes], replies: list[bytes]
) -> None:
    responder = Responder([parse_rule("exact:GET => got GET")], framing=framing, fallback="echo")
    assert responder.framing == framing
    # The echo fallback sends the whole frame back, header and terminator included.
    assert b"".join(responder.respond(7, chunk) for chunk in chunks) == b"".join(replies)


def test_unknown_framing_is_refused() -> None:
    with pytest.raises(PayloadError, match="unknown framing"):
        Responder([], framing="lines")


# (pattern, its shape): what the syntax tree tells before a search.
SHAPE_CASES = [
    (r"^CMD1 (\w+)$", RegexShape(1000, "CMD1 ", "CMD1 ")),
    (r"GET (\w+)", RegexShape(1000, "", "GET ")),
    (r"\Afoo", RegexShape(sys.maxsize, "foo", "foo")),
    (r"(?m)^foo", RegexShape(sys.maxsize, "", "foo")),  # ^ after any newline: no start
    (r"(?i)abc", RegexShape(sys.maxsize, "", "")),  # any case: no literal to look for
    (r"\d+\d+x", RegexShape(99, "", "x")),
    (r"(a+)+$", RegexShape(0, "", "")),  # nested repeats: exponential
    (r"(\w+\s?)*$", RegexShape(0, "", "")),
    (r"(?:ab|a)*c", RegexShape(0, "", "")),  # alternatives inside a repeat
    (r"(a)\1", RegexShape(0, "", "")),  # a back-reference
    (r"\p{L}+", RegexShape(0, "", "")),  # regex-only syntax
    (r"[[:digit:]]x", RegexShape(0, "", "")),  # a POSIX class, which re reads otherwise
]


@pytest.mark.parametrize(("pattern", "shape"), SHAPE_CASES)
def test_regex_shape(pattern: str, shape: RegexShape) -> None:
    assert regex_shape(pattern) == shape


def test_long_messages_still_match_under_the_time_limit() -> None:
    rule = parse_rule(r"regex:^K(\d+)$ => {{1}}")
    assert rule._shape.safe_length < 5000
    digits = b"7" * 5000
    assert Responder([rule], framing="raw").answer(b"K" + digits) == digits


_RULE_TEXTS = [
    "exact:ab => exact-ab",
    "prefix:a => prefix-a",
    "suffix:b => suffix-b",
    "contains:ba => contains-ba",
    r"regex:^a(b+) => regex-start-{{1}}",
    r"regex:b\d => regex-bd",
    "regex:(?i)AB => regex-any-case",
    "hex:61 ?? 62 => hex-a?b",
    "prefix:ab => prefix-ab",
    "suffix:ab => suffix-ab",
    "exact:a => exact-a",
    r"regex:\Ab => regex-b",
]


def _first_by_scan(rules: list[Rule], message: bytes) -> Rule | None:
    """The first enabled rule that matches, found the plain way: every rule in order."""
    for rule in rules:
        if rule.enabled and rule.match(message, time.monotonic() + 5) is not None:
            return rule
    return None


@settings(max_examples=300, deadline=None)
@given(
    order=st.permutations(range(len(_RULE_TEXTS))),
    disabled=st.sets(st.integers(0, len(_RULE_TEXTS) - 1)),
    message=st.binary(max_size=6).map(lambda b: bytes(b"ab1"[x % 3] for x in b)),
)
def test_indexed_rules_find_what_a_scan_finds(
    order: list[int], disabled: set[int], message: bytes
) -> None:
    """The look-ups (exact, prefix, suffix, anchored regex) only skip rules that cannot match:
    the first match is the one a rule-by-rule scan finds, whatever the order."""
    rules = [make_rule(*_split(_RULE_TEXTS[i]), enabled=i not in disabled) for i in order]
    found = RuleSet(rules).find(message)
    assert (found[0] if found else None) is _first_by_scan(rules, message)


def _split(text: str) -> tuple[str, str, str]:
    rule = parse_rule(text)
    return rule.kind, rule.pattern, rule.reply


def test_line_framing_splits_the_stream_per_connection() -> None:
    responder = Responder([parse_rule(GET_RULE)], fallback="echo")
    assert responder.respond(1, b"GET te") == b""
    assert responder.respond(2, b"GET b\r") == b""
    assert responder.respond(1, b"mp\nhello\nGET x\r\n") == b"VAL temp=42\nhello\nVAL x=42\n"
    assert responder.respond(2, b"\n") == b"VAL b=42\n"
    responder.forget(1)
    assert responder.respond(1, b"x\n") == b"x\n"  # the old half line is gone


def test_fixed_fallback_answers_unmatched_lines_only() -> None:
    responder = Responder([parse_rule("exact:a => A")], fallback="fixed", fixed_reply=b"?")
    assert responder.respond(1, b"a\nb\n") == b"A?"
    responder.set_fallback("none")
    assert responder.respond(1, b"b\n") == b""
    responder.set_rules([])
    assert responder.respond(1, b"a\n") == b""


def test_an_endless_line_is_cut_at_the_match_limit() -> None:
    responder = Responder([parse_rule("prefix:x => long"), parse_rule("exact:yy => tail")])
    assert responder.respond(1, b"x" * (MAX_MATCH_INPUT - 1)) == b""
    # The limit is reached without a newline: that piece is answered on its own...
    assert responder.respond(1, b"xyy") == b"long"
    # ...and the rest of the line is the next message.
    assert responder.respond(1, b"\n") == b"tail"


def test_backtracking_regex_cannot_freeze_matching() -> None:
    responder = Responder(
        [parse_rule(r"regex:(\w+\s?)*$ => never"), parse_rule("contains:! => bang")],
        framing="raw",
    )
    started = time.monotonic()
    # Exponential for a backtracking engine: without the budget this would take years.
    assert responder.answer(b"a" * 5000 + b"!") == b""
    assert time.monotonic() - started < WAIT
    assert responder.timeouts == 1


def test_hex_pattern_and_escape_round_trip() -> None:
    assert compile_hex_pattern("01 ?? 03").fullmatch(b"\x01\xff\x03")
    with pytest.raises(PayloadError, match="empty"):
        compile_hex_pattern("  ")
    for data, encoding in [
        (b"a\\b\r\n\x00\xff{{x}} \x7f", "UTF-8"),
        ("中文\\".encode("gbk"), "GBK"),
        (bytes(range(256)), "Latin-1"),
    ]:
        text = escape_bytes(data, encoding)
        rule = make_rule("hex", "78", text, encoding=encoding)
        assert Responder([rule], framing="raw").answer(b"x") == data


def test_tcp_server_answers_by_rules_and_reports_sent() -> None:
    sent: list[bytes] = []
    done = threading.Event()

    def on_event(event: TcpEvent) -> None:
        if type(event).__name__ == "Sent":
            sent.append(event.data)  # type: ignore[union-attr]
            done.set()

    responder = Responder([parse_rule(GET_RULE)], fallback="echo")
    with TcpServer("127.0.0.1", 0, on_event=on_event, responder=responder) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as client:
                client.sendall(b"GET te")
                client.sendall(b"mp\nother\n")
                assert _read_exactly(client, 18) == b"VAL temp=42\nother\n"
                server.set_responder(None)  # back to the reply mode ("none")
                client.sendall(b"GET x\n")
                client.settimeout(0.2)
                with pytest.raises(TimeoutError):
                    client.recv(10)
            assert done.wait(WAIT)
        finally:
            server.shutdown()
            thread.join(WAIT)
    assert b"".join(sent) == b"VAL temp=42\nother\n"


def test_udp_receiver_answers_by_rules() -> None:
    replies: list[bytes] = []
    responder = Responder([parse_rule(GET_RULE)], framing="raw")
    with UdpReceiver(
        "127.0.0.1", 0, responder=responder, on_reply=lambda d: replies.append(d.data)
    ) as receiver:
        thread = threading.Thread(target=receiver.run)
        thread.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(WAIT)
                client.sendto(b"GET temp", ("127.0.0.1", receiver.port))
                assert client.recvfrom(100)[0] == b"VAL temp=42\n"
                client.sendto(b"nothing", ("127.0.0.1", receiver.port))
                client.sendto(b"GET hum", ("127.0.0.1", receiver.port))
                assert client.recvfrom(100)[0] == b"VAL hum=42\n"  # no reply to "nothing"
        finally:
            receiver.shutdown()
            thread.join(WAIT)
        assert receiver.stats.replies == 2
    assert replies == [b"VAL temp=42\n", b"VAL hum=42\n"]


def test_swb_tcp_serve_rule_answers_and_prints_out_rows() -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--rule", GET_RULE, "--echo") as proc:
        port = proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(b"GET temp\n")
            assert _read_exactly(client, 12) == b"VAL temp=42\n"
            client.sendall(b"hi\n")  # no rule: --echo answers
            assert _read_exactly(client, 3) == b"hi\n"
        proc.wait_line("disconnected")
        code, out, err = proc.finish()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("  GET temp\\n")
    assert lines[1].startswith("to 127.0.0.1:") and lines[1].endswith("  VAL temp=42\\n")
    assert err[-1] == "1 client, 12 bytes received, 15 bytes sent"


def test_swb_tcp_serve_raw_framing_json() -> None:
    args = ["tcp-serve", "0", "-H", "127.0.0.1", "--framing", "raw", "--json"]
    with listener(*args, "--rule", "hex:01 03 => hex:01 83 02 +checksum:crc16-modbus") as proc:
        port = proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(bytes.fromhex("01 03 00 00"))
            expected = append_checksum(bytes.fromhex("01 83 02"), "crc16-modbus")
            assert _read_exactly(client, len(expected)) == expected
        code, out, _err = proc.finish()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in records][:3] == ["connected", "received", "sent"]
    assert records[2]["hex"] == expected.hex().upper()
    assert code == 0


def test_swb_tcp_serve_hex_rules_see_chunks_unless_framing_is_given() -> None:
    request = bytes.fromhex("01 03 0A 00")  # a 0x0A inside: not the end of a line
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--rule", "hex:01 03 => hex:AA") as proc:
        with socket.create_connection(("127.0.0.1", proc.listening_port()), timeout=WAIT) as c:
            c.sendall(request)
            assert _read_exactly(c, 1) == b"\xaa"
        proc.finish()
    # A length-prefixed protocol: each message is one frame, whatever the reads were.
    args = ["--framing", "len1", "--rule", "hex:01 03 => hex:AA", "--rule", "exact:hi => yo"]
    with listener("tcp-serve", "0", "-H", "127.0.0.1", *args) as proc:
        with socket.create_connection(("127.0.0.1", proc.listening_port()), timeout=WAIT) as c:
            c.sendall(b"\x04" + request[:2])
            c.sendall(request[2:] + b"\x02hi")
            assert _read_exactly(c, 3) == b"\xaayo"
        code, _out, _err = proc.finish()
    assert code == 0


def test_swb_udp_listen_rule_with_reply_fallback() -> None:
    args = [
        "udp-listen",
        "0",
        "-H",
        "127.0.0.1",
        "--rule",
        GET_RULE,
        "--reply",
        "?",
        "--count",
        "2",
    ]
    with listener(*args) as proc:
        port = proc.listening_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(WAIT)
            client.sendto(b"GET temp", ("127.0.0.1", port))
            assert client.recvfrom(100)[0] == b"VAL temp=42\n"
            client.sendto(b"what", ("127.0.0.1", port))
            assert client.recvfrom(100)[0] == b"?"
        code, out, err = proc.finish(sig=None)
    assert code == 0
    # Replies are printed after the batch of datagrams that caused them.
    lines = out.splitlines()
    received = [line.split("  ", 1)[1] for line in lines if not line.startswith("to ")]
    replies = [line.split("  ", 1)[1] for line in lines if line.startswith("to 127.0.0.1:")]
    assert (received, replies) == (["GET temp", "what"], ["VAL temp=42\\n", "?"])
    assert err[-1] == "2 datagrams, 12 bytes, 2 replies sent"


@pytest.mark.parametrize("command", ["tcp-serve", "udp-listen"])
def test_swb_bad_rule_exits_2_before_listening(command: str) -> None:
    result = swb(command, "0", "--rule", "regex:GET ( => x")
    assert result.returncode == 2
    assert result.stderr.strip() == ("swb: rule 1: the regex 'GET (' does not compile: missing )")
    assert "listening" not in result.stderr


def test_rule_help_names_only_the_fallbacks_each_command_has() -> None:
    """udp-listen has --reply but no --echo; its help must not send people to an option that
    argparse then refuses."""
    udp = " ".join(swb("udp-listen", "--help").stdout.split())
    tcp = " ".join(swb("tcp-serve", "--help").stdout.split())
    assert "--reply answers the rest" in udp and "--echo" not in udp
    assert "--reply/--echo answer the rest" in tcp
    assert swb("udp-listen", "0", "--echo").returncode == 2
