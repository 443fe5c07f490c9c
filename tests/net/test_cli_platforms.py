"""The socket commands as CPython on Windows sees this machine (tests/simulate.py), and a legacy
code page on stdout (issue 13, items 3, 4, 5 and 6; issue 12, item 8): signals wake idle loops,
Ctrl+Break stops them, tcp-serve stays within select()'s 512 sockets and the descriptor limit
and says so, family-restricted look-ups without EAI_ADDRFAMILY, no crash on cp1252."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from net._cli_common import stop_on_signals
from net._loop import DESCRIPTOR_RESERVE, StoppableLoop
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_cli_sockets import SWB, _read_exactly, listener

#: The signal a test sends for Ctrl+Break: simulate.py gives SIGBREAK SIGUSR2's number.
CTRL_BREAK = signal.SIGUSR2

# (command, the stderr line that says it is ready, its summary line when idle)
IDLE_LISTENERS = [
    (["udp-listen", "0", "-H", "127.0.0.1"], r"^listening on ", "0 datagrams, 0 bytes"),
    (["tcp-serve", "0", "-H", "127.0.0.1"], r"^listening on ", "0 clients, 0 bytes received"),
    (
        ["serve", "-H", "127.0.0.1", "-p", "0", "SHARED"],
        r"Ctrl-C stops\.$",
        "0 transfers, 0 bytes sent",
    ),
]


@pytest.mark.parametrize("sig", [signal.SIGINT, CTRL_BREAK], ids=["ctrl-c", "ctrl-break"])
@pytest.mark.parametrize(
    ("args", "ready", "summary"), IDLE_LISTENERS, ids=[a[0] for a, _, _ in IDLE_LISTENERS]
)
def test_a_signal_stops_an_idle_loop_on_windows(
    tmp_path: Path, args: list[str], ready: str, summary: str, sig: int
) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("x")
    argv = [str(shared) if arg == "SHARED" else arg for arg in args]
    command = simulate.swb_command("win32", *argv)
    with listener(command=command, env=simulate.env()) as swb_proc:
        swb_proc.wait_line(ready)
        code, _out, err = swb_proc.finish(sig)
    assert code == 0, err
    assert err[-1] == summary
    assert not any("Traceback" in line for line in err)


def test_signals_write_to_the_loops_wakeup_socket() -> None:
    # On Windows a signal does not interrupt select(): the byte that the C-level handler writes
    # to the wake-up descriptor is what wakes it. Here: the signal's number arrives on the loop's
    # waker, next to the handler's own wake-up byte.
    loop = StoppableLoop()
    try:
        with stop_on_signals(loop):
            assert signal.set_wakeup_fd(-1) == loop.wakeup_fileno()
            signal.set_wakeup_fd(loop.wakeup_fileno())
            signal.raise_signal(signal.SIGINT)
            assert loop.stopping
            reader = loop._waker._reader  # white-box: what the selector would see
            got = reader.recv(16)
        assert bytes([signal.SIGINT]) in got
        assert signal.set_wakeup_fd(-1) == -1  # restored on the way out
    finally:
        loop.close()


def test_tcp_serve_on_windows_stays_within_select_and_refuses_politely() -> None:
    clients: list[socket.socket] = []
    command = simulate.swb_command(
        "win32", "tcp-serve", "0", "-H", "127.0.0.1", "--echo", "--max-clients", "2000"
    )
    with listener(command=command, env=simulate.env(), read_stdout=False) as swb_proc:
        limited = swb_proc.wait_line(r"^swb: serving at most (\d+) clients at once, not 2000: ")
        cap = int(limited.group(1))
        assert cap == 500
        assert "select() on this system lets one server watch at most 500" in limited.string
        port = swb_proc.listening_port()
        try:
            for _ in range(600):
                clients.append(socket.create_connection(("127.0.0.1", port), WAIT))
            for client in clients:
                client.settimeout(WAIT)
            # Accepted in order: the first 500 are served, the rest were told "no" by a close.
            latecomer = clients[-1]
            assert latecomer.recv(10) == b""
            line = swb_proc.wait_line(r"^refused 127\.0\.0\.1:\d+: ")
            assert line.string.endswith(
                "the server already has 500 clients, its limit (select() on this system lets "
                "one server watch at most 500 connections)"
            )
            for client in (clients[0], clients[250], clients[499]):
                client.sendall("仍然在".encode())
                assert _read_exactly(client, 9) == "仍然在".encode()
            with socket.create_connection(("127.0.0.1", port), WAIT) as another:
                another.settimeout(WAIT)
                assert another.recv(10) == b""  # still refused, and the loop still alive
            clients[1].close()
            swb_proc.wait_line(r"disconnected: closed by peer$")
            with socket.create_connection(("127.0.0.1", port), WAIT) as newcomer:
                newcomer.sendall(b"room again")
                assert _read_exactly(newcomer, 10) == b"room again"
        finally:
            for client in clients:
                client.close()
        code, _out, err = swb_proc.finish(signal.SIGINT)
    assert code == 0
    assert "refused (limit 500 at once)" in err[-1]
    assert "101 refused" in err[-1]


def _lower_file_limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def test_tcp_serve_says_when_the_descriptor_limit_lowers_its_cap() -> None:
    # The usual limit of 1024 that the hard limit keeps swb from raising: 2000 cannot be held.
    proc_command = [sys.executable, "-m", "net", "tcp-serve", "0", "-H", "127.0.0.1"]
    with listener(
        command=[*proc_command, "--max-clients", "2000"], preexec_fn=_lower_file_limit
    ) as swb_proc:
        line = swb_proc.wait_line(r"^swb: serving at most (\d+) clients at once, not 2000: ")
        assert int(line.group(1)) == 1024 - DESCRIPTOR_RESERVE
        assert line.string.endswith(
            "this process may open only 1024 files and sockets (its descriptor limit), and keeps "
            f"{DESCRIPTOR_RESERVE} of them for other uses"
        )
        swb_proc.listening_port()
        code, _out, _err = swb_proc.finish()
    assert code == 0


def test_tcp_serve_raises_its_descriptor_limit_like_serve() -> None:
    # Soft 1024 under a hard 8192: swb raises it to 4096 and then holds 2000 clients.
    def soft_limit_only() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 8192))

    command = [sys.executable, "-m", "net", "tcp-serve", "0", "-H", "127.0.0.1"]
    with listener(command=[*command, "--max-clients", "2000"], preexec_fn=soft_limit_only) as p:
        p.listening_port()
        code, _out, err = p.finish()
    assert code == 0
    assert not any("serving at most" in line for line in err)


def test_tcp_serve_idle_timeout_closes_quiet_clients() -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--idle-timeout", "0.3") as swb_proc:
        port = swb_proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), WAIT) as client:
            client.settimeout(WAIT)
            assert client.recv(10) == b""
        swb_proc.wait_line(
            r"disconnected: nothing was sent or received for 0\.3 s, so the connection was closed$"
        )
        code, _out, _err = swb_proc.finish()
    assert code == 0


FAMILY_LOOKUP = (
    "from net.address import resolve\n"
    "from net.errors import AddressError\n"
    "import socket\n"
    "try:\n"
    "    resolve('no-such-host.invalid', 80, family=socket.AF_INET6)\n"
    "except AddressError as exc:\n"
    "    print(exc)\n"
)


def test_a_family_restricted_lookup_on_windows_gives_the_usual_sentence() -> None:
    done = subprocess.run(
        simulate.code_command("win32", FAMILY_LOOKUP),
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=simulate.env(),
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "'no-such-host.invalid' has no IPv6 address\n"


def test_udp_listen_on_an_interface_name_that_does_not_exist_on_windows() -> None:
    # The multicast interface is looked up as IPv4 only: the family-restricted path in the CLI.
    done = subprocess.run(
        simulate.swb_command(
            "win32", "udp-listen", "0", "--multicast", "239.1.2.3", "-H", "no-such-host.invalid"
        ),
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=simulate.env(),
    )
    assert done.returncode == 2
    assert done.stderr == "swb: 'no-such-host.invalid' has no IPv4 address\n"


CP1252 = {"PYTHONIOENCODING": "cp1252"}


def test_serve_and_get_chinese_names_into_a_cp1252_stdout(tmp_path: Path) -> None:
    shared = tmp_path / "报告.txt"
    shared.write_bytes("季度报告".encode())
    saved = tmp_path / "saved"
    saved.mkdir()
    env = {**os.environ, **CP1252}
    with listener(
        "serve", "-H", "127.0.0.1", "-p", "0", str(shared), env=env, encoding="cp1252"
    ) as server:
        port = int(server.wait_line(r"raw://127\.0\.0\.1:(\d+)/NAME\)\. Ctrl-C stops").group(1))
        done = subprocess.run(
            [*SWB, "get", f"http://127.0.0.1:{port}/报告.txt", "-o", str(saved), "--quiet"],
            capture_output=True,
            timeout=WAIT,
            env=env,
        )
        code, out, err = server.finish(signal.SIGINT)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"\\u62a5\\u544a.txt" in done.stdout  # 报告 written as escapes, not a crash
    assert (saved / "报告.txt").read_bytes() == "季度报告".encode()
    assert code == 0, err
    assert not any("Traceback" in line for line in err)
    assert "\\u62a5\\u544a.txt" in out
    assert err[-1] == "1 transfer, 12 bytes sent"


def test_udp_listen_prints_gbk_text_into_a_cp1252_stdout() -> None:
    env = {**os.environ, **CP1252}
    command = [sys.executable, "-m", "net", "udp-listen", "0", "-H", "127.0.0.1"]
    with listener(
        command=[*command, "--encoding", "GBK", "--count", "1"], env=env, encoding="cp1252"
    ) as swb_proc:
        port = swb_proc.listening_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto("你好".encode("gbk"), ("127.0.0.1", port))
        code, out, err = swb_proc.finish(sig=None)
    assert code == 0, err
    assert "\\u4f60\\u597d" in out
    assert err[-1] == "1 datagram, 4 bytes"
