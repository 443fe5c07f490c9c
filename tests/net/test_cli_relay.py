"""`swb relay` run as a real process between real peers: the classic tutorial scripts talking
through it byte-exact with both directions shown, JSON lines, UDP with seeded loss, a reset after
N bytes, TLS on both sides, bad input, and a clean stop on signals."""

from __future__ import annotations

import json
import random
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net._faults import Faults, datagram_fate
from net.tls import certificate_fingerprint
from tests import simulate
from tests.conftest import WAIT
from tests.interop.test_socket_peers import CLASSIC_TCP_CLIENT, CLASSIC_TCP_SERVER
from tests.net.test_cli_sockets import Swb, free_port, swb
from tests.net.test_relay import echo, read_all, tcp_target, udp_target

pytestmark = pytest.mark.posix_only  # stopped with SIGTERM/SIGINT, which must print the summary

LISTENING = r"^listening on 127\.0\.0\.1:(\d+) \((TCP|UDP)\), relaying to (\S+)$"


@contextmanager
def relay(*args: str) -> Iterator[tuple[Swb, int]]:
    process = Swb("relay", "0", *args, "-H", "127.0.0.1")
    try:
        port = int(process.wait_line(LISTENING).group(1))
        yield process, port
    finally:
        process.kill()


def test_classic_server_and_client_talk_through_the_relay_both_directions_shown() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", CLASSIC_TCP_SERVER, str(port)],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == "ready\n"
        with relay("127.0.0.1", str(port)) as (process, relay_port):
            client = subprocess.run(
                [sys.executable, "-c", CLASSIC_TCP_CLIENT, str(relay_port), "你好, relay"],
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=WAIT,
            )
            assert client.stdout == "thank you !\n"
            assert server.stdout.readline() == "received: 你好, relay\n"
            process.wait_line(r"^#1 client .* closed: ")
            code, out, err = process.finish(signal.SIGTERM)
    finally:
        server.kill()
        server.wait(WAIT)
    assert code == 0
    lines = out.splitlines()
    peer = lines[0].split(" ")[0]
    assert lines == [f"{peer} -> 你好, relay", f"{peer} <- thank you !"]
    assert "-> 1 chunk, 13 bytes, 0 dropped, 0 duplicated" in "\n".join(err)
    assert "<- 1 chunk, 11 bytes, 0 dropped, 0 duplicated" in "\n".join(err)
    assert "1 connection" in "\n".join(err)
    assert f"#1 target 127.0.0.1:{port} connected" in "\n".join(err)


def test_json_lines_carry_the_direction() -> None:
    with tcp_target(echo) as port, relay("127.0.0.1", str(port), "--json") as (process, rport):
        with socket.create_connection(("127.0.0.1", rport), timeout=WAIT) as c:
            c.sendall(b"\x00\xffhi")
            c.shutdown(socket.SHUT_WR)
            assert read_all(c) == b"\x00\xffhi"
        code, out, _err = process.finish(signal.SIGINT)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    data = [r for r in records if r["event"] == "data"]
    assert [(r["direction"], r["hex"], r["action"]) for r in data] == [
        ("->", "00FF6869", "forwarded"),
        ("<-", "00FF6869", "forwarded"),
    ]
    assert {(r["event"], r["side"]) for r in records if r["event"] != "data"} == {
        ("opened", "client"),
        ("opened", "target"),
        ("closed", "client"),
        ("closed", "target"),
    }


def test_udp_loss_with_a_seed_drops_exactly_what_the_seed_says() -> None:
    # 60 %: over a thousand dropped, written 1,2xx like the other counts of the summary.
    count, seed = 2000, 42
    rng = random.Random(seed)
    lost = sum(datagram_fate(Faults(loss=60), rng)[0] for _ in range(count))
    assert lost > 999
    with (
        udp_target() as (port, received),
        relay("127.0.0.1", str(port), "--udp", "--loss", "60", "--seed", str(seed), "--quiet") as (
            process,
            rport,
        ),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client,
    ):
        for n in range(count):
            client.sendto(b"%d" % n, ("127.0.0.1", rport))
        wait_until(lambda: len(received) >= count - lost)
        code, out, err = process.finish(signal.SIGTERM)
    assert code == 0 and out == ""
    assert f"-> {count - lost:,} datagrams, " in "\n".join(err)
    assert f", {lost:,} dropped, 0 duplicated" in "\n".join(err)
    assert len(received) == count - lost


