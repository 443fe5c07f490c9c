"""The file server over real loopback sockets: HTTP, classic raw, TLS, limits, hostile requests.

Attack strings are sent literally over a raw socket (HTTP clients would normalise "../" away), and
every case asserts the exact answer, that no byte of the secret file next to the shared one leaks,
and (through the fixtures) that the server stops with no thread left behind.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from net.errors import BindError
from net.events import TransferFailed, TransferFinished, TransferProgress, TransferStarted
from net.fileserver import FileServer, TransferEvent, local_addresses
from net.httpfile import format_repr_digest
from net.share import ShareTable
from tests.conftest import WAIT

SECRET = b"TOP-SECRET-" + os.urandom(8).hex().encode()
PUBLIC = b"public bytes\n" * 100

#: Names that must survive every client: reserved URL characters, quotes, markup, emoji, Chinese.
ODD_NAMES = [
    "with space.txt",
    "100%.txt",
    "#hash.txt",
    "what?.txt",
    "a&b=c.txt",
    'say "hi".txt',
    "it's.txt",
    "<i>.txt",
    "party 🎉.txt",
    "中文 报告.txt",
    "GET ready.txt",
    "README",
    "dots...",
    "+plus;semi,comma.txt",
]


@dataclass
class EventLog:
    """Transfer events from the server's threads; tests wait on conditions over them."""

    events: list[TransferEvent] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: TransferEvent) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def wait(self, what: Callable[[list[TransferEvent]], bool]) -> list[TransferEvent]:
        with self.changed:
            assert self.changed.wait_for(lambda: what(self.events), WAIT), self.events
            return list(self.events)

    def of(self, kind: type) -> list[TransferEvent]:
        with self.changed:
            return [e for e in self.events if isinstance(e, kind)]


@dataclass
class Served:
    server: FileServer
    share: ShareTable
    log: EventLog
    folder: Path

    @property
    def port(self) -> int:
        return self.server.port


@contextmanager
def running(server: FileServer) -> Iterator[FileServer]:
    """Run ``server`` in a thread; always stop it and check that it stopped."""
    thread = threading.Thread(target=server.serve_forever, name="test-fileserver")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
        assert not thread.is_alive(), "serve_forever did not return after shutdown()"


def make_folder(root: Path) -> Path:
    """public.txt and the odd names are shared; secret.txt sits right next to them, unshared."""
    folder = root / "files"
    folder.mkdir()
    (folder / "public.txt").write_bytes(PUBLIC)
    (folder / "secret.txt").write_bytes(SECRET)
    for name in ODD_NAMES:
        (folder / name).write_bytes(name.encode() * 3)
    return folder


@contextmanager
def serve_folder(root: Path, host: str = "127.0.0.1", **kwargs: object) -> Iterator[Served]:
    folder = make_folder(root)
    log = EventLog()
    share = ShareTable()
    try:
        share.add(folder / "public.txt")
        for name in ODD_NAMES:
            share.add(folder / name)
        assert share.wait_hashed(WAIT)
        server = FileServer(share, host, 0, on_event=log, **kwargs)  # type: ignore[arg-type]
        with running(server):
            yield Served(server, share, log, folder)
    finally:
        share.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_folder(tmp_path, head_timeout=1.0, raw_grace=0.05) as s:
        yield s


def url_path(name: str) -> str:
    return "/" + urllib.parse.quote(name, safe="")


def exchange(port: int, data: bytes, *, host: str = "127.0.0.1", half_close: bool = False) -> bytes:
    """Send ``data`` in one write and read everything until the server closes."""
    with socket.create_connection((host, port), timeout=WAIT) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_to_end(sock)


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    assert match, response[:200]
    return int(match.group(1))


