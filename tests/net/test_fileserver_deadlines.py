"""The file server's deadlines after a quiet spell (issue 12.1).

The class of bug: a deadline computed from a clock reading taken before a long blocking wait. The
loop slept in select() through a quiet spell, then gave the first new connection a deadline counted
from before the sleep, which had already passed: the first download after any pause was reset.
Each test lets the server sit idle for longer than every one of its timeouts (small ones, so the
spell is about a second), then checks that the first client of each kind is served in full.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_fileserver import read_to_end, running

BODY = bytes(range(256)) * 400  # 100 KiB
#: Every timeout of the server under test; the quiet spell is longer than all of them together.
TIMEOUTS = {"head_timeout": 0.4, "idle_timeout": 0.4, "raw_grace": 0.05, "linger": 0.4}
QUIET = 1.5


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@contextmanager
def quiet_server(
    tmp_path: Path, context: ssl.SSLContext | None = None, **options: object
) -> Iterator[FileServer]:
    (tmp_path / "f.bin").write_bytes(BODY)
    (tmp_path / "README").write_bytes(BODY[:1000])
    share = ShareTable(hash_files=False)
    try:
        share.add(tmp_path / "f.bin")
        share.add(tmp_path / "README")
        kwargs = {**TIMEOUTS, **options}
        server = FileServer(share, "127.0.0.1", 0, ssl_context=context, **kwargs)  # type: ignore[arg-type]
        with running(server):
            # The quiet spell itself is what is tested: nothing happens on the server meanwhile.
            time.sleep(QUIET)
            yield server
    finally:
        share.close()


def http_get(port: int, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    conn: http.client.HTTPConnection
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=WAIT, context=context)
    try:
        conn.request("GET", "/f.bin")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_get(port: int, context: ssl.SSLContext | None = None, name: bytes = b"f.bin") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        if context is None:
            sock.sendall(name)
            return read_to_end(sock)
        with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            tls.sendall(name)
            return read_to_end(tls)


def tls_contexts(ca: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_first_http_download_after_a_quiet_spell(tmp_path: Path) -> None:
    with quiet_server(tmp_path) as server:
        assert http_get(server.port) == (200, BODY)


def test_first_raw_download_after_a_quiet_spell(tmp_path: Path) -> None:
    with quiet_server(tmp_path) as server:
        assert raw_get(server.port) == BODY


def test_first_raw_name_that_waits_for_the_grace_after_a_quiet_spell(tmp_path: Path) -> None:
    """ "README" could still become "README /x HTTP/1.1": it is answered after the raw grace,
    whose deadline must also count from when the name arrived."""
    with quiet_server(tmp_path) as server:
        assert raw_get(server.port, name=b"README") == BODY[:1000]


def test_first_tls_downloads_after_a_quiet_spell(tmp_path: Path, ca: trustme.CA) -> None:
    server_context, client_context = tls_contexts(ca)
    with quiet_server(tmp_path, server_context) as server:
        assert http_get(server.port, client_context) == (200, BODY)
        time.sleep(QUIET)  # a second quiet spell: what is tested
        assert raw_get(server.port, client_context) == BODY


def test_error_answer_after_a_quiet_spell_is_read_in_full(tmp_path: Path) -> None:
    """The polite close after an error (linger deadline) also counts from now, not from before."""
    with quiet_server(tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
            sock.sendall(b"GET /f.bin HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 200 + b"\r\n")
            answer = read_to_end(sock)
        assert answer.startswith(b"HTTP/1.1 431 ")


def test_keep_alive_connection_survives_a_quiet_spell_shorter_than_its_timeout(
    tmp_path: Path,
) -> None:
    """A persistent connection's head deadline starts when it goes back to the loop."""
    with quiet_server(tmp_path, head_timeout=3.0) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        try:
            for _ in range(2):
                conn.request("GET", "/f.bin")
                response = conn.getresponse()
                assert (response.status, response.read()) == (200, BODY)
                assert not response.will_close
        finally:
            conn.close()


def test_accepting_resumes_after_a_pause_and_a_quiet_spell(tmp_path: Path) -> None:
    """The first client after two quiet spells in a row (the loop slept twice) is served too."""
    with quiet_server(tmp_path) as server:
        assert http_get(server.port) == (200, BODY)
        time.sleep(QUIET)  # a second quiet spell: what is tested
        assert raw_get(server.port) == BODY
        assert http_get(server.port) == (200, BODY)
