"""net.script: checking scripts (errors name the line), running them against line-based device
simulators over TCP, UDP and TLS, and scripts / mock rules made from a recorded conversation."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.errors import AddressError
from net.rules import Responder
from net.script import (
    MAX_EXPECT_BUFFER,
    MAX_KEPT_RESULTS,
    Record,
    ScriptError,
    ScriptRunner,
    StepResult,
    load_script,
    mock_rules,
    parse_script,
    records_from_script,
    rules_from_records,
    script_from_records,
)
from tests.conftest import WAIT

Answer = Callable[[bytes], bytes | None]  # None: hang up


def good_device(line: bytes) -> bytes:
    """A line-based device: PING n -> PONG n, GET k -> VAL k=42, SET k v -> OK k=v."""
    words = line.decode().split()
    if words[:1] == ["PING"]:
        return f"PONG {words[1]}\r\n".encode()
    if words[:1] == ["GET"]:
        return f"VAL {words[1]}=42\r\n".encode()
    if words[:1] == ["SET"]:
        return f"OK {words[1]}={words[2]}\r\n".encode()
    return b"ERR unknown\r\n"


def wrong_device(line: bytes) -> bytes:
    return b"ERR busy\r\n"


class TcpDevice:
    """A threaded TCP server answering each line with ``answer(line)``, optionally in TLS."""

    def __init__(
        self,
        answer: Answer,
        context: ssl.SSLContext | None = None,
        handle: Callable[[socket.socket], None] | None = None,
    ) -> None:
        self.answer = answer
        self.context = context
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lines: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        if self.context is not None:
            try:
                conn = self.context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return
        with conn:
            conn.settimeout(WAIT)
            if self.handle is not None:
                with contextlib.suppress(OSError):
                    self.handle(conn)
                return
            pending = b""
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    self.lines.append(line)
                    reply = self.answer(line.rstrip(b"\r"))
                    if reply is None:
                        return
                    conn.sendall(reply)

    def close(self) -> None:
        # Closing a listener does not wake a thread blocked in accept() on Linux: connect once.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            pass
        self.listener.close()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


@contextmanager
def tcp_device(
    answer: Answer = good_device,
    context: ssl.SSLContext | None = None,
    handle: Callable[[socket.socket], None] | None = None,
) -> Iterator[TcpDevice]:
    """A device answering line by line, or, with ``handle``, one that does what ``handle`` does
    with the first client's connection."""
    device = TcpDevice(answer, context, handle)
    try:
        yield device
    finally:
        device.close()