def wait_until(check: Callable[[], bool]) -> None:
    """Poll ``check`` (a list another thread fills) until it holds; fail after WAIT."""
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline
        select.select([], [], [], 0.01)


def test_reset_after_1000_bytes() -> None:
    with (
        tcp_target(echo) as port,
        relay("127.0.0.1", str(port), "--reset-after", "1000", "--quiet") as (process, rport),
    ):
        with socket.create_connection(("127.0.0.1", rport), timeout=WAIT) as c:
            c.sendall(bytes(5000))
            got = bytearray()
            with pytest.raises(ConnectionResetError):
                while data := c.recv(65536):
                    got += data
        assert len(got) <= 1000
        code, _out, err = process.finish(signal.SIGTERM)
    assert code == 0
    assert "-> 1 chunk, 1,000 bytes, " in "\n".join(err)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_tls_on_both_sides_is_shown_in_clear(ca: trustme.CA, tmp_path: Path) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "c.pem", tmp_path / "k.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf = ca.issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    args = [
        "--tls-target",
        "--cafile",
        str(ca_file),
        "--cert",
        str(cert_file),
        "--key",
        str(key_file),
    ]
    with (
        tcp_target(echo, server_context) as port,
        relay("127.0.0.1", str(port), *args) as (process, rport),
    ):
        raw = socket.create_connection(("127.0.0.1", rport), timeout=WAIT)
        with client_context.wrap_socket(raw, server_hostname="127.0.0.1") as c:
            c.sendall(b"plain text inside TLS")
            assert c.recv(100) == b"plain text inside TLS"
        process.wait_line(r"^#1 client .* closed: ")
        code, out, err = process.finish(signal.SIGTERM)
    assert code == 0
    assert [line.split(" ", 1)[1] for line in out.splitlines()] == [
        "-> plain text inside TLS",
        "<- plain text inside TLS",
    ]
    assert "TLS certificate SHA-256 fingerprint:" in "\n".join(err)
    assert f"#1 target 127.0.0.1:{port} connected (TLSv1." in "\n".join(err)


BAD_INPUT = [
    (["relay", "0", "127.0.0.1", "0"], "port 0 cannot be used"),
    (["relay", "70000", "127.0.0.1", "9"], "out of range"),
    (["relay", "0", "no-such-host.invalid", "9"], "no such host"),
    (["relay", "0", "127.0.0.1", "9", "--loss", "500", "--udp"], "out of range"),
    (["relay", "0", "127.0.0.1", "9", "--loss", "5"], "add --udp"),
    (["relay", "0", "127.0.0.1", "9", "--udp", "--tls-target"], "TLS options are for TCP"),
    (["relay", "0", "127.0.0.1", "9", "--udp", "--slice", "10"], "are for TCP"),
    (["relay", "0", "127.0.0.1", "9", "--delay", "-1"], "out of range"),
    (["relay", "0", "127.0.0.1", "9", "--rate", "fast"], "not a whole number"),
    (["relay", "0", "127.0.0.1", "9", "--tls-listen", "--cert", "c.pem"], "--cert needs --key"),
    (["relay", "0", "127.0.0.1", "9", "--tls-target", "--fingerprint", "AB"], "hex digits"),
    (["relay", "0", "127.0.0.1", "9", "--tls-target", "--cafile", "no.pem"], "does not exist"),
    (["relay", "0", "bad host", "9"], "not a valid host name"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(a[3:]) for a, _ in BAD_INPUT]
)
def test_bad_input_exits_2_with_one_line(
    args: list[str],
    message: str,
    bad_results: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
) -> None:
    result = bad_results[tuple(args)]
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0] and lines[0].startswith("swb")


