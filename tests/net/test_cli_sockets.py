"""`swb udp-send`, `udp-listen`, `tcp-send`, `tcp-serve` run as real processes: exit codes, output, signals."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from net.events import Connected, Datagram, Received
from net.tcp import TcpClient, TcpEvent, TcpServer
from net.tls import (
    INSECURE_WARNING,
    ClientTls,
    ServerCertificate,
    default_server_certificate,
    load_server_certificate,
    server_context,
)
from net.udp import UdpReceiver, UdpSender
from tests.conftest import WAIT

# Children are stopped with SIGINT/SIGTERM and must print their summary (not so on Windows,
# where send_signal(SIGTERM) is TerminateProcess).
pytestmark = pytest.mark.posix_only

SWB = [sys.executable, "-m", "net"]

# The round-trip time a reply row ends with (its value varies).
RTT = re.compile(r"  \[rtt \d+\.\d{3} ms\]$", re.MULTILINE)


def swb(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, *args], capture_output=True, text=True, encoding="utf-8", timeout=timeout
    )


class Swb:
    """A running `swb` listener: its stdout and stderr read line by line in the background."""

    def __init__(
        self,
        *args: str,
        read_stdout: bool = True,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        encoding: str = "utf-8",
        **popen: Any,
    ) -> None:
        """Run ``swb ARGS`` (or ``command``, a whole argv) with ``env``; read its output as
        ``encoding``; ``popen`` goes to subprocess.Popen."""
        self.proc = subprocess.Popen(
            command if command is not None else [*SWB, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding=encoding,
            env=env,
            **popen,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []
        self._stdout: list[str] = []
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True)]
        if read_stdout:
            self._readers.append(threading.Thread(target=self._read_stdout, daemon=True))
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self._stdout.append(self.proc.stdout.read())

    def wait_line(self, pattern: str) -> re.Match[str]:
        """The first stderr line from now on that matches ``pattern`` (fails after WAIT)."""
        while True:
            line = self._lines.get(timeout=WAIT)
            assert line is not None, f"swb ended before printing {pattern!r}: {self.stderr_lines}"
            self.stderr_lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def listening_port(self) -> int:
        return int(self.wait_line(r"^listening on .*:(\d+) \((UDP|TCP)\)$").group(1))

    def finish(self, sig: int | None = signal.SIGTERM) -> tuple[int, str, list[str]]:
        """Send ``sig`` (if any), wait for the exit; returns (code, stdout, all stderr lines)."""
        if sig is not None:
            self.proc.send_signal(sig)
        self.proc.wait(WAIT)
        for reader in self._readers:
            reader.join(WAIT)
        while (line := self._lines.get_nowait()) is not None:
            self.stderr_lines.append(line)
        return self.proc.returncode, "".join(self._stdout), self.stderr_lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        for reader in self._readers:
            reader.join(WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def listener(*args: str, read_stdout: bool = True, **kw: Any) -> Iterator[Swb]:
    process = Swb(*args, read_stdout=read_stdout, **kw)
    try:
        yield process
    finally:
        process.kill()


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


BAD_INPUT = [
    (["udp-send", "no-such-host.invalid", "5000", "x"], "no such host"),
    (["udp-send", "127.0.0.1", "0", "x"], "port 0 cannot be used"),
    (["udp-send", "127.0.0.1", "70000", "x"], "port 70000 is out of range"),
    (["udp-send", "127.0.0.1", "abc", "x"], "is not a number"),
    (["udp-send", "127.0.0.1:5000", "5000", "x"], "looks like host:port"),
    (["udp-send", "127.0.0.1", "5000", "zz", "--hex"], "not a hex digit"),
    (["udp-send", "127.0.0.1", "5000", "x", "--encoding", "nope"], "unknown text encoding"),
    (["udp-send", "127.0.0.1", "5000", "中", "--encoding", "ascii"], "cannot be written"),
    (["udp-send", "127.0.0.1", "5000", "x", "--hex", "--escapes"], "not both"),
    (["udp-send", "127.0.0.1", "5000", "\\q", "--escapes"], "unknown escape"),
    (["udp-send", "127.0.0.1", "5000", "x" * 65508], "do not fit in one UDP datagram"),
    (["udp-send", "127.0.0.1", "5000", "x", "--count", "0"], "must be 1 or more"),
    (["udp-listen", "70000"], "out of range"),
    (["udp-listen", "0", "-H", "bad host"], "not a valid host name"),
    (["udp-listen", "0", "--multicast", "10.0.0.1"], "not a multicast address"),
    (["udp-listen", "0", "--reply", "4", "--hex", "--escapes"], "not both"),
    (["tcp-send", "no-such-host.invalid", "80", "x"], "no such host"),
    (["tcp-send", "127.0.0.1", "0", "x"], "port 0 cannot be used"),
    (["tcp-send", "127.0.0.1", "80", "0xZZ", "--hex"], "not a hex digit"),
    (["tcp-serve", "70000"], "out of range"),
    (["tcp-serve", "0", "--reply", "zz", "--hex"], "not a hex digit"),
    (["tcp-serve", "0", "--echo", "--reply", "x"], "not allowed with"),
    (["tcp-serve", "0", "--encoding", "klingon"], "unknown text encoding"),
    (["tcp-send", "127.0.0.1", "9", "x", "--fingerprint", "AB"], "has 2 hex digits"),
    (["tcp-send", "127.0.0.1", "9", "x", "--fingerprint", ""], "fingerprint is empty"),
    (["tcp-send", "127.0.0.1", "9", "x", "--tls", "--cafile", "no.pem"], "does not exist"),
    (["tcp-send", "127.0.0.1", "9", "x", "--insecure", "--fingerprint", "AB"], "not allowed"),
    (["tcp-serve", "0", "--cert", "c.pem"], "--cert needs --key too"),
    (["tcp-serve", "0", "--tls", "--key", "k.pem"], "--key needs --cert too"),
    (["tcp-serve", "0", "--cert", "no.pem", "--key", "no.key"], "no.pem does not exist"),
]


@pytest.fixture(scope="module")
def bad_input_results() -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    """Every BAD_INPUT command, run at once (each is a fresh interpreter: this saves seconds)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {tuple(args): pool.submit(swb, *args) for args, _ in BAD_INPUT}
        return {args: future.result() for args, future in futures.items()}


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(a)[:50] for a, _ in BAD_INPUT]
)
def test_bad_input_exits_2_with_one_line(
    args: list[str],
    message: str,
    bad_input_results: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
) -> None:
    result = bad_input_results[tuple(args)]
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]
    assert lines[0].startswith("swb")
    assert result.stdout == ""