def get(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"):  # type: ignore[no-untyped-def]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        conn.close()


# ---- HTTP -----------------------------------------------------------------------------------------


def test_get_file_with_all_headers(served: Served) -> None:
    status, headers, body = get(served.port, "/public.txt")
    assert status == 200 and body == PUBLIC
    assert headers["Content-Length"] == str(len(PUBLIC))
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"].startswith('"')
    assert headers["Last-Modified"].endswith(" GMT")
    assert headers["Repr-Digest"] == format_repr_digest(hashlib.sha256(PUBLIC).hexdigest())


def test_head(served: Served) -> None:
    status, headers, body = get(served.port, "/public.txt", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(PUBLIC))
    assert not served.log.of(TransferStarted)  # HEAD sends no body: no transfer


SIZE = len(PUBLIC)
RANGE_CASES = [
    ("bytes=0-9", 206, PUBLIC[0:10], f"bytes 0-9/{SIZE}"),
    ("bytes=100-", 206, PUBLIC[100:], f"bytes 100-{SIZE - 1}/{SIZE}"),
    ("bytes=-5", 206, PUBLIC[-5:], f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}"),
    ("bytes=10-99999", 206, PUBLIC[10:], f"bytes 10-{SIZE - 1}/{SIZE}"),
    (f"bytes={SIZE}-", 416, None, f"bytes */{SIZE}"),
    ("bytes=0-1,5-6", 200, PUBLIC, None),
    ("bytes=9-1", 200, PUBLIC, None),
    ("lines=1-2", 200, PUBLIC, None),
]


@pytest.mark.parametrize(("value", "status", "body", "content_range"), RANGE_CASES)
def test_ranges(
    served: Served, value: str, status: int, body: bytes | None, content_range: str | None
) -> None:
    got_status, headers, got_body = get(served.port, "/public.txt", {"Range": value})
    assert got_status == status
    if body is not None:
        assert got_body == body
        assert headers["Content-Length"] == str(len(body))
    assert headers.get("Content-Range") == content_range


def test_if_range(served: Served) -> None:
    # A date validates only when the file is over a second old (RFC 9110 §8.8.2.2): date it back.
    a_minute_ago = time.time() - 60
    os.utime(served.folder / "public.txt", (a_minute_ago, a_minute_ago))
    _, headers, _ = get(served.port, "/public.txt", method="HEAD")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    cases = [
        (etag, 206),
        ('"stale"', 200),
        ("W/" + etag, 200),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 200),
        (modified, 206),
    ]
    for validator, expected in cases:
        status, _, body = get(
            served.port, "/public.txt", {"Range": "bytes=1-", "If-Range": validator}
        )
        assert status == expected, validator
        assert body == (PUBLIC[1:] if expected == 206 else PUBLIC)
    # A Last-Modified a second or more in the past is strong: If-Range by date then works.
    os.utime(served.folder / "public.txt", (time.time() - 3600, time.time() - 3600))
    _, headers, _ = get(served.port, "/public.txt", method="HEAD")
    modified = headers["Last-Modified"]
    for validator, expected in [(modified, 206), (etag, 200)]:  # etag changed with the time
        status, _, body = get(
            served.port, "/public.txt", {"Range": "bytes=1-", "If-Range": validator}
        )
        assert status == expected, validator
        assert body == (PUBLIC[1:] if expected == 206 else PUBLIC)


def test_preconditions_over_http(served: Served) -> None:
    """RFC 9110 §13 over a real socket, in the order of §13.2.2."""
    path = served.folder / "public.txt"
    _, headers, _ = get(served.port, "/public.txt", method="HEAD")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    cases: list[tuple[str, dict[str, str], int, bytes]] = [
        ("GET", {"If-Match": etag, "Range": "bytes=0-4"}, 206, PUBLIC[:5]),
        ("GET", {"If-None-Match": etag}, 304, b""),
        ("HEAD", {"If-None-Match": f'"other", W/{etag}'}, 304, b""),
        ("GET", {"If-None-Match": '"other"'}, 200, PUBLIC),
        ("GET", {"If-Modified-Since": modified}, 304, b""),
        ("GET", {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 412, b""),
        ("GET", {"If-Match": '"other"', "If-None-Match": etag}, 412, b""),
    ]
    for method, request_headers, expected, body in cases:
        status, answer, got = get(served.port, "/public.txt", request_headers, method)
        assert status == expected, request_headers
        if expected in (304, 412):
            assert answer["ETag"] == etag and answer["Last-Modified"] == modified
        if method == "GET" and expected != 412:
            assert got == body
    # The issue's case: the file changed; a resume that names the old version must not get
    # the new bytes (206) but 412.
    path.write_bytes(PUBLIC.upper())
    os.utime(path, (time.time() + 5, time.time() + 5))
    status, _, body = get(served.port, "/public.txt", {"If-Match": etag, "Range": "bytes=10-"})
    assert status == 412 and PUBLIC.upper()[10:] not in body
    # Keep-alive survives a 304 (no body) and the next answer on that connection is whole.
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=WAIT)
    try:
        conn.request("HEAD", "/public.txt")
        head = conn.getresponse()
        head.read()
        new_etag = head.getheader("ETag")
        conn.request("GET", "/public.txt", headers={"If-None-Match": new_etag or ""})
        response = conn.getresponse()
        assert (response.status, response.read()) == (304, b"")
        conn.request("GET", "/public.txt")
        assert conn.getresponse().read() == PUBLIC.upper()
    finally:
        conn.close()


