"""Soak: thousands of short connections (and datagrams), then descriptors and threads are back.

Each dialect of the file server (HTTP GET, HEAD, a raw name; a few hundred inside TLS), the TCP
echo server and the UDP receiver. Clients run on a few threads at once so that connections
overlap, as they do when a share is busy. Bounded: a few seconds each on two cores.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.events import Connected, Datagram, Disconnected
from net.fileserver import FileServer
from net.share import ShareTable
from net.tcp import TcpEvent, TcpServer
from net.udp import UdpReceiver
from tests.conftest import WAIT
from tests.net.test_fileserver import running
from tests.net.test_security import nothing_left_behind, open_fds, read_to_end, settle

ROUNDS = 2000
CLIENT_THREADS = 4
CONTENT = b"soak\n" * 200


def soak(count: int, one: Callable[[int], None]) -> float:
    """Run ``one(i)`` for i in range(count) on a few threads; returns the seconds it took."""
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="test-soak") as pool:
        for future in [pool.submit(one, i) for i in range(count)]:
            future.result(timeout=WAIT * 3)
    return time.monotonic() - started


@contextmanager
def file_server(
    folder: Path, context: ssl.SSLContext | None = None
) -> Iterator[tuple[FileServer, int]]:
    """A running server sharing a.txt, and the descriptors this process holds once it serves and
    every connection is closed (the built server's plus the loop's selector)."""
    (folder / "a.txt").write_bytes(CONTENT)
    with ShareTable() as share:
        share.add(folder / "a.txt")
        assert share.wait_hashed(WAIT)
        server = FileServer(share, "127.0.0.1", 0, ssl_context=context, raw_grace=0.05)
        fds_serving = open_fds() + 1
        with running(server):
            yield server, fds_serving


def exchange(port: int, data: bytes, context: ssl.SSLContext | None = None) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    if context is not None:
        sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
    with sock:
        sock.sendall(data)
        return read_to_end(sock)


GET = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
HEAD = b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

DIALECTS = [
    ("HTTP GET", GET, lambda r: r.startswith(b"HTTP/1.1 200 OK") and r.endswith(CONTENT)),
    ("HEAD", HEAD, lambda r: r.startswith(b"HTTP/1.1 200 OK") and r.endswith(b"\r\n\r\n")),
    ("raw name", b"a.txt", lambda r: r == CONTENT),
]


def test_file_server_soak(tmp_path: Path) -> None:
    with nothing_left_behind(), file_server(tmp_path) as (server, serving):
        assert exchange(server.port, b"a.txt") == CONTENT  # warm: selector and pool exist
        assert settle(lambda: open_fds() == serving)
        for name, request, good in DIALECTS:

            def one(_: int, request: bytes = request, good: Callable[[bytes], bool] = good) -> None:
                response = exchange(server.port, request)
                assert good(response), response[:200]

            took = soak(ROUNDS, one)
            print(f"{ROUNDS} x {name}: {took:.1f} s")
            assert settle(lambda: open_fds() <= serving), "connections left open"
        assert server.refused == 0


@pytest.fixture(scope="module")
def tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_file_server_soak_inside_tls(
    tmp_path: Path, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_context, client_context = tls_pair
    with nothing_left_behind(), file_server(tmp_path, server_context) as (server, serving):
        assert exchange(server.port, b"a.txt", client_context) == CONTENT
        assert settle(lambda: open_fds() == serving)

        def one(i: int) -> None:
            name, request, good = DIALECTS[i % len(DIALECTS)]
            response = exchange(server.port, request, client_context)
            assert good(response), (name, response[:200])

        took = soak(ROUNDS // 5, one)
        print(f"{ROUNDS // 5} TLS connections: {took:.1f} s")
        assert settle(lambda: open_fds() <= serving), "connections left open"


def test_tcp_server_soak() -> None:
    counts = {"connected": 0, "disconnected": 0}

    def on_event(event: TcpEvent) -> None:
        if isinstance(event, Connected):
            counts["connected"] += 1
        elif isinstance(event, Disconnected):
            counts["disconnected"] += 1

    with nothing_left_behind():
        server = TcpServer("127.0.0.1", 0, on_event=on_event, reply_mode="echo")
        thread = threading.Thread(target=server.serve_forever, name="test-tcp-server")
        thread.start()
        try:

            def one(i: int) -> None:
                message = f"ping {i}\n".encode()
                with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
                    sock.sendall(message)
                    echoed = b""
                    while len(echoed) < len(message):
                        chunk = sock.recv(4096)
                        assert chunk
                        echoed += chunk
                assert echoed == message

            took = soak(ROUNDS, one)
            print(f"{ROUNDS} TCP echo connections: {took:.1f} s")
            assert settle(lambda: counts["disconnected"] == ROUNDS and not server.clients())
            assert counts["connected"] == ROUNDS and server.refused == 0
        finally:
            server.shutdown()
            thread.join(WAIT)
            server.close()
        assert not thread.is_alive()


def test_udp_receiver_soak() -> None:
    got: list[int] = []

    def on_datagram(datagram: Datagram) -> None:
        got.append(len(datagram.data))

    with nothing_left_behind():
        receiver = UdpReceiver("127.0.0.1", 0, on_datagram=on_datagram)
        thread = threading.Thread(target=receiver.run, name="test-udp-receiver")
        thread.start()
        try:
            started = time.monotonic()
            for burst in range(ROUNDS // 100):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:  # a new socket
                    for i in range(100):
                        sender.sendto(
                            b"datagram %d" % (burst * 100 + i), ("127.0.0.1", receiver.port)
                        )
                # Loopback drops nothing while the receiver keeps up: wait for it each burst.
                assert settle(lambda burst=burst: receiver.stats.datagrams >= (burst + 1) * 100)
            print(
                f"{ROUNDS} datagrams from {ROUNDS // 100} sockets: {time.monotonic() - started:.1f} s"
            )
            assert receiver.stats.datagrams == ROUNDS and settle(lambda: len(got) == ROUNDS)
        finally:
            receiver.shutdown()
            thread.join(WAIT)
            receiver.close()
        assert not thread.is_alive()