def test_network_failures_exit_1() -> None:
    port = free_port()
    refused = swb("tcp-send", "127.0.0.1", str(port), "x")
    assert refused.returncode == 1
    assert refused.stderr == (
        f"swb: connection refused by 127.0.0.1:{port}: nothing is listening on that port\n"
    )
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    tcp_taken = socket.create_server(("127.0.0.1", 0))
    try:
        busy = swb("udp-listen", str(taken.getsockname()[1]), "-H", "127.0.0.1")
        assert busy.returncode == 1 and "already in use" in busy.stderr
        busy = swb("tcp-serve", str(tcp_taken.getsockname()[1]), "-H", "127.0.0.1")
        assert busy.returncode == 1 and "already in use" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        taken.close()
        tcp_taken.close()


# ---- udp-listen ----------------------------------------------------------------------------------


def test_udp_listen_prints_each_datagram_and_a_summary() -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1", "--count", "3") as swb_proc:
        port = swb_proc.listening_port()
        with UdpSender("127.0.0.1", port) as sender:
            for payload in ["hello 中文".encode(), b"line\r\nbreak", b"\xff\x00"]:
                sender.send(payload)
        code, out, err = swb_proc.finish(sig=None)
    peer = f"127.0.0.1:{sender.local_port}"
    assert code == 0
    assert out.splitlines() == [
        f"{peer}  hello 中文",
        f"{peer}  line\\r\\nbreak",
        f"{peer}  \\xff\\0",
    ]
    assert err[-1] == "3 datagrams, 25 bytes"


