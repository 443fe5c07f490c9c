"""Uploads into an upload folder (issue 21): PUT (curl -T), refusals that leave nothing behind,
deadlines, digests, and events with direction "in"."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from net.events import TransferFailed, TransferFinished, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_cli_files import SWB
from tests.net.test_fileserver import EventLog, running

LIMIT = 1024 * 1024


@dataclass
class Up:
    server: FileServer
    share: ShareTable
    log: EventLog
    folder: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/"

    def contents(self) -> list[str]:
        return sorted(os.listdir(self.folder))


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (tmp_path / "shared.txt").write_text("shared\n")
    log = EventLog()
    with ShareTable() as share:
        share.add(tmp_path / "shared.txt")
        srv = FileServer(
            share,
            "127.0.0.1",
            0,
            upload_dir=folder,
            max_upload=LIMIT,
            idle_timeout=1.0,
            on_event=log,
        )
        with srv, running(srv):
            yield Up(srv, share, log, folder)


def curl_put(source: Path, url: str, *extra: str) -> tuple[int, bytes]:
    done = subprocess.run(
        ["curl", "-sS", "-T", str(source), "-w", "\n%{http_code}", *extra, url],
        capture_output=True,
        timeout=WAIT,
        check=False,
    )
    body, _, code = done.stdout.rpartition(b"\n")
    return int(code), body


def put(port: int, target: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    conn.request("PUT", target, body=body, headers=headers or {})
    status = conn.getresponse().status
    conn.close()
    return status


def test_curl_put_stores_byte_exact(up: Up, tmp_path: Path) -> None:
    data = os.urandom(LIMIT - 10)
    source = tmp_path / "src.bin"
    source.write_bytes(data)
    status, _ = curl_put(source, up.url + "photo%20one.bin")
    assert status == 201
    assert (up.folder / "photo one.bin").read_bytes() == data
    assert up.contents() == ["photo one.bin"]
    events = up.log.wait(lambda ev: any(isinstance(e, TransferFinished) for e in ev))
    started = [e for e in events if isinstance(e, TransferStarted)]
    assert started[0].direction == "in" and started[0].total == len(data)
    # An existing name is never overwritten.
    source.write_bytes(b"other")
    status, body = curl_put(source, up.url + "photo%20one.bin")
    assert status == 409 and b"exists" in body
    assert (up.folder / "photo one.bin").read_bytes() == data


def test_a_body_sent_with_its_head_is_stored_byte_exact_with_its_digest(up: Up) -> None:
    # The first piece of the body arrives with the head (h11 parses it along), the rest in
    # pieces of odd sizes: the stored bytes and the answer's Repr-Digest cover all of it.
    data = os.urandom(LIMIT - 7)
    head = (
        f"PUT /together.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", up.server.port), timeout=WAIT) as sock:
        sock.sendall(head + data[:1000])
        at = 1000
        for size in (1, 70_001, 333_333, 65_536):
            sock.sendall(data[at : at + size])
            at += size
        sock.sendall(data[at:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head_lines = answer.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head_lines[0].startswith(b"HTTP/1.1 201 ")
    fields = dict(line.split(b": ", 1) for line in head_lines[1:])
    expected = base64.b64encode(hashlib.sha256(data).digest())
    assert fields[b"Repr-Digest"] == b"sha-256=:" + expected + b":"
    assert (up.folder / "together.bin").read_bytes() == data


def test_oversize_is_refused_before_storing(up: Up, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(LIMIT + 1))
    assert curl_put(source, up.url + "big.bin")[0] == 413
    # Chunked: no length up front, cut when the limit is crossed.
    status, _ = curl_put(source, up.url + "big.bin", "-H", "Transfer-Encoding: chunked")
    assert status == 413
    assert up.contents() == []


@pytest.mark.parametrize(
    ("target", "stored"),
    [
        ("/..%2F..%2Fescape.txt", ".._.._escape.txt"),
        ("/%2Fetc%2Fpasswd", "etc_passwd"),
        ("/CON.txt", "_CON.txt"),
        ("/a%0Ab%1Bc.txt", "a_b_c.txt"),
        ("/x.part", "x.part_"),
    ],
)
def test_hostile_names_stay_inside(up: Up, target: str, stored: str) -> None:
    assert put(up.server.port, target, b"payload") == 201
    assert up.contents() == [stored]
    assert not (up.folder.parent / "escape.txt").exists()


def test_digest_mismatch_is_not_kept(up: Up) -> None:
    body = b"the real bytes"
    right = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    wrong = "sha-256=:" + base64.b64encode(hashlib.sha256(b"x").digest()).decode() + ":"
    assert put(up.server.port, "/d.txt", body, {"Repr-Digest": wrong}) == 400
    assert up.contents() == []
    assert put(up.server.port, "/d.txt", body, {"Repr-Digest": "sha-256=:bad:"}) == 400
    assert put(up.server.port, "/d.txt", body, {"Repr-Digest": right}) == 201
    assert (up.folder / "d.txt").read_bytes() == body


def test_a_silent_client_is_cut_and_nothing_kept(up: Up) -> None:
    with socket.create_connection(("127.0.0.1", up.server.port), timeout=WAIT) as sock:
        sock.sendall(b"PUT /slow.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhalf")
        failed = up.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    assert [e.done for e in failed if isinstance(e, TransferFailed)] == [4]
    assert up.contents() == []


def test_a_client_that_closes_early_leaves_nothing(up: Up) -> None:
    with socket.create_connection(("127.0.0.1", up.server.port), timeout=WAIT) as sock:
        sock.sendall(b"PUT /cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhalf")
    up.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    assert up.contents() == []


def test_uploads_off_is_405(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    with ShareTable() as share:
        share.add(tmp_path / "a.txt")
        srv = FileServer(share, "127.0.0.1", 0)
        with srv, running(srv):
            for method in ("PUT", "POST", "PATCH"):
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=WAIT)
                conn.request(method, "/new.txt", body=b"x")
                response = conn.getresponse()
                assert response.status == 405 and response.getheader("Allow") == "GET, HEAD"
                conn.close()
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_a_shared_upload_folder_serves_what_arrives(tmp_path: Path) -> None:
    """Decision: a received file is downloadable at once when the upload folder is shared (the
    folder is walked again); otherwise uploads are not shared."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    with ShareTable() as share:
        share.add_folder(folder)
        srv = FileServer(share, "127.0.0.1", 0, upload_dir=folder)
        with srv, running(srv):
            assert put(srv.port, "/new.txt", b"fresh") == 201
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=WAIT)
            conn.request("GET", "/inbox/new.txt")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"fresh")
            conn.close()


