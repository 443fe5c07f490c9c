"""swb tcp-send / tcp-serve --framing over real loopback sockets: one row per frame, however the
sender split the bytes."""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from net.codec import render_text
from tests.conftest import WAIT
from tests.net.test_cli_sockets import RTT, listener, swb

pytestmark = pytest.mark.posix_only

LINES = b"one\ntwo\r\nthree\n\nfour"
MESSAGES = [b"\x00\x03abc", b"\x00\x00", b"\x01\x00" + bytes(range(256)), b"\x00\x02\n\n"]


def pieces(data: bytes, seed: int) -> list[bytes]:
    """``data`` cut at random offsets (1 to 5 bytes apart)."""
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(data):
        step = rng.randint(1, 5)
        out.append(data[pos : pos + step])
        pos += step
    return out


@contextmanager
def replying_server(chunks: list[bytes]) -> Iterator[int]:
    """A server that reads one request, then writes ``chunks`` one send() each and closes."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(WAIT)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(WAIT)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.recv(4096)
            for chunk in chunks:
                conn.sendall(chunk)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        thread.join(WAIT)
        server.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tcp_send_line_framing_prints_one_row_per_line(seed: int) -> None:
    with replying_server(pieces(LINES, seed)) as port:
        result = swb("tcp-send", "127.0.0.1", str(port), "hi", "--wait", "60", "--framing", "line")
    assert result.returncode == 0, result.stderr
    peer = f"127.0.0.1:{port}"
    assert RTT.sub("", result.stdout).splitlines() == [
        f"{peer}  one\\n",
        f"{peer}  two\\r\\n",
        f"{peer}  three\\n",
        f"{peer}  \\n",
        f"{peer}  [incomplete] four",  # the stream ended inside it
    ]
    assert RTT.search(result.stdout.splitlines()[0])  # the first reply carries the round trip


def test_tcp_send_length_framing_json() -> None:
    stream = b"".join(MESSAGES)
    with replying_server(pieces(stream, 7)) as port:
        result = swb(
            "tcp-send",
            "127.0.0.1",
            str(port),
            "hi",
            "--wait",
            "60",
            "--framing",
            "len2be",
            "--json",
        )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    received = [row for row in rows if row["event"] == "received"]
    assert [bytes.fromhex(row["hex"]) for row in received] == MESSAGES
    assert not any(row.get("cut") or row.get("incomplete") for row in received)


@pytest.mark.parametrize("seed", [4, 5])
def test_tcp_serve_len2_framing_prints_one_row_per_message(seed: int) -> None:
    stream = b"".join(MESSAGES)
    with listener("tcp-serve", "0", "-H", "127.0.0.1", "--framing", "len2be") as process:
        port = process.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer = f"127.0.0.1:{client.getsockname()[1]}"
            for chunk in pieces(stream, seed):
                client.sendall(chunk)
        process.wait_line(r"disconnected")
        code, stdout, _ = process.finish()
    assert code == 0
    assert stdout.splitlines() == [f"{peer}  {render_text(m)}" for m in MESSAGES]


def test_tcp_serve_line_framing_and_rules_still_answer_lines() -> None:
    with listener(
        "tcp-serve", "0", "-H", "127.0.0.1", "--framing", "line", "--rule", "exact:ping => pong\\n"
    ) as process:
        port = process.listening_port()
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            for chunk in (b"pi", b"ng\nhel", b"lo\n"):
                client.sendall(chunk)
            assert client.recv(100) == b"pong\n"
        process.wait_line(r"disconnected")
        code, stdout, _ = process.finish()
    assert code == 0
    rows = stdout.splitlines()
    assert [row.split("  ", 1)[1] for row in rows if not row.startswith("to ")] == [
        "ping\\n",
        "hello\\n",
    ]
    assert [row.split("  ", 1)[1] for row in rows if row.startswith("to ")] == ["pong\\n"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--framing", "len3"), "unknown framing"),
        (("--framing", "delim:zz"), "delim:HEX"),
        # Rules take every framing (issue 18): only a bad spec is refused with them.
        (("--framing", "fixed:0", "--rule", "exact:a => b"), "fixed:N needs"),
    ],
)
def test_bad_framing_exits_2(args: tuple[str, ...], message: str) -> None:
    result = swb("tcp-serve", "0", "-H", "127.0.0.1", *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