def test_udp_listen_json_and_encoding() -> None:
    with listener(
        "udp-listen", "0", "-H", "127.0.0.1", "--count", "1", "--json", "--encoding", "GBK"
    ) as swb_proc:
        port = swb_proc.listening_port()
        with UdpSender("127.0.0.1", port) as sender:
            sender.send("中文\n".encode("gbk"))
        code, out, err = swb_proc.finish(sig=None)
    record = json.loads(out)
    assert set(record) == {"time", "peer", "size", "text", "hex"}
    assert record["peer"] == f"127.0.0.1:{sender.local_port}"
    assert (record["size"], record["text"], record["hex"]) == (5, "中文\n", "D6D0CEC40A")
    assert isinstance(record["time"], float)
    assert (code, err[-1]) == (0, "1 datagram, 5 bytes")


def test_udp_listen_quiet_reply_and_sigterm() -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1", "--quiet", "--reply", "收到") as swb_proc:
        port = swb_proc.listening_port()
        with UdpSender("127.0.0.1", port) as sender:
            sender.send(b"a")
            reply = sender.wait_reply(WAIT)
            sender.send(b"bc")
            assert sender.wait_reply(WAIT) is not None
        code, out, err = swb_proc.finish(signal.SIGTERM)
    assert reply is not None and reply.data == "收到".encode()
    assert (code, out) == (0, "")
    assert err[-1] == "2 datagrams, 3 bytes, 2 replies sent"


def test_udp_listen_quiet_count_stops_at_exactly_that_many() -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1", "--quiet", "--count", "50") as swb_proc:
        port = swb_proc.listening_port()
        with UdpSender("127.0.0.1", port) as sender:
            for index in range(80):  # more than --count, in one burst
                sender.send(b"%02d" % index)
        code, out, err = swb_proc.finish(sig=None)
    assert (code, out) == (0, "")
    assert err[-1] == "50 datagrams, 100 bytes"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_an_idle_listener_with_its_summary(sig: int) -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1") as swb_proc:
        swb_proc.listening_port()
        code, out, err = swb_proc.finish(sig)
    assert (code, out, err[-1]) == (0, "", "0 datagrams, 0 bytes")
    assert not any("Traceback" in line for line in err)


def test_udp_listen_timeout() -> None:
    result = swb("udp-listen", "0", "-H", "127.0.0.1", "--timeout", "0.2")
    assert result.returncode == 0
    assert result.stderr.splitlines()[-1] == "0 datagrams, 0 bytes"


@pytest.mark.requires_ipv6
def test_udp_listen_ipv6() -> None:
    with listener("udp-listen", "0", "-H", "::1", "--count", "1") as swb_proc:
        match = swb_proc.wait_line(r"^listening on \[::1\]:(\d+) \(UDP\)$")
        with UdpSender("::1", int(match.group(1))) as sender:
            sender.send(b"six")
        code, out, _ = swb_proc.finish(sig=None)
    assert (code, out) == (0, f"[::1]:{sender.local_port}  six\n")


# ---- udp-send ------------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.items: list[Datagram] = []
        self.changed = threading.Condition()

    def __call__(self, item: Datagram) -> None:
        with self.changed:
            self.items.append(item)
            self.changed.notify_all()


@contextmanager
def udp_peer(reply: bytes | None = None) -> Iterator[tuple[UdpReceiver, Inbox]]:
    inbox = Inbox()
    receiver = UdpReceiver("127.0.0.1", 0, on_datagram=inbox, reply=reply)
    thread = threading.Thread(target=receiver.run)
    thread.start()
    try:
        yield receiver, inbox
    finally:
        receiver.shutdown()
        thread.join(WAIT)
        receiver.close()
        assert not thread.is_alive()