def form_body(files: list[tuple[str, bytes]], boundary: str = "swb-test-boundary") -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'.encode()]
    for name, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def post_form(port: int, body: bytes, boundary: str = "swb-test-boundary") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    conn.request(
        "POST",
        "/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    response = conn.getresponse()
    result = response.status, response.read()
    conn.close()
    return result


def test_a_form_post_stores_several_files(up: Up) -> None:
    one, two = os.urandom(300_000), b"\r\n--swb-test-boundar not quite\r\n" * 100
    status, body = post_form(up.server.port, form_body([("one.bin", one), ("two.txt", two)]))
    assert status == 303, body
    assert (up.folder / "one.bin").read_bytes() == one
    assert (up.folder / "two.txt").read_bytes() == two
    # The same names again: kept side by side, never overwritten.
    status, body = post_form(up.server.port, form_body([("one.bin", b"new"), ("../two.txt", b"x")]))
    assert status == 303 and b"one (2).bin" in body
    assert up.contents() == ["one (2).bin", "one.bin", "two (2).txt", "two.txt"]
    assert (up.folder / "one.bin").read_bytes() == one
    started = [e for e in up.log.of(TransferStarted) if isinstance(e, TransferStarted)]
    assert {e.direction for e in started} == {"in"} and len(started) == 4


def test_form_refusals_leave_nothing(up: Up) -> None:
    too_big = form_body([("big.bin", os.urandom(LIMIT + 1))])
    assert post_form(up.server.port, too_big)[0] == 413
    broken = form_body([("cut.bin", b"data")])[:-30]  # the closing boundary never comes
    assert post_form(up.server.port, broken)[0] == 400
    conn = http.client.HTTPConnection("127.0.0.1", up.server.port, timeout=WAIT)
    conn.request("POST", "/", body=b"a=b", headers={"Content-Type": "text/plain"})
    assert conn.getresponse().status == 415
    conn.close()
    assert up.contents() == []


def test_the_index_shows_the_form_only_with_uploads(up: Up, tmp_path: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", up.server.port, timeout=WAIT)
    conn.request("GET", "/")
    response = conn.getresponse()
    page = response.read()
    conn.close()
    assert b'<form id="upload" method="post"' in page
    assert "form-action 'self'" in (response.getheader("Content-Security-Policy") or "")
    with ShareTable() as share:
        share.add(tmp_path / "shared.txt")
        srv = FileServer(share, "127.0.0.1", 0)
        with srv, running(srv):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=WAIT)
            conn.request("GET", "/")
            response = conn.getresponse()
            page = response.read()
            conn.close()
    assert b'id="upload"' not in page
    assert "form-action 'none'" in (response.getheader("Content-Security-Policy") or "")


def test_a_trickling_client_is_cut(up: Up) -> None:
    """A byte every 50 ms never leaves the socket silent for the idle timeout (1 s here), but
    brings far less than 16 KiB a second: it is cut, and its .part removed."""
    with socket.create_connection(("127.0.0.1", up.server.port), timeout=WAIT) as sock:
        sock.sendall(b"PUT /drip.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        deadline = time.monotonic() + WAIT
        sent = 0
        with contextlib.suppress(OSError):
            while time.monotonic() < deadline and not up.log.of(TransferFailed):
                sock.sendall(b"x")
                sent += 1
                time.sleep(0.05)  # the trickle under test, not a wait for the server
    failed = up.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    assert next(e.done for e in failed if isinstance(e, TransferFailed)) < 1000
    assert up.contents() == []


# ---- interrupted resumable uploads: kept, then expired ---------------------------------------


def put_first_part(port: int, name: str, data: bytes) -> int:
    """Start a resumable upload (draft-ietf-httpbis-resumable-upload: Upload-Complete: ?0) whose
    body is only the first part: the server keeps the .part for the rest."""
    return put(
        port,
        f"/{name}",
        data,
        {"Upload-Complete": "?0", "Upload-Draft-Interop-Version": "6"},
    )


def test_a_plain_put_to_a_held_upload_is_told_it_is_kept(up: Up) -> None:
    assert put_first_part(up.server.port, "big.bin", b"first half ") in (201, 204)
    assert up.contents() == [".big.bin.part"]
    conn = http.client.HTTPConnection("127.0.0.1", up.server.port, timeout=WAIT)
    conn.request("PUT", "/big.bin", body=b"something else")
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 409
    assert b"an interrupted upload of big.bin is kept for resuming" in body
    assert b"expires" in body and b"exists already" not in body
    # The held upload is untouched and can still be finished.
    conn = http.client.HTTPConnection("127.0.0.1", up.server.port, timeout=WAIT)
    conn.request(
        "PATCH",
        "/big.bin",
        body=b"second half",
        headers={
            "Upload-Offset": str(len(b"first half ")),
            "Upload-Complete": "?1",
            "Upload-Draft-Interop-Version": "6",
            "Content-Type": "application/partial-upload",
        },
    )
    assert conn.getresponse().status in (200, 201, 204)
    conn.close()
    assert (up.folder / "big.bin").read_bytes() == b"first half second half"


def test_a_plain_put_replaces_an_abandoned_upload(up: Up) -> None:
    assert put_first_part(up.server.port, "old.bin", b"from yesterday") in (201, 204)
    part = up.folder / ".old.bin.part"
    day_ago = time.time() - 25 * 3600
    os.utime(part, (day_ago, day_ago))
    assert put(up.server.port, "/old.bin", b"today") == 201
    assert up.contents() == ["old.bin"]
    assert (up.folder / "old.bin").read_bytes() == b"today"


def test_abandoned_parts_expire_when_the_server_starts(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    old, fresh, other = folder / ".old.bin.part", folder / ".fresh.bin.part", folder / "kept.part"
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 2 * 3600
    for path in (old, other):
        os.utime(path, (two_hours_ago, two_hours_ago))
    with ShareTable() as share:
        server = FileServer(share, "127.0.0.1", 0, upload_dir=folder, part_max_age=3600)
        with server, running(server):
            # Answered means serve_forever is past its start, where it expires parts.
            assert put(server.port, "/new.txt", b"new") == 201
            assert sorted(os.listdir(folder)) == [".fresh.bin.part", "kept.part", "new.txt"]


def test_the_part_max_age_must_be_positive(tmp_path: Path) -> None:
    done = subprocess.run(
        [*SWB, "serve", "--upload-dir", str(tmp_path), "--part-max-age", "0", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("--part-max-age must be a positive number of hours")
