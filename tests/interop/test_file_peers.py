"""File sharing against programs nobody here wrote: curl, nc, nginx, ``python -m http.server``, and
the classic raw server and client scripts (as the seed-style tools write them)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import pwd
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from net.download import Download, list_remote_files
from net.errors import ProtocolError
from tests.conftest import WAIT
from tests.net.test_fileserver import ODD_NAMES, PUBLIC, Served, serve_folder

pytestmark = pytest.mark.interop


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    (tmp_path / "srv").mkdir()
    with serve_folder(tmp_path / "srv") as s:
        yield s


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--globoff", "--max-time", str(WAIT), *args],
        capture_output=True,
        timeout=WAIT + 5,
        check=False,
    )


def url_of(s: Served, name: str) -> str:
    return f"http://127.0.0.1:{s.port}/" + urllib.parse.quote(name, safe="")


# ---- curl ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["public.txt", *ODD_NAMES])
def test_curl_downloads_every_name(served: Served, tmp_path: Path, name: str) -> None:
    target = tmp_path / "got"
    result = curl("-o", str(target), "--write-out", "%{http_code}", url_of(served, name))
    assert result.stdout == b"200", result.stderr
    expected = PUBLIC if name == "public.txt" else name.encode() * 3
    assert target.read_bytes() == expected


CURL_RANGES = [
    ("0-9", PUBLIC[:10]),
    ("100-", PUBLIC[100:]),
    ("-7", PUBLIC[-7:]),
    ("5-5", PUBLIC[5:6]),
]


@pytest.mark.parametrize(("spec", "expected"), CURL_RANGES)
def test_curl_ranges(served: Served, spec: str, expected: bytes) -> None:
    result = curl("-r", spec, "--write-out", "\n%{http_code}", url_of(served, "public.txt"))
    body, _, status = result.stdout.rpartition(b"\n")
    assert (status, body) == (b"206", expected)


def test_curl_resume(served: Served, tmp_path: Path) -> None:
    target = tmp_path / "resumed.txt"
    target.write_bytes(PUBLIC[:333])
    result = curl(
        "-C", "-", "-o", str(target), "--write-out", "%{http_code}", url_of(served, "public.txt")
    )
    assert result.stdout == b"206", result.stderr
    assert target.read_bytes() == PUBLIC


def test_curl_head(served: Served) -> None:
    result = curl("-I", url_of(served, "public.txt"))
    head = result.stdout.decode()
    assert head.startswith("HTTP/1.1 200 OK")
    assert f"Content-Length: {len(PUBLIC)}" in head
    assert "Accept-Ranges: bytes" in head
    assert "Repr-Digest: sha-256=:" in head
    assert "ETag: " in head and "Last-Modified: " in head


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["/nothing-here"], "404"),
        (["/public.txt", "-r", "999999-"], "416"),
        (["/public.txt", "-X", "PUT"], "405"),
        (["/?format=json"], "200"),
        (["/"], "200"),
    ],
)
def test_curl_statuses(served: Served, args: list[str], status: str) -> None:
    path, *rest = args
    result = curl(
        "-o",
        os.devnull,
        "--write-out",
        "%{http_code}",
        f"http://127.0.0.1:{served.port}{path}",
        *rest,
    )
    assert result.stdout.decode() == status


def test_curl_keeps_one_connection_for_many_files(served: Served) -> None:
    urls = [url_of(served, n) for n in ("public.txt", "README", "中文 报告.txt")]
    result = curl(
        "--write-out", "%{num_connects}\n", *[a for u in urls for a in ("-o", os.devnull, u)]
    )
    assert result.stdout.decode().split() == ["1", "0", "0"]


def test_nc_as_a_raw_client(served: Served) -> None:
    """openbsd nc sends the name and, with -N, half-closes: the name is complete at once."""
    result = subprocess.run(
        ["nc", "-N", "127.0.0.1", str(served.port)],
        input="中文 报告.txt".encode(),
        capture_output=True,
        timeout=WAIT,
        check=False,
    )
    assert result.stdout == "中文 报告.txt".encode() * 3


# ---- the classic raw scripts ------------------------------------------------------------------------

CLASSIC_CLIENT = textwrap.dedent(
    """
    import socket, sys
    host, port, name, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host, port))
    s.sendall(name.encode("utf-8"))
    with open(out, "wb") as f:
        while True:
            data = s.recv(1024)
            if not data:
                break
            f.write(data)
    s.close()
    """
)

CLASSIC_SERVER = textwrap.dedent(
    """
    import os, socket, sys
    folder = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    print(s.getsockname()[1], flush=True)
    while True:
        conn, addr = s.accept()
        name = conn.recv(1024).decode("utf-8")
        if name == "STOP":
            break
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                conn.sendall(f.read())
        conn.close()
    """
)


def test_classic_client_against_our_server(served: Served, tmp_path: Path) -> None:
    for name in ("public.txt", "中文 报告.txt", "GET ready.txt", "README"):
        out = tmp_path / "out.bin"
        subprocess.run(
            [sys.executable, "-c", CLASSIC_CLIENT, "127.0.0.1", str(served.port), name, str(out)],
            check=True,
            timeout=WAIT,
        )
        assert out.read_bytes() == (PUBLIC if name == "public.txt" else name.encode() * 3)


@contextmanager
def classic_server(folder: Path) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLASSIC_SERVER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield port
    finally:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(b"STOP")
        process.wait(WAIT)
        if process.stdout:
            process.stdout.close()


def test_our_raw_client_against_the_classic_server(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data = os.urandom(200_000)
    (src / "blob.bin").write_bytes(data)
    (src / "中文 报告.txt").write_bytes("报告".encode() * 100)
    out = tmp_path / "out"
    out.mkdir()
    with classic_server(src) as port:
        result = Download(f"raw://127.0.0.1:{port}/blob.bin", out).run()
        assert Path(result.path).read_bytes() == data
        assert result.sha256 == hashlib.sha256(data).hexdigest() and not result.verified
        chinese = Download(f"raw://127.0.0.1:{port}/中文 报告.txt", out).run()
        assert Path(chinese.path).read_bytes() == "报告".encode() * 100
        # The same server through the http:// form of the URL with --raw.
        again = Download(f"http://127.0.0.1:{port}/blob.bin", out, raw=True).run()
        assert Path(again.path).read_bytes() == data


# ---- python -m http.server --------------------------------------------------------------------------


@contextmanager
def http_server(folder: Path) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "-b", "127.0.0.1", "-d", str(folder), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "python -m http.server did not start"
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(WAIT)


def test_our_client_against_python_http_server(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data = os.urandom(500_000)
    (src / "with space.bin").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    with http_server(src) as port:
        url = f"http://127.0.0.1:{port}/with%20space.bin"
        result = Download(url, out).run()
        assert Path(result.path) == out / "with space.bin"
        assert Path(result.path).read_bytes() == data
        assert not result.verified  # it sends no digest
        # A .part from an earlier attempt, with the validator our client stores beside it: we ask
        # for the rest (Range + If-Range), http.server has no ranges and answers 200: start over.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        conn.request("HEAD", "/with%20space.bin")
        modified = conn.getresponse().getheader("Last-Modified")
        conn.close()
        part = out / "with space (2).bin.part"
        part.write_bytes(data[:1000])
        stored = {"url": url, "validator": modified, "total": len(data)}
        os.setxattr(part, "user.swb.resume", json.dumps(stored).encode())
        again = Download(url, out).run()
        assert Path(again.path).read_bytes() == data
        assert "the server sent the whole file again, so it started over" in again.notes
        assert not part.exists()
        with pytest.raises(ProtocolError, match="Socket Workbench share"):
            list_remote_files(f"http://127.0.0.1:{port}/")


# ---- nginx ------------------------------------------------------------------------------------------

NGINX_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


@contextmanager
def nginx(root: Path, tmp: Path) -> Iterator[int]:
    """nginx as the current user (as root, its workers would otherwise run as nobody)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=tmp, port=port, root=root))
    process = subprocess.Popen(
        [
            "nginx",
            "-p",
            str(tmp),
            "-c",
            str(conf),
            "-e",
            str(tmp / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
                break
            except ConnectionRefusedError:
                assert process.poll() is None, (tmp / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(WAIT)


def test_our_client_against_nginx(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data = os.urandom(300_000)
    (src / "report 1.bin").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "nginx").mkdir()
    for path in (tmp_path, src, src / "report 1.bin"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    with nginx(src, tmp_path / "nginx") as port:
        url = f"http://127.0.0.1:{port}/report%201.bin"
        result = Download(url, out).run()
        assert Path(result.path).read_bytes() == data and not result.verified
        # A .part from an earlier attempt, with nginx's ETag stored the way our client does:
        # nginx honours Range + If-Range with 206, and only the rest is fetched.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        conn.request("HEAD", "/report%201.bin")
        etag = conn.getresponse().getheader("ETag")
        conn.close()
        part = out / "report 1 (2).bin.part"
        part.write_bytes(data[:123_456])
        stored = {"url": url, "validator": etag, "total": len(data)}
        os.setxattr(part, "user.swb.resume", json.dumps(stored).encode())
        resumed = Download(url, out).run()
        assert Path(resumed.path).read_bytes() == data
        assert "resumed after 123456 bytes" in resumed.notes
        # A stale validator: nginx sends the whole file (200) and we start over.
        part = out / "report 1 (3).bin.part"
        part.write_bytes(b"x" * 1000)
        stored["validator"] = '"stale"'
        os.setxattr(part, "user.swb.resume", json.dumps(stored).encode())
        again = Download(url, out).run()
        assert Path(again.path).read_bytes() == data
        assert "the server sent the whole file again, so it started over" in again.notes