@pytest.mark.parametrize(
    ("args", "payload"),
    [
        (["hello"], b"hello"),
        (["中文"], "中文".encode()),
        (["中文", "--encoding", "GBK"], "中文".encode("gbk")),
        (["48 65 0d 0a", "--hex"], b"He\r\n"),
        (["a\\r\\n\\x00", "--escapes"], b"a\r\n\x00"),
    ],
)
def test_udp_send_payloads(args: list[str], payload: bytes) -> None:
    with udp_peer() as (receiver, inbox):
        result = swb(
            "udp-send", "127.0.0.1", str(receiver.port), *args, "--count", "3", "--interval", "0"
        )
        with inbox.changed:
            assert inbox.changed.wait_for(lambda: len(inbox.items) == 3, WAIT)
    assert result.returncode == 0, result.stderr
    assert [d.data for d in inbox.items] == [payload] * 3
    assert result.stdout == ""
    assert result.stderr == (
        f"3 datagrams, {3 * len(payload)} bytes sent to 127.0.0.1:{receiver.port}\n"
    )


def test_udp_send_wait_prints_the_reply_with_its_sender() -> None:
    with udp_peer(reply="回复".encode()) as (receiver, _):
        result = swb("udp-send", "127.0.0.1", str(receiver.port), "ping", "--wait", "5")
        as_json = swb("udp-send", "127.0.0.1", str(receiver.port), "ping", "--wait", "5", "--json")
    assert result.returncode == 0
    assert re.fullmatch(
        rf"127\.0\.0\.1:{receiver.port}  回复  \[rtt \d+\.\d{{3}} ms\]\n", result.stdout
    )
    record = json.loads(as_json.stdout)
    assert record["rtt_ms"] >= 0
    assert (record["peer"], record["text"], record["size"]) == (
        f"127.0.0.1:{receiver.port}",
        "回复",
        6,
    )


def test_udp_send_wait_without_a_reply_exits_1() -> None:
    with udp_peer() as (receiver, _):
        result = swb("udp-send", "127.0.0.1", str(receiver.port), "anyone?", "--wait", "0.2")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"swb: no reply from 127.0.0.1:{receiver.port} within 0.2 s"
    )


def test_udp_send_wait_stopped_by_a_signal_does_not_claim_the_whole_wait() -> None:
    """Ctrl-C one second into --wait 60 is not "no reply within 60 s": it says it was stopped,
    and exits 130 as an interrupted command does, not 1 as a network failure."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(WAIT)
        port = silent.getsockname()[1]
        with subprocess.Popen(
            [*SWB, "udp-send", "127.0.0.1", str(port), "anyone?", "--wait", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            assert silent.recv(100) == b"anyone?"  # sent: it is waiting for the reply now
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 130
    assert out == ""
    assert err.splitlines()[-1] == f"swb: stopped before any reply from 127.0.0.1:{port} arrived"


def test_udp_send_from_a_bound_port() -> None:
    port = free_port()
    with udp_peer() as (receiver, inbox):
        result = swb("udp-send", "127.0.0.1", str(receiver.port), "x", "--bind-port", str(port))
        with inbox.changed:
            assert inbox.changed.wait_for(lambda: inbox.items, WAIT)
    assert result.returncode == 0
    assert inbox.items[0].peer == f"127.0.0.1:{port}"


# ---- tcp-send ------------------------------------------------------------------------------------


@contextmanager
def tcp_peer(script: str) -> Iterator[tuple[int, list[bytes]]]:
    """A plain socket server in a thread that accepts one client and acts out ``script``:
    "read" (to EOF), "reply-close", "reset"."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(WAIT)
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        conn.settimeout(WAIT)
        if script == "read":
            while chunk := conn.recv(4096):
                received.append(chunk)
            conn.close()
        elif script == "reply-close":
            received.append(conn.recv(4096))
            conn.sendall("谢谢 thank you !".encode())
            conn.close()
        elif script == "reset":
            received.append(conn.recv(4096))
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        thread.join(WAIT)
        server.close()
        assert not thread.is_alive()


def test_tcp_send_connects_sends_and_closes() -> None:
    with tcp_peer("read") as (port, received):
        result = swb("tcp-send", "127.0.0.1", str(port), "你好 server")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert b"".join(received) == "你好 server".encode()


def test_tcp_send_wait_prints_until_the_peer_closes() -> None:
    with tcp_peer("reply-close") as (port, received):
        result = swb("tcp-send", "127.0.0.1", str(port), "hi", "--wait", "60")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        rf"127\.0\.0\.1:{port}  谢谢 thank you !  \[rtt [\d.]+ ms\]\n", result.stdout
    )
    assert received == [b"hi"]


