"""`swb`'s socket commands talking to programs nobody here wrote: packetsender, nc, socat, and the
classic tutorial-style Python socket scripts, both ways, with Chinese text intact."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import WAIT

pytestmark = pytest.mark.interop

SWB = [sys.executable, "-m", "net"]
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")

# The classic scripts, as tutorials write them (the port comes from argv so tests can pick it).
CLASSIC_UDP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
data, addr = s.recvfrom(1024)
print("received:", data.decode("utf-8"), flush=True)
s.close()
"""

CLASSIC_TCP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print("ready", flush=True)
c, addr = s.accept()
data = c.recv(1024)
print("received:", data.decode("utf-8"), flush=True)
c.send("thank you !".encode("utf-8"))
c.close()
s.close()
"""

CLASSIC_UDP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(sys.argv[2].encode("utf-8"), ("127.0.0.1", int(sys.argv[1])))
data, addr = s.recvfrom(1024)
print(data.decode("utf-8"))
s.close()
"""

CLASSIC_TCP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(sys.argv[2].encode("utf-8"))
data = s.recv(1024)
print(data.decode("utf-8"))
s.close()
"""

# The round-trip time a reply row ends with (its value varies).
RTT = re.compile(r"  \[rtt \d+\.\d{3} ms\]$", re.MULTILINE)


class Peer:
    """A program running in the background whose output lines are watched for readiness."""

    def __init__(self, argv: list[str], *, ready_on: str = "stderr", binary: bool = False) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._other: list[bytes] = []
        watched, other = (
            (self.proc.stderr, self.proc.stdout)
            if ready_on == "stderr"
            else (self.proc.stdout, self.proc.stderr)
        )
        self.watched_lines: list[str] = []
        self.ready: re.Match[str] | None = None
        self._threads = [
            threading.Thread(target=self._watch, args=(watched,), daemon=True),
            threading.Thread(target=self._collect, args=(other,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _watch(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._lines.put(line)
        self._lines.put(None)

    def _collect(self, stream: object) -> None:
        self._other.append(stream.read())  # type: ignore[attr-defined]

    def wait_line(self, pattern: str) -> re.Match[str] | None:
        """The first watched line matching ``pattern``; None if the program ended first."""
        while True:
            raw = self._lines.get(timeout=WAIT)
            if raw is None:
                return None
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.watched_lines.append(line)
            if match := re.search(pattern, line):
                return match

    def finish(self, sig: int | None = None) -> tuple[int, bytes, str]:
        """(exit code, the unwatched stream's bytes, the watched lines) once it has ended."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(WAIT)
        for thread in self._threads:
            thread.join(WAIT)
        while (raw := self._lines.get_nowait()) is not None:
            self.watched_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        return code, b"".join(self._other), "\n".join(self.watched_lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        for thread in self._threads:
            thread.join(WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def peer(argv: list[str], ready: str, *, ready_on: str = "stderr") -> Iterator[Peer]:
    process = Peer(argv, ready_on=ready_on)
    try:
        match = process.wait_line(ready)
        assert match, f"{argv[0]} did not start: {process.finish()}"
        process.ready = match
        yield process
    finally:
        process.stop()


@contextmanager
def peer_on_free_port(make_argv: object, ready: str, **kw: str) -> Iterator[tuple[Peer, int]]:
    """Start an external listener on a port picked here; another program may take the port
    between picking and binding, so try again with a new one on that rare collision."""
    for _attempt in range(5):
        port = free_port()
        process = Peer(make_argv(port), **kw)  # type: ignore[operator]
        if process.wait_line(ready):
            try:
                yield process, port
            finally:
                process.stop()
            return
        process.stop()
    pytest.fail("no free port after 5 attempts")


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def swb(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, *args], capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=ENV
    )


def run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv, capture_output=True, timeout=WAIT, env=ENV, stdin=subprocess.DEVNULL
    )


SWB_LISTENING = r"^listening on .*:(\d+) \((?:UDP|TCP)\)$"


def port_of(listener: Peer) -> str:
    assert listener.ready is not None
    return listener.ready.group(1)


# ---- packetsender ---------------------------------------------------------------------------------


def test_packetsender_udp_reaches_udp_listen() -> None:
    with peer([*SWB, "udp-listen", "0", "-H", "127.0.0.1", "--count", "2"], SWB_LISTENING) as rx:
        port = port_of(rx)
        run(["packetsender", "-u", "-A", "127.0.0.1", port, "hello from packetsender"])
        # packetsender's -A sends Latin-1; Chinese goes as the UTF-8 bytes in hex.
        run(["packetsender", "-u", "-x", "127.0.0.1", port, "E4 BD A0 E5 A5 BD"])
        code, out, err = rx.finish()
    lines = out.decode().splitlines()
    assert code == 0
    assert re.fullmatch(r"127\.0\.0\.1:\d+  hello from packetsender", lines[0])
    assert re.fullmatch(r"127\.0\.0\.1:\d+  你好", lines[1])
    assert err.splitlines()[-1] == "2 datagrams, 29 bytes"


def test_packetsender_hears_the_udp_listen_reply() -> None:
    with peer([*SWB, "udp-listen", "0", "-H", "127.0.0.1", "--reply", "pong"], SWB_LISTENING) as rx:
        port = port_of(rx)
        result = run(["packetsender", "-u", "-A", "-w", "1500", "127.0.0.1", port, "ping"])
        code, out, err = rx.finish(signal.SIGTERM)
    assert b"Response ASCII:pong" in result.stdout
    assert code == 0 and out.decode().endswith("  ping\n")
    assert err.splitlines()[-1] == "1 datagram, 4 bytes, 1 reply sent"


def test_packetsender_tcp_to_tcp_serve_echo() -> None:
    with peer([*SWB, "tcp-serve", "0", "-H", "127.0.0.1", "--echo"], SWB_LISTENING) as server:
        port = port_of(server)
        result = run(["packetsender", "-t", "-A", "-w", "1500", "127.0.0.1", port, "tcp hello"])
        server.wait_line("disconnected")
        code, out, err = server.finish(signal.SIGTERM)
    assert b"Response ASCII:tcp hello" in result.stdout
    assert code == 0 and out.decode().endswith("  tcp hello\n")
    assert err.splitlines()[-1] == "1 client, 9 bytes received, 9 bytes sent"


# ---- nc and socat -------------------------------------------------------------------------------


def test_nc_receives_tcp_send() -> None:
    with peer_on_free_port(
        lambda port: ["nc", "-v", "-d", "-l", "127.0.0.1", str(port)], r"^Listening on"
    ) as (nc, port):
        result = swb("tcp-send", "127.0.0.1", str(port), "你好 nc")
        code, received, _ = nc.finish()
    assert result.returncode == 0, result.stderr
    assert received == "你好 nc".encode()
    assert code == 0


def test_nc_half_closes_and_still_gets_the_echo() -> None:
    with peer([*SWB, "tcp-serve", "0", "-H", "127.0.0.1", "--echo"], SWB_LISTENING) as server:
        port = port_of(server)
        # -N: after stdin ends, shut the sending side down, then print what comes back.
        result = subprocess.run(
            ["nc", "-N", "127.0.0.1", port],
            input="回声 echo\n".encode(),
            capture_output=True,
            timeout=WAIT,
        )
        server.wait_line("disconnected")
        server.finish(signal.SIGTERM)
    assert result.stdout == "回声 echo\n".encode()


def test_nc_udp_reaches_udp_listen() -> None:
    with peer([*SWB, "udp-listen", "0", "-H", "127.0.0.1", "--count", "1"], SWB_LISTENING) as rx:
        port = port_of(rx)
        subprocess.run(
            ["nc", "-u", "-q", "0", "127.0.0.1", port],
            input="数据报".encode(),
            capture_output=True,
            timeout=WAIT,
        )
        code, out, _ = rx.finish()
    assert code == 0 and out.decode().endswith("  数据报\n")


def test_socat_echo_answers_tcp_send_wait() -> None:
    with peer_on_free_port(
        lambda port: [
            "socat",
            "-d",
            "-d",
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
            "PIPE",
        ],
        r"listening on",
    ) as (_socat, port):
        result = swb("tcp-send", "127.0.0.1", str(port), "中文 echo", "--wait", "1")
    assert result.returncode == 0, result.stderr
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  中文 echo\n"


# ---- the classic tutorial scripts ---------------------------------------------------------------


def test_classic_udp_server_receives_udp_send() -> None:
    with peer_on_free_port(
        lambda port: [sys.executable, "-c", CLASSIC_UDP_SERVER, str(port)],
        "^ready$",
        ready_on="stdout",
    ) as (script, port):
        result = swb("udp-send", "127.0.0.1", str(port), "你好 UDP")
        code, _, printed = script.finish()
    assert result.returncode == 0, result.stderr
    assert code == 0 and printed.splitlines()[-1] == "received: 你好 UDP"


def test_classic_tcp_server_talks_to_tcp_send() -> None:
    with peer_on_free_port(
        lambda port: [sys.executable, "-c", CLASSIC_TCP_SERVER, str(port)],
        "^ready$",
        ready_on="stdout",
    ) as (script, port):
        result = swb("tcp-send", "127.0.0.1", str(port), "你好 TCP", "--wait", "30")
        code, _, printed = script.finish()
    assert result.returncode == 0, result.stderr
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  thank you !\n"
    assert code == 0 and printed.splitlines()[-1] == "received: 你好 TCP"


def test_classic_udp_client_talks_to_udp_listen_reply() -> None:
    argv = [*SWB, "udp-listen", "0", "-H", "127.0.0.1", "--reply", "收到", "--count", "1"]
    with peer(argv, SWB_LISTENING) as rx:
        port = port_of(rx)
        client = run([sys.executable, "-c", CLASSIC_UDP_CLIENT, port, "你好 服务器"])
        code, out, _ = rx.finish()
    assert client.returncode == 0, client.stderr
    assert client.stdout.decode() == "收到\n"
    assert code == 0 and out.decode().endswith("  你好 服务器\n")


def test_classic_tcp_client_talks_to_tcp_serve_echo() -> None:
    with peer([*SWB, "tcp-serve", "0", "-H", "127.0.0.1", "--echo"], SWB_LISTENING) as server:
        port = port_of(server)
        client = run([sys.executable, "-c", CLASSIC_TCP_CLIENT, port, "你好 TCP 服务器"])
        server.wait_line("disconnected")
        code, out, err = server.finish(signal.SIGTERM)
    assert client.returncode == 0, client.stderr
    assert client.stdout.decode() == "你好 TCP 服务器\n"
    assert code == 0 and out.decode().endswith("  你好 TCP 服务器\n")
    assert err.splitlines()[-1] == "1 client, 20 bytes received, 20 bytes sent"