@pytest.fixture(scope="module")
def bad_results() -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {tuple(a): pool.submit(swb, *a) for a, _ in BAD_INPUT}
        return {a: f.result() for a, f in futures.items()}


def test_a_port_in_use_exits_1() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        result = swb("relay", str(taken.getsockname()[1]), "127.0.0.1", "9", "-H", "127.0.0.1")
    assert result.returncode == 1 and "already in use" in result.stderr


@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_the_relay_runs_where_windows_and_macos_python_lack_things(platform: str) -> None:
    """Under a stand-in for Windows (select() capped at 512 sockets) and macOS."""
    code = (
        "from net.relay import TcpRelay, UdpRelay\n"
        "r = TcpRelay('127.0.0.1', 0, '127.0.0.1', 9, max_clients=1000)\n"
        "u = UdpRelay('127.0.0.1', 0, '127.0.0.1', 9, max_clients=1000)\n"
        "print(r.max_clients, u.max_clients)\n"
        "r.close(); u.close()\n"
    )
    done = subprocess.run(
        simulate.code_command(platform, code),
        env=simulate.env(),
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    # Two sockets per TCP connection, one per UDP client, within select()'s 500 usable slots.
    assert done.stdout.split() == (["250", "500"] if platform == "win32" else ["1000", "1000"])
    with tcp_target(echo) as port:
        process = subprocess.Popen(
            simulate.swb_command(platform, "relay", "0", "127.0.0.1", str(port), "-H", "127.0.0.1"),
            env=simulate.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        try:
            assert process.stderr is not None and process.stdout is not None
            match = re.search(LISTENING, process.stderr.readline().rstrip("\n"))
            assert match, "no listening line"
            with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=WAIT) as c:
                c.sendall(b"through")
                assert c.recv(100) == b"through"
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=WAIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(WAIT)
    assert process.returncode == 0, err
    assert [line.split(" ", 1)[1] for line in out.splitlines()] == ["-> through", "<- through"]


def test_delay_adds_to_a_round_trip_and_direction_picks_one_way() -> None:
    def best_round_trip(port: int) -> float:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as c:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            best = WAIT
            for _ in range(3):
                begin = time.monotonic()
                c.sendall(b"ping")
                assert c.recv(4) == b"ping"
                best = min(best, time.monotonic() - begin)
            return best

    with tcp_target(echo) as port:
        direct = best_round_trip(port)
        with relay("127.0.0.1", str(port), "--delay", "100", "--quiet") as (_process, rport):
            delayed = best_round_trip(rport)
        with relay("127.0.0.1", str(port), "--delay", "100", "--direction", "both", "--quiet") as (
            _process,
            rport,
        ):
            both = best_round_trip(rport)
    assert 0.090 <= delayed - direct < 5.0
    assert 0.190 <= both - direct < 5.0


def test_tls_listen_with_the_generated_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    with tcp_target(echo) as port:
        process = Swb("relay", "0", "127.0.0.1", str(port), "-H", "127.0.0.1", "--tls-listen")
        try:
            fingerprint = process.wait_line(r"fingerprint: ([0-9A-F:]{95})$").group(1)
            rport = int(process.wait_line(LISTENING).group(1))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            raw = socket.create_connection(("127.0.0.1", rport), timeout=WAIT)
            with context.wrap_socket(raw) as c:
                der = c.getpeercert(binary_form=True)
                c.sendall(b"self-signed")
                assert c.recv(100) == b"self-signed"
            code, out, _err = process.finish(signal.SIGTERM)
        finally:
            process.kill()
    assert code == 0
    assert der is not None and certificate_fingerprint(der) == fingerprint
    assert out.splitlines()[0].endswith("-> self-signed")