def test_tcp_send_wait_json() -> None:
    with tcp_peer("reply-close") as (port, _):
        result = swb("tcp-send", "127.0.0.1", str(port), "hi", "--wait", "60", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["event"] for r in records] == ["connected", "received", "disconnected"]
    assert records[1]["text"] == "谢谢 thank you !"
    assert records[1]["hex"] == "谢谢 thank you !".encode().hex().upper()
    assert records[2]["reason"] == "closed by peer" and records[2]["error"] is False


def test_tcp_send_wait_ends_after_the_given_time() -> None:
    server = TcpServer("127.0.0.1", 0, on_event=lambda e: None, reply_mode="echo")
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        result = swb("tcp-send", "127.0.0.1", str(server.port), "echo me", "--wait", "0.3")
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
    assert result.returncode == 0
    assert re.fullmatch(rf"127\.0\.0\.1:{server.port}  echo me  \[rtt [\d.]+ ms\]\n", result.stdout)


def test_tcp_send_reports_a_reset_and_exits_1() -> None:
    with tcp_peer("reset") as (port, _):
        result = swb("tcp-send", "127.0.0.1", str(port), "x", "--wait", "60")
    assert result.returncode == 1
    # A reset before any reply is what TLS servers do with plain text: the line says so, with an if.
    assert result.stderr == (
        f"swb: 127.0.0.1:{port} reset the connection (if it is a TLS server, add --tls)\n"
    )


# ---- tcp-serve -----------------------------------------------------------------------------------


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, data
        data += chunk
    return data


def test_tcp_serve_echo_prints_and_summarises() -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--echo") as swb_proc:
        port = swb_proc.listening_port()
        clients = [socket.create_connection(("127.0.0.1", port), timeout=WAIT) for _ in range(3)]
        for index, client in enumerate(clients):
            text = f"第{index}个".encode()
            client.sendall(text)
            assert _read_exactly(client, len(text)) == text
            client.close()
            swb_proc.wait_line("disconnected: closed by peer")
        code, out, err = swb_proc.finish()
    assert code == 0
    assert len(out.splitlines()) == 3 and "  第0个" in out.splitlines()[0]
    assert err[-1] == "3 clients, 21 bytes received, 21 bytes sent"
    assert sum(line.endswith(" connected") for line in err) == 3


def test_tcp_serve_fixed_reply_json_gbk() -> None:
    with listener(
        "tcp-serve", "0", "-H", "127.0.0.1", "--reply", "收到", "--encoding", "GBK", "--json"
    ) as swb_proc:
        port = swb_proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall("你好".encode("gbk"))
            assert _read_exactly(client, 4) == "收到".encode("gbk")
        code, out, err = swb_proc.finish()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in records][:2] == ["connected", "received"]
    assert records[1]["text"] == "你好"
    assert err[-1].startswith("1 client, 4 bytes received, 4 bytes sent")
    assert code == 0


def test_tcp_serve_sigint_with_a_client_connected() -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1") as swb_proc:
        port = swb_proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            swb_proc.wait_line(" connected$")
            swb_proc.proc.send_signal(signal.SIGINT)
            assert client.recv(10) == b""  # the server closed it when stopping
        code, out, err = swb_proc.finish(sig=None)
    assert (code, out) == (0, "")
    assert err[-2].endswith("disconnected: server stopped")
    assert err[-1] == "1 client, 0 bytes received"


def test_tcp_serve_quiet_prints_only_status_lines() -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--quiet", "--echo") as swb_proc:
        port = swb_proc.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(b"12345")
            assert _read_exactly(client, 5) == b"12345"
        code, out, err = swb_proc.finish()
    assert (code, out) == (0, "")
    assert err[-1] == "1 client, 5 bytes received, 5 bytes sent"
    assert len(err) == 2  # "listening on ..." and the summary