def test_curl_conditional_get(served: Served, tmp_path: Path) -> None:
    """curl -z sends If-Modified-Since; --etag-compare sends If-None-Match."""
    url = f"http://127.0.0.1:{served.port}/public.txt"
    os.utime(served.folder / "public.txt", (time.time() - 3600, time.time() - 3600))
    etag_file = tmp_path / "etag"
    first = subprocess.run(
        ["curl", "-sS", "--etag-save", str(etag_file), url], capture_output=True, timeout=WAIT
    )
    assert first.returncode == 0 and first.stdout == PUBLIC
    for extra in (
        ["-z", time.strftime("%d %b %Y %H:%M:%S GMT", time.gmtime())],
        ["--etag-compare", str(etag_file)],
    ):
        again = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", *extra, url],
            capture_output=True,
            timeout=WAIT,
        )
        assert again.stdout == b"304", (extra, again.stderr)


def test_range_is_ignored_for_head(served: Served) -> None:
    status, headers, _ = get(served.port, "/public.txt", {"Range": "bytes=0-0"}, method="HEAD")
    assert status == 200 and "Content-Range" not in headers


def test_index_and_json(served: Served) -> None:
    status, headers, body = get(served.port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "&lt;i&gt;.txt" in page and "<i>.txt" not in page
    assert f'href="{url_path("what?.txt")}"' in page
    assert "secret.txt" not in page
    status, headers, body = get(served.port, "/?format=json")
    items = json.loads(body)
    assert [i["name"] for i in items] == ["public.txt", *ODD_NAMES]
    assert items[0] == {
        "name": "public.txt",
        "path": "public.txt",
        "type": "file",
        "size": len(PUBLIC),
        "mtime": pytest.approx((served.folder / "public.txt").stat().st_mtime),
        "sha256": hashlib.sha256(PUBLIC).hexdigest(),
        "url": "/public.txt",
    }


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_over_http(served: Served, name: str) -> None:
    status, _, body = get(served.port, url_path(name))
    assert (status, body) == (200, name.encode() * 3)


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_over_raw(served: Served, name: str) -> None:
    assert exchange(served.port, name.encode()) == name.encode() * 3


STATUS_CASES = [
    (b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", 404),  # exists on disk, not shared
    (b"POST /public.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
    (b"DELETE /public.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /public.txt HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
    (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /public.txt HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    (b"GET /public.txt HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    (b"GET /public.txt HTTP/1\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n", 431),
]


@pytest.mark.parametrize(("request_bytes", "status"), STATUS_CASES)
def test_error_statuses(served: Served, request_bytes: bytes, status: int) -> None:
    response = exchange(served.port, request_bytes, half_close=True)
    assert status_of(response) == status
    assert SECRET not in response


def test_head_that_never_ends_is_closed_after_the_deadline(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")  # no empty line, ever
        assert read_to_end(sock) == b""  # closed by the 1 s head deadline, nothing said


def test_tcp_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        assert read_to_end(sock) == b""


def test_keep_alive_and_pipelining(served: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=WAIT)
    try:
        for _ in range(3):
            conn.request("GET", "/public.txt")
            response = conn.getresponse()
            assert response.read() == PUBLIC
            assert not response.will_close
        conn.request("GET", "/missing")
        response = conn.getresponse()
        assert response.status == 404
        response.read()
        conn.request("GET", "/public.txt")
        assert conn.getresponse().read() == PUBLIC
    finally:
        conn.close()
    one = b"GET /public.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /README HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    response = exchange(served.port, one + one + last)
    assert response.count(b"HTTP/1.1 200 OK") == 3
    assert response.endswith(b"README" * 3)


def test_raw_dialect(served: Served) -> None:
    assert exchange(served.port, b"public.txt") == PUBLIC
    assert exchange(served.port, b"public.txt\n") == PUBLIC
    assert exchange(served.port, b"public.txt\r\n") == PUBLIC
    assert exchange(served.port, b"no-such-file") == b""
    assert exchange(served.port, b"no-such") == b""
    assert exchange(served.port, b"public.txt", half_close=True) == PUBLIC
    started = served.log.wait(lambda ev: sum(isinstance(e, TransferFinished) for e in ev) >= 4)
    assert {e.dialect for e in started if isinstance(e, TransferStarted)} == {"raw"}


def test_raw_client_sends_the_name_and_waits(served: Served) -> None:
    """The classic client: one sendall of the name, no terminator, then read to EOF."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall("中文 报告.txt".encode())
        assert read_to_end(sock) == "中文 报告.txt".encode() * 3


def test_without_raw_dialect(tmp_path: Path) -> None:
    with serve_folder(tmp_path, raw_dialect=False) as s:
        assert status_of(exchange(s.port, b"public.txt\r\n\r\n")) == 400
        status, _, body = get(s.port, "/public.txt")
        assert (status, body) == (200, PUBLIC)


HOSTILE_TARGETS = [
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/files/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e%252fsecret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%c0%ae%c0%ae%c0%afsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/%2fetc%2fpasswd",
    "/C:\\secret.txt",
    "/C:%5Csecret.txt",
    "/\\\\server\\share\\secret.txt",
    "/%5c%5cserver%5cshare%5csecret.txt",
    "/secret.txt%00",
    "/public.txt%00../secret.txt",
    "/%ef%bc%8e%ef%bc%8e/secret.txt",
    "/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt",
    "/secret.txt.",
    "/secret.txt%20",
    "/secret.txt::$DATA",
    "/SECRET.TXT",
    "/./secret.txt",
    "/public.txt/../secret.txt",
    "/public.txt/",
    "http://x/../secret.txt",
    "/%",
    "/%zz",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_hostile_http_targets(served: Served, target: str) -> None:
    secret_path = str(served.folder / "secret.txt")
    for path in (target, target.replace("secret.txt", secret_path.lstrip("/"))):
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        response = exchange(served.port, request)
        assert status_of(response) in (400, 404), response[:100]
        assert SECRET not in response


def test_hostile_absolute_paths(served: Served) -> None:
    secret_path = str(served.folder / "secret.txt")
    for target in (secret_path, "/" + urllib.parse.quote(secret_path, safe=""), "/" + secret_path):
        request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        response = exchange(served.port, request)
        assert status_of(response) in (400, 404)
        assert SECRET not in response


HOSTILE_RAW_NAMES = [
    b"secret.txt",
    b"../secret.txt",
    b"..\\secret.txt",
    b"/etc/passwd",
    b"C:\\secret.txt",
    b"\\\\server\\share\\secret.txt",
    b"secret.txt\x00",
    b"public.txt\x00../secret.txt",
    b"public.txt/../secret.txt",
    "．．/secret.txt".encode(),
    b"\xc0\xae\xc0\xae/secret.txt",
    b"%2e%2e%2fsecret.txt",
    b"secret.txt.",
    b"secret.txt ",
    b"./secret.txt",
    b"\n",
    b"\r\n\r\n",
    b"\xff\xfe\xfd",
]


@pytest.mark.parametrize("name", HOSTILE_RAW_NAMES)
def test_hostile_raw_names(served: Served, name: bytes) -> None:
    response = exchange(served.port, name)
    assert SECRET not in response
    assert response == b"" or status_of(response) == 400  # "../x" style lines count as HTTP
    absolute = str(served.folder / "secret.txt").encode()
    assert exchange(served.port, absolute) == b""


def test_garbage_never_breaks_the_server(served: Served) -> None:
    rng = random.Random(1234)
    pieces = [b"GET ", b"/", b"HTTP/1.1", b"\r\n", b"\n", b"Host: x", b"%", b"\x00", b"\xff", b":"]
    for _ in range(80):
        data = b"".join(
            rng.choice(pieces) if rng.random() < 0.7 else bytes([rng.randrange(256)])
            for _ in range(rng.randrange(1, 40))
        )
        response = exchange(served.port, data, half_close=True)
        assert SECRET not in response
        if response:
            assert status_of(response) in (200, 400, 404, 405, 505) or response == PUBLIC
    assert get(served.port, "/public.txt")[2] == PUBLIC


def test_no_thread_is_left_behind(tmp_path: Path) -> None:
    before = threading.active_count()
    with serve_folder(tmp_path, head_timeout=1.0) as s:
        for target in HOSTILE_TARGETS[:10]:
            exchange(s.port, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), half_close=True)
        for name in HOSTILE_RAW_NAMES[:5]:
            exchange(s.port, name)
        get(s.port, "/public.txt")
    assert threading.active_count() <= before


# ---- limits and concurrency -------------------------------------------------------------------------


def test_idle_connections_do_not_take_transfer_slots(tmp_path: Path) -> None:
    with serve_folder(tmp_path, max_connections=2, head_timeout=5.0) as s:
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=WAIT) for _ in range(20)]
        try:
            for sock in idle[:10]:
                sock.sendall(b"GET /public.txt HTTP/1.1\r\nHost")  # half a head, forever
            for _ in range(3):
                status, _, body = get(s.port, "/public.txt")
                assert (status, body) == (200, PUBLIC)
        finally:
            for sock in idle:
                sock.close()


def test_pending_cap_closes_new_connections(tmp_path: Path) -> None:
    with serve_folder(tmp_path, max_pending=3, head_timeout=5.0) as s:
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=WAIT) for _ in range(3)]
        try:
            for sock in idle:
                sock.sendall(b"G")
            extra = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT)
            with extra:
                assert read_to_end(extra) == b""
            assert s.server.refused >= 1
        finally:
            for sock in idle:
                sock.close()
        # The places come back once the loop has seen those closes (a moment later).
        deadline = time.monotonic() + WAIT
        while True:
            try:
                assert get(s.port, "/public.txt")[0] == 200
                break
            except ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)


def test_idle_keep_alive_connection_makes_room(tmp_path: Path) -> None:
    with serve_folder(tmp_path, max_pending=1, head_timeout=5.0) as s:
        kept = http.client.HTTPConnection("127.0.0.1", s.port, timeout=WAIT)
        try:
            kept.request("GET", "/public.txt")
            assert kept.getresponse().read() == PUBLIC  # now idle between requests
            status, _, body = get(s.port, "/README")  # needs the only pending place
            assert (status, body) == (200, b"README" * 3)
        finally:
            kept.close()


def test_busy_server_answers_503(tmp_path: Path) -> None:
    with serve_folder(tmp_path, max_connections=1, rate_limit=2000) as s:
        slow = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT)
        with slow:
            slow.sendall(b"public.txt")
            s.log.wait(lambda ev: any(isinstance(e, TransferStarted) for e in ev))
            response = exchange(s.port, b"GET /public.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status_of(response) == 503
            assert b"Retry-After: 1" in response
            assert exchange(s.port, b"public.txt") == b""  # raw: closed, nothing sent


def test_shutdown_stops_a_transfer_in_flight(tmp_path: Path) -> None:
    with serve_folder(tmp_path, rate_limit=500) as s:
        client = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT)
        with client:
            client.sendall(b"public.txt")
            s.log.wait(lambda ev: any(isinstance(e, TransferStarted) for e in ev))
            started = time.monotonic()
            s.server.shutdown()
            failed = s.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
            assert time.monotonic() - started < WAIT
    event = next(e for e in failed if isinstance(e, TransferFailed))
    assert event.cancelled and event.reason == "the server was stopped"


def test_progress_events_are_throttled(tmp_path: Path) -> None:
    with serve_folder(tmp_path, rate_limit=len(PUBLIC) * 2) as s:  # about half a second
        started = time.monotonic()
        assert exchange(s.port, b"public.txt") == PUBLIC
        elapsed = time.monotonic() - started
        events = s.log.wait(lambda ev: any(isinstance(e, TransferFinished) for e in ev))
    progress = [e for e in events if isinstance(e, TransferProgress)]
    assert len(progress) <= elapsed / 0.1 + 1
    assert all(0 < e.done < e.total == len(PUBLIC) for e in progress)
    assert isinstance(events[0], TransferStarted)
    assert isinstance(events[-1], TransferFinished)


def test_file_changed_or_removed_after_adding(served: Served) -> None:
    path = served.folder / "public.txt"
    path.write_bytes(b"new and longer content")
    status, headers, body = get(served.port, "/public.txt")
    assert (status, body) == (200, b"new and longer content")
    assert headers.get("Repr-Digest") in (
        None,
        format_repr_digest(hashlib.sha256(body).hexdigest()),
    )
    assert served.share.wait_hashed(WAIT)
    _, headers, _ = get(served.port, "/public.txt")
    assert headers["Repr-Digest"] == format_repr_digest(hashlib.sha256(body).hexdigest())
    path.unlink()
    assert get(served.port, "/public.txt")[0] == 404
    served.share.remove("README")
    assert get(served.port, "/README")[0] == 404


def test_file_replaced_by_a_link_is_not_followed(served: Served) -> None:
    path = served.folder / "public.txt"
    path.unlink()
    path.symlink_to(served.folder / "secret.txt")
    status, _, body = get(served.port, "/public.txt")
    assert status == 404 and SECRET not in body
    assert exchange(served.port, b"public.txt") == b""


def test_files_added_while_serving(served: Served) -> None:
    late = served.folder / "late.bin"
    late.write_bytes(b"late")
    served.share.add(late)
    assert get(served.port, "/late.bin")[2] == b"late"


# ---- addresses ------------------------------------------------------------------------------------


@pytest.mark.requires_ipv6
def test_urls_and_ipv6(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with serve_folder(tmp_path / "a", host="::1") as s:
        assert s.server.urls() == [f"http://[::1]:{s.port}/"]
        assert exchange(s.port, b"public.txt", host="::1") == PUBLIC
    with serve_folder(tmp_path / "b") as s:
        assert s.server.urls() == [f"http://127.0.0.1:{s.port}/"]
        assert s.server.address == f"127.0.0.1:{s.port}"


@pytest.mark.requires_ipv6
def test_local_addresses_end_with_loopback() -> None:
    addresses = local_addresses()
    assert addresses[-2:] == ["127.0.0.1", "::1"]
    assert all(not a.startswith("fe80") for a in addresses)
    assert "::1" not in local_addresses(ipv6=False)


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with (
            ShareTable() as share,
            pytest.raises(BindError, match=f"port {port} is already in use"),
        ):
            FileServer(share, "127.0.0.1", port)


# ---- TLS --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@contextmanager
def tls_served(root: Path, ca: trustme.CA) -> Iterator[tuple[Served, ssl.SSLContext]]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with serve_folder(root, ssl_context=server_context, head_timeout=1.0) as s:
        yield s, client_context


def test_tls_http_and_raw(tmp_path: Path, ca: trustme.CA) -> None:
    with tls_served(tmp_path, ca) as (s, context):
        assert s.server.urls()[0].startswith("https://127.0.0.1:")
        conn = http.client.HTTPSConnection("127.0.0.1", s.port, timeout=WAIT, context=context)
        try:
            for _ in range(2):  # keep-alive inside TLS
                conn.request("GET", url_path("中文 报告.txt"), headers={"Range": "bytes=0-5"})
                response = conn.getresponse()
                assert response.status == 206
                assert response.read() == "中文 报告.txt".encode()[:6]
        finally:
            conn.close()
        with (
            socket.create_connection(("127.0.0.1", s.port), timeout=WAIT) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(b"public.txt")
            assert read_to_end(tls) == PUBLIC
        dialects = {e.dialect for e in s.log.of(TransferStarted) if isinstance(e, TransferStarted)}
        assert dialects == {"https", "raw+tls"}


def test_tls_handshake_deadline_and_plain_clients(tmp_path: Path, ca: trustme.CA) -> None:
    with tls_served(tmp_path, ca) as (s, _context):
        with socket.create_connection(("127.0.0.1", s.port), timeout=WAIT) as silent:
            assert read_to_end(silent) == b""  # closed after the handshake deadline
        response = exchange(s.port, b"GET /public.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert SECRET not in response and PUBLIC not in response
        assert PUBLIC not in exchange(s.port, b"public.txt")  # never served in clear text
        status, body = get_tls(s.port, _context, "/public.txt")
        assert (status, body) == (200, PUBLIC)


def get_tls(port: int, context: ssl.SSLContext, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=WAIT, context=context)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---- what the user sees of requests that fail (issue 15.8) ---------------------------------------


def failed_after(log: EventLog, count: int) -> list[tuple[TransferStarted, TransferFailed]]:
    """The first ``count`` failed transfers, each with its start."""
    events = log.wait(lambda ev: sum(isinstance(e, TransferFailed) for e in ev) >= count)
    starts = {e.transfer_id: e for e in events if isinstance(e, TransferStarted)}
    return [(starts[e.transfer_id], e) for e in events if isinstance(e, TransferFailed)][:count]


def test_unknown_names_are_failed_transfers(served: Served) -> None:
    assert get(served.port, "/nothing-here.txt")[0] == 404
    assert exchange(served.port, b"nothing-here.bin") == b""
    # A C client on a Chinese Windows sends its name in the ANSI code page (GBK).
    assert exchange(served.port, "报告.txt".encode("gbk")) == b""
    assert exchange(served.port, b"\xff\xfe") == b""
    failed = failed_after(served.log, 4)
    shown = [(s.name, s.dialect, s.total, f.done) for s, f in failed]
    assert shown == [
        ("nothing-here.txt", "http", 0, 0),
        ("nothing-here.bin", "raw", 0, 0),
        ("报告.txt", "raw", 0, 0),
        ("\\xff\\xfe", "raw", 0, 0),
    ]
    reasons = [f.reason for _, f in failed]
    assert reasons[0] == reasons[1] == "no such file is shared"
    assert "GBK" in reasons[2] and "UTF-8" in reasons[2]
    assert "not UTF-8" in reasons[3]
    assert all(s.peer.startswith("127.0.0.1:") for s, _ in failed)


def test_a_tls_client_on_a_plain_share_is_told_apart(served: Served) -> None:
    """https:// or raw+tls:// against a share without TLS: its ClientHello is not shown as a
    200-character "name that is not UTF-8", but as what it is, with what to do."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock,
        pytest.raises((ssl.SSLError, OSError)),
    ):
        context.wrap_socket(sock).close()
    [(start, failed)] = failed_after(served.log, 1)
    assert (start.name, start.dialect, failed.done) == ("(TLS handshake)", "raw", 0)
    assert failed.reason.startswith("a TLS client (https:// or raw+tls://) connected, but ")


def test_a_shared_file_moved_away_leaves_the_lists(served: Served) -> None:
    (served.folder / "public.txt").rename(served.folder / "moved.txt")
    _, _, body = get(served.port, "/?format=json")
    names = [item["name"] for item in json.loads(body)]
    assert "public.txt" not in names and "README" in names
    _, _, page = get(served.port, "/")
    assert b"public.txt" not in page and b"README" in page
    assert get(served.port, "/public.txt")[0] == 404
    assert exchange(served.port, b"public.txt") == b""
    failed = failed_after(served.log, 2)
    assert [(s.name, s.dialect) for s, _ in failed] == [
        ("public.txt", "http"),
        ("public.txt", "raw"),
    ]
    assert all("no longer in its folder" in f.reason for _, f in failed)
    (served.folder / "moved.txt").rename(served.folder / "public.txt")  # back: listed again
    _, _, body = get(served.port, "/?format=json")
    assert "public.txt" in [item["name"] for item in json.loads(body)]


def test_swb_serve_prints_unknown_names_as_failed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "net",
            "serve",
            "-H",
            "127.0.0.1",
            "-p",
            "0",
            str(tmp_path / "a.txt"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().rsplit(":", 1)[1].strip("/"))
        assert get(port, "/b.txt")[0] == 404
        assert exchange(port, "报告.txt".encode("gbk")) == b""
        lines = [process.stdout.readline(), process.stdout.readline()]
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=WAIT)
    assert "failed 'b.txt' after 0 B: no such file is shared" in lines[0], lines
    assert "failed '报告.txt' after 0 B: the name was sent in GBK" in lines[1], lines
    assert "0 transfers, 0 bytes sent, 2 failed" in err, err
    assert process.returncode == 0


def test_a_name_stored_decomposed_is_found_when_asked_composed(tmp_path: Path) -> None:
    """macOS stores "café.txt" as NFD; browsers and people send NFC (issue 13.10)."""
    nfd = unicodedata.normalize("NFD", "café.txt")
    (tmp_path / nfd).write_bytes(b"mac bytes")
    nfc = unicodedata.normalize("NFC", nfd)
    with ShareTable(hash_files=False) as share:
        assert share.add(tmp_path / nfd) == nfd
        with running(FileServer(share, "127.0.0.1", 0)) as server:
            assert get(server.port, url_path(nfc))[::2] == (200, b"mac bytes")
            assert get(server.port, url_path(nfd))[::2] == (200, b"mac bytes")
            assert exchange(server.port, nfc.encode()) == b"mac bytes"
            assert get(server.port, url_path("cafe.txt"))[0] == 404