@contextmanager
def udp_device(answer: Answer) -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = answer(data.rstrip(b"\r\n"))
            if reply is not None:
                sock.sendto(reply, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(WAIT)
        sock.close()


def conversation(port: int, protocol: str = "tcp", extra: str = "", repeat: int = 1) -> str:
    return f"""
[connection]
protocol = "{protocol}"
host = "127.0.0.1"
port = {port}
repeat = {repeat}
{extra}

[[step]]
send = "PING {{{{counter}}}}\\r\\n"

[[step]]
expect = 'PONG (?P<seq>\\d+)'
timeout = 3
capture = true

[[step]]
send = "SET last {{{{seq}}}}\\n"

[[step]]
expect = 'OK last={{{{seq}}}}'
timeout = 3

[[step]]
delay = 0.01
"""


def run(source: str, **variables: str) -> tuple[list[StepResult], str]:
    script = parse_script(source, "test.toml", variables)
    steps: list[StepResult] = []
    with ScriptRunner(script, steps.append) as runner:
        outcome = runner.run()
    assert list(outcome.results) == steps
    return steps, outcome.problem


def test_tcp_conversation_with_capture_and_repeat() -> None:
    with tcp_device(good_device) as device:
        steps, problem = run(conversation(device.port, repeat=3))
    assert problem == ""
    assert len(steps) == 15 and all(step.ok for step in steps)
    assert device.lines == [
        b"PING 1\r",
        b"SET last 1",
        b"PING 2\r",
        b"SET last 2",
        b"PING 3\r",
        b"SET last 3",
    ]
    expect = steps[1]
    assert expect.captures == {"seq": "1"} and expect.data == b"PONG 1"
    assert expect.rtt is not None and 0 < expect.rtt <= expect.elapsed
    assert [s.elapsed for s in steps] == sorted(s.elapsed for s in steps)


def test_wrong_answers_fail_naming_the_step_and_what_arrived() -> None:
    with tcp_device(wrong_device) as device:
        source = conversation(device.port).replace("timeout = 3", "timeout = 0.3", 1)
        steps, problem = run(source)
    assert [s.ok for s in steps] == [True, False]
    assert problem.startswith(
        "step 2 (line 12) expect 'PONG (?P<seq>\\\\d+)': no match within 0.3 s"
    )
    assert problem.endswith("what arrived instead: 'ERR busy\\r\\n'")
    assert steps[1].received == b"ERR busy\r\n"


def test_stream_framing_joins_a_reply_split_across_reads() -> None:
    """The device writes its answer one byte per write (TCP_NODELAY): it reaches the script in
    several reads, and one match may end in the middle of one."""

    def trickle(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.recv(100)
        for byte in b"xxPONG 7 and PONG 8":
            conn.sendall(bytes([byte]))
        conn.recv(100)

    with tcp_device(handle=trickle) as device:
        source = f"""
[connection]
host = "127.0.0.1"
port = {device.port}
[[step]]
send = "PING\\n"
[[step]]
expect = 'PONG \\d and'
[[step]]
expect = 'PONG (?P<n>\\d)'
capture = true
"""
        steps, problem = run(source)
    assert problem == ""
    assert steps[1].data == b"PONG 7 and"
    assert steps[2].captures == {"n": "8"}  # what followed the first match stayed for the next


def test_peer_closing_is_a_network_failure() -> None:
    with tcp_device(lambda line: None) as device:
        steps, problem = run(conversation(device.port))
    assert problem == f"127.0.0.1:{device.port} closed the connection"
    assert [s.step.kind for s in steps] == ["send"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_refused_connection_is_a_network_failure() -> None:
    steps, problem = run(conversation(closed_port()))
    assert steps == [] and "refused" in problem


def test_udp_conversation_tries_each_datagram() -> None:
    answers = iter([b"noise", b"PONG 1", b"OK last=1"])

    def device(line: bytes) -> bytes:
        reply = good_device(line)
        if line.startswith(b"PING"):
            return next(answers) + b"|" + reply  # one datagram: junk first, then the answer
        return reply

    with udp_device(device) as port:
        steps, problem = run(conversation(port, "udp"))
    assert problem == ""
    assert steps[1].data == b"PONG 1" and steps[3].data == b"OK last=1"


def test_udp_wrong_answer_lists_the_datagrams() -> None:
    with udp_device(wrong_device) as port:
        source = conversation(port, "udp").replace("timeout = 3", "timeout = 0.3", 1)
        steps, problem = run(source)
    assert not steps[-1].ok
    assert "what arrived instead: 'ERR busy\\r\\n'" in problem


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_tls_conversation_verified_with_cafile(ca: trustme.CA, tmp_path: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with tcp_device(good_device, context) as device:
        steps, problem = run(conversation(device.port, "tls", f'cafile = "{cafile}"'))
    assert problem == "" and all(s.ok for s in steps)


def test_tls_unverified_certificate_fails_without_sending(ca: trustme.CA) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with tcp_device(good_device, context) as device:
        steps, problem = run(conversation(device.port, "tls"))
    assert steps == [] and "certificate" in problem
    # The advice names swb's options; a script has [connection] keys instead, and says so.
    assert problem.endswith(
        '(in a script, write them as keys of [connection]: fingerprint = "AB:CD:...", '
        'insecure = true or cafile = "ca.pem")'
    )
    assert device.lines == []


def test_shutdown_stops_a_waiting_expect() -> None:
    with tcp_device(lambda line: b"") as device:
        script = parse_script(conversation(device.port).replace("timeout = 3", "timeout = 60"))
        started = threading.Event()
        runner = ScriptRunner(script, lambda result: started.set())
        outcome = []
        thread = threading.Thread(target=lambda: outcome.append(runner.run()))
        thread.start()
        assert started.wait(WAIT)  # the send is done; the expect waits up to 60 s
        runner.shutdown()
        thread.join(WAIT)
        runner.close()
    assert not thread.is_alive()
    assert outcome[0].stopped and not outcome[0].ok


def test_variables_from_the_command_line() -> None:
    with tcp_device(good_device) as device:
        source = f"""
[connection]
host = "localhost"
port = {device.port}
[[step]]
send = "GET {{{{sensor}}}}\\n"
[[step]]
expect = 'VAL {{{{sensor}}}}=42'
"""
        steps, problem = run(source, sensor="t.1")
    assert problem == "" and device.lines == [b"GET t.1"]
    assert steps[1].data == b"VAL t.1=42"  # "." in the value matched literally


BAD_SCRIPTS = [
    ("[connection\nhost = 1", "test.toml: ", "(at line 1, column 12)"),
    ('[connection]\nhost = "h"\nport = 1\n', "no [[step]]", ""),
    ('[connection]\nport = 1\n[[step]]\nsend = "x"\n', "[connection]: ", "host"),
    ('[connection]\nhost = "h"\nport = 70000\n[[step]]\nsend = "x"\n', "out of range", ""),
    ('[connection]\nhost = "h"\nport = 1\nprotocol = "sctp"\n[[step]]\nsend = "x"\n', "sctp", ""),
    ('[connection]\nhost = "h"\nport = 1\ncolour = 1\n[[step]]\nsend = "x"\n', "'colour'", ""),
    (
        '[connection]\nhost = "h"\nport = 1\n\n\n[[step]]\nsend = "x"\nexpect = "y"\n',
        "line 6 (step 1)",
        "send and expect",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nsend = "x"\n[[step]]\nexpect = "a("\n',
        "line 6 (step 2)",
        "does not compile",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nsend = "{{seq}}"\n',
        "line 4 (step 1)",
        "{{seq}} is not defined",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nsend_hex = "0G"\n',
        "line 4",
        "not a hex digit",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nsend = "x"\nchecksum = "crc99"\n',
        "line 4",
        "unknown checksum",
    ),
    ('[connection]\nhost = "h"\nport = 1\n[[step]]\ndelay = -1\n', "line 4", "out of range"),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nexpect = "x"\ncapture = true\n',
        "line 4",
        "no named groups",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\n[[step]]\nexpect = "x"\ntimeout = "soon"\n',
        "line 4",
        "number of seconds",
    ),
    (
        '[connection]\nhost = "h"\nport = 1\ninsecure = true\n[[step]]\nsend = "x"\n',
        "need protocol",
        "",
    ),
]


@pytest.mark.parametrize(("source", "part", "other"), BAD_SCRIPTS)
def test_bad_script_says_where(source: str, part: str, other: str) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(source, "test.toml")
    message = str(caught.value)
    assert part in message and other in message and "\n" not in message


def test_load_script_errors(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read the script"):
        load_script(tmp_path / "missing.toml")
    (tmp_path / "latin.toml").write_bytes(b"# \xe9\n")
    with pytest.raises(ScriptError, match="not UTF-8"):
        load_script(tmp_path / "latin.toml")


def test_unknown_host_is_bad_input() -> None:
    script = parse_script(conversation(5).replace("127.0.0.1", "no-such-host.invalid"))
    with ScriptRunner(script) as runner, pytest.raises(AddressError):
        runner.run()


RECORDED = [
    Record("sent", b"GET temp\r\n"),
    Record("received", b"VAL temp=42\r\n"),
    Record("sent", b"READ "),
    Record("sent", b"1\n"),
    Record("received", b"\x01\x02\xff"),
    Record("received", b"\x00"),
    Record("sent", b"{{x}} a+b?\n"),
    Record("received", b"ok {{x}} a+b?\n"),
    Record("sent", b"quiet\n"),
]


def test_recorded_conversation_replays_against_a_mock_made_from_it() -> None:
    """Record -> script and capture -> mock: the script passes against the mock."""
    rules = rules_from_records(RECORDED)
    assert [r.kind for r in rules] == ["exact", "exact", "exact"]
    responder = Responder(rules)

    def mock(conn: socket.socket) -> None:
        while data := conn.recv(4096):
            conn.sendall(responder.respond(1, data))

    with tcp_device(handle=mock) as device:
        source = script_from_records(RECORDED, protocol="tcp", host="127.0.0.1", port=device.port)
        assert 'expect_hex = "01 02 FF 00"' in source
        steps, problem = run(source)
    assert problem == ""
    assert [s.step.kind for s in steps] == ["send", "expect"] * 3 + ["send"]
    assert steps[3].data == b"\x01\x02\xff\x00"
    assert steps[5].data == b"ok {{x}} a+b?\n"


def test_script_from_records_is_valid_for_udp_and_binary() -> None:
    records = [
        Record("received", b"banner\n"),
        Record("sent", b"\x00\x01"),
        Record("received", b"\x7f"),
    ]
    source = script_from_records(records, protocol="udp", host="::1", port=9, timeout=1.5)
    script = parse_script(source)
    assert script.protocol == "udp" and script.host == "::1"
    assert [(s.kind, s.hex) for s in script.steps] == [
        ("expect", False),
        ("send", True),
        ("expect", True),
    ]
    assert script.steps[0].timeout == 1.5
    assert re.search(r"send_hex = \"00 01\"", source)


def test_expect_keeps_only_the_tail_of_a_flood() -> None:
    def flood(conn: socket.socket) -> None:
        conn.sendall(b"z" * (MAX_EXPECT_BUFFER * 4) + b"END")
        conn.recv(10)

    with tcp_device(handle=flood) as device:
        port = device.port
        source = (
            f'[connection]\nhost = "127.0.0.1"\nport = {port}\n[[step]]\nexpect = "z{{3}}END"\n'
        )
        steps, problem = run(source)
    assert problem == "" and steps[0].data == b"zzzEND"


FLOOD_SERVER = """
import socket, sys
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
try:
    while True:
        conn.sendall(b"noise " * 10000)
except OSError:
    pass
"""


def test_an_endless_stream_cannot_hold_an_expect_past_its_timeout() -> None:
    """The expect reads what is there before it waits; a peer that never stops sending (its own
    process, so its bytes are always waiting) and never sends the match must still end the step
    at its timeout, and a stop must still stop it."""
    for stop in (False, True):
        with subprocess.Popen(
            [sys.executable, "-c", FLOOD_SERVER], stdout=subprocess.PIPE, text=True
        ) as flood:
            try:
                assert flood.stdout is not None
                port = int(flood.stdout.readline())
                timeout = 60 if stop else 0.3
                source = (
                    f'[connection]\nhost = "127.0.0.1"\nport = {port}\n'
                    # A slow search (each try of 64 KiB uses its time limit): more bytes are
                    # always waiting when the next read comes.
                    f"[[step]]\nexpect = '(noise )+NEVER'\ntimeout = {timeout}\n"
                )
                started = time.monotonic()
                with ScriptRunner(parse_script(source)) as runner:
                    timer = threading.Timer(0.3, runner.shutdown) if stop else None
                    if timer is not None:
                        timer.start()
                    outcome = runner.run()
                    if timer is not None:
                        timer.join()
                assert time.monotonic() - started < WAIT
                if stop:
                    assert outcome.stopped
                else:
                    assert "no match within 0.3 s" in outcome.problem
            finally:
                flood.kill()


def test_a_long_run_keeps_its_last_results_and_exact_counts() -> None:
    with tcp_device(good_device) as device:
        source = (
            f'[connection]\nhost = "127.0.0.1"\nport = {device.port}\n'
            f"repeat = {MAX_KEPT_RESULTS + 5}\n[[step]]\ndelay = 0\n"
        )
        with ScriptRunner(parse_script(source)) as runner:
            outcome = runner.run()
    assert outcome.ok and outcome.steps == MAX_KEPT_RESULTS + 5
    assert len(outcome.results) == MAX_KEPT_RESULTS
    assert outcome.results[-1].round == MAX_KEPT_RESULTS + 5


def test_records_come_back_from_a_recorded_script(tmp_path: Path) -> None:
    source = script_from_records(RECORDED, protocol="tcp", host="127.0.0.1", port=5)
    records = records_from_script(parse_script(source))
    merged = [(r.direction, r.data) for r in records]
    assert merged == [
        ("sent", b"GET temp\r\n"),
        ("received", b"VAL temp=42\r\n"),
        ("sent", b"READ 1\n"),
        ("received", b"\x01\x02\xff\x00"),
        ("sent", b"{{x}} a+b?\n"),
        ("received", b"ok {{x}} a+b?\n"),
        ("sent", b"quiet\n"),
    ]
    path = tmp_path / "recorded.toml"
    path.write_text(source, encoding="utf-8")
    assert [r.to_text() for r in mock_rules(path)] == [
        r.to_text() for r in rules_from_records(RECORDED)
    ]


def test_patterns_and_captures_are_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "patterns.toml"
    path.write_text(conversation(5), encoding="utf-8")
    script = parse_script(conversation(5))
    assert [(r.direction, r.data) for r in records_from_script(script)] == [("sent", b"PING 1\r\n")]
    with pytest.raises(ScriptError, match="no send followed by an exact expect"):
        mock_rules(path)