def test_tcp_serve_to_our_own_client_engine() -> None:
    events: list[TcpEvent] = []
    got = threading.Event()
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--echo") as swb_proc:
        port = swb_proc.listening_port()

        def on_event(event: TcpEvent) -> None:
            events.append(event)
            if isinstance(event, Connected):
                client.send("引擎".encode())
            if isinstance(event, Received):
                got.set()

        client = TcpClient("127.0.0.1", port, on_event=on_event)
        thread = threading.Thread(target=client.run)
        thread.start()
        try:
            assert got.wait(WAIT)
        finally:
            client.shutdown()
            thread.join(WAIT)
            client.close()
        swb_proc.wait_line("disconnected")
        code, out, _ = swb_proc.finish()
    assert code == 0 and out.endswith("  引擎\n")


def test_no_traceback_when_stdout_is_closed() -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1", read_stdout=False) as swb_proc:
        port = swb_proc.listening_port()
        assert swb_proc.proc.stdout is not None
        swb_proc.proc.stdout.close()
        with UdpSender("127.0.0.1", port) as sender:
            sender.send(b"into a closed pipe")
        code = swb_proc.proc.wait(WAIT)
        for reader in swb_proc._readers:
            reader.join(WAIT)
    assert code == 0
    assert not any("Traceback" in line for line in list(swb_proc._lines.queue) if line)


def test_help_documents_the_wait_exit_status() -> None:
    result = swb("udp-send", "--help")
    assert "exit status 1 if no reply" in " ".join(result.stdout.split())


# ---- TLS -----------------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$SWB_DATA_DIR for swb (a child process inherits it) and for this process alike."""
    path = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def leaf_files(ca: trustme.CA, tmp_path: Path) -> tuple[str, str, str]:
    """(certificate, key, CA file) for localhost and 127.0.0.1, written as PEM files."""
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    cert, key, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(cafile))
    return str(cert), str(key), str(cafile)


@contextmanager
def tls_echo_server(cert: ServerCertificate) -> Iterator[TcpServer]:
    server = TcpServer(
        "127.0.0.1", 0, on_event=lambda e: None, reply_mode="echo", ssl_context=server_context(cert)
    )
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
        assert not thread.is_alive()


def test_tcp_serve_tls_prints_its_fingerprint_and_serves_pinned_clients(data_dir: Path) -> None:
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--tls", "--echo") as swb_proc:
        path = swb_proc.wait_line(r"^TLS certificate: (.+) \(self-signed, made by swb\)$")
        pin = swb_proc.wait_line(r"^TLS certificate SHA-256 fingerprint: ([0-9A-F:]{95})$")
        port = swb_proc.listening_port()
        cert = default_server_certificate()  # the same one, from the same data folder
        assert (path.group(1), pin.group(1)) == (str(cert.cert_path), cert.fingerprint)

        got = threading.Event()

        def on_event(event: TcpEvent) -> None:
            if isinstance(event, Connected):
                client.send("加密 echo".encode())
            elif isinstance(event, Received):
                got.set()

        client = TcpClient(
            "localhost", port, on_event=on_event, tls=ClientTls(fingerprint=pin.group(1))
        )
        thread = threading.Thread(target=client.run)
        thread.start()
        try:
            assert got.wait(WAIT)
        finally:
            client.shutdown()
            thread.join(WAIT)
            client.close()
        swb_proc.wait_line("disconnected: closed by peer")
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as plain:
            name = f"127.0.0.1:{plain.getsockname()[1]}"
            plain.sendall(b"plain text\n")
            line = swb_proc.wait_line("spoke plain TCP")
        code, out, err = swb_proc.finish()
    assert line.string == f"client {name} spoke plain TCP to a TLS port"
    assert code == 0 and out.endswith("  加密 echo\n")
    assert any(re.search(r" connected \(TLSv1\.[23]\)$", line) for line in err)
    assert err[-1] == "1 client, 11 bytes received, 11 bytes sent, 1 TLS handshake failed"


def test_tcp_serve_with_cert_and_key(leaf_files: tuple[str, str, str]) -> None:
    cert, key, cafile = leaf_files
    with listener(
        "tcp-serve", "0", "-H", "127.0.0.1", "--cert", cert, "--key", key, "--echo"
    ) as server:
        server.wait_line(rf"^TLS certificate: {re.escape(cert)} \(given with --cert\)$")
        pin = server.wait_line(r"fingerprint: (.+)$").group(1)
        port = server.listening_port()
        verified = swb(
            "tcp-send", "localhost", str(port), "ok", "--cafile", cafile, "--wait", "0.3"
        )
        pinned = swb(
            "tcp-send", "127.0.0.1", str(port), "ok", "--fingerprint", pin, "--wait", "0.3"
        )
        server.finish()
    assert load_server_certificate(cert, key).fingerprint == pin
    for result in (verified, pinned):
        assert result.returncode == 0, result.stderr
        assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  ok\n"  # the address it reached


def test_tcp_send_tls_verified_json(leaf_files: tuple[str, str, str]) -> None:
    cert, key, cafile = leaf_files
    with tls_echo_server(load_server_certificate(cert, key)) as server:
        result = swb(
            "tcp-send",
            "localhost",
            str(server.port),
            "你好",
            "--tls",
            "--cafile",
            cafile,
            "--wait",
            "0.3",
            "--json",
        )
    assert result.returncode == 0, result.stderr
    connected, received, disconnected = (json.loads(line) for line in result.stdout.splitlines())
    assert connected["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert connected["tls"]["fingerprint"] == load_server_certificate(cert, key).fingerprint
    assert received["text"] == "你好" and disconnected["error"] is False
    assert re.fullmatch(
        rf"connected to 127\.0\.0\.1:{server.port} with TLSv1\.[23] \(\S+\); certificate SHA-256 "
        r"fingerprint: [0-9A-F:]{95}\n",
        result.stderr,
    )


def test_tcp_send_insecure_warns(data_dir: Path) -> None:
    with tls_echo_server(default_server_certificate()) as server:
        result = swb("tcp-send", "127.0.0.1", str(server.port), "x", "--insecure", "--wait", "0.3")
    assert result.returncode == 0
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{server.port}  x\n"
    assert result.stderr.splitlines()[0] == f"swb: warning: {INSECURE_WARNING}"


def test_tcp_send_tls_failures_exit_1_with_one_sentence(data_dir: Path) -> None:
    cert = default_server_certificate()
    wrong = ":".join(["AB"] * 32)
    with tls_echo_server(cert) as server:
        port = str(server.port)
        untrusted = swb("tcp-send", "localhost", port, "x", "--tls")
        mismatch = swb("tcp-send", "localhost", port, "x", "--fingerprint", wrong)
        plain = swb("tcp-send", "127.0.0.1", port, "hello, plain", "--wait", "5")
    assert untrusted.returncode == 1
    assert untrusted.stderr.startswith(
        f"swb: the certificate of localhost:{port} is self-signed and not trusted"
    )
    assert mismatch.returncode == 1
    assert mismatch.stderr.startswith(
        f"swb: the server's certificate fingerprint {cert.fingerprint} does not match the pinned "
        f"one {wrong}"
    )
    assert plain.returncode == 1
    assert plain.stderr == (
        f"swb: 127.0.0.1:{port} reset the connection (if it is a TLS server, add --tls)\n"
    )
    for result in (untrusted, mismatch, plain):
        assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_tcp_send_tls_to_a_plain_server() -> None:
    server = TcpServer(
        "127.0.0.1",
        0,
        on_event=lambda e: None,
        reply_mode="fixed",
        fixed_reply=b"hello, plain here\n",
    )
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        result = swb("tcp-send", "127.0.0.1", str(server.port), "x", "--tls")
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
    assert result.returncode == 1
    assert result.stderr == (
        f"swb: 127.0.0.1:{server.port} speaks plain TCP, not TLS: connect to it without TLS\n"
    )


def test_tcp_send_notices_a_tls_alert_in_plain_mode() -> None:
    alert = b"\x15\x03\x03\x00\x02\x02\x46"  # fatal protocol_version: a TLS server's refusal
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(WAIT)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(100)
            conn.sendall(alert)
            conn.recv(100)  # until the client goes

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        port = server.getsockname()[1]
        result = swb("tcp-send", "127.0.0.1", str(port), "hello", "--wait", "5")
    finally:
        thread.join(WAIT)
        server.close()
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"swb: 127.0.0.1:{port} answered in TLS: it is a TLS server, so add --tls\n"
    )
