"""The download client against small hostile servers on loopback (issue 12.1-12.4, 12.6, 12.7,
12.11; 15.4, 15.6; 24.3, 24.4): every answer is judged, every read is bounded and stoppable."""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import json
import math
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import h11
import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from net.download import (
    Download,
    FileListRequest,
    ShareUrl,
    TransferCancelled,
    list_remote_files,
    parse_share_url,
)
from net.download.exchange import MAX_HEAD, MAX_INFORMATIONAL, Restart
from net.download.judge import judge_response
from net.download.listing import MAX_LIST, parse_list
from net.download.resume import ResumeState
from net.errors import ProtocolError, TransferError
from net.events import DownloadProgress
from net.share import LocalFileError
from net.tls import ClientTls
from tests.conftest import WAIT

Handler = Callable[[socket.socket, bytes], None]
V1 = bytes(range(256)) * 4  # 1,024 bytes
V2 = bytes(reversed(range(256))) * 4


class Hostile:
    """Serves each connection with the next handler, which gets the socket and what the client
    sent first (an HTTP request head, or a raw name); optionally inside TLS."""

    def __init__(self, handlers: list[Handler], context: ssl.SSLContext | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]
        self.handlers = handlers
        self.context = context
        self.requests: list[bytes] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for handler in self.handlers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                conn.settimeout(WAIT)
                if self.context is not None:
                    conn = self.context.wrap_socket(conn, server_side=True)
                request = conn.recv(65536)
                while request.startswith(b"GET") and b"\r\n\r\n" not in request:
                    more = conn.recv(65536)
                    if not more:
                        break
                    request += more
                self.requests.append(request)
                handler(conn, request)
            except (OSError, ssl.SSLError):
                pass  # the client gave up first: that is what many tests want
            except BaseException as exc:
                self.errors.append(exc)
            finally:
                conn.close()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)
        assert not self.errors, self.errors


@contextmanager
def hostile(*handlers: Handler, context: ssl.SSLContext | None = None) -> Iterator[Hostile]:
    server = Hostile(list(handlers), context)
    try:
        yield server
    finally:
        server.close()


def answer(data: bytes) -> Handler:
    """Send ``data`` and end the connection (for TLS: without close_notify)."""

    def handler(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(data)

    return handler


def head(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def whole(data: bytes, etag: str = '"v1"', extra: list[tuple[str, str]] | None = None) -> bytes:
    fields = [("Content-Length", str(len(data))), ("ETag", etag), *(extra or [])]
    return head("200 OK", fields, data)


def part(data: bytes, start: int, etag: str = '"v1"', total: int | None = None) -> bytes:
    total = len(data) if total is None else total
    fields = [
        ("Content-Length", str(len(data) - start)),
        ("Content-Range", f"bytes {start}-{len(data) - 1}/{total}"),
        ("ETag", etag),
    ]
    return head("206 Partial Content", fields, data[start:])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def leave_part(folder: Path, url: str, data: bytes, etag: str = '"v1"') -> Path:
    """A .part with its resume state, as an interrupted earlier attempt leaves it."""
    part_path = folder / "f.bin.part"
    part_path.write_bytes(data)
    ResumeState(part_path, url).remember(etag, len(V1))
    return part_path


# ---- 12.2: judge every answer ------------------------------------------------------------------


def test_a_206_for_the_whole_file_to_a_plain_get_is_the_file(folder: Path) -> None:
    with hostile(answer(part(V1, 0))) as s:
        result = Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert Path(result.path).read_bytes() == V1


def test_a_206_with_only_a_piece_to_a_plain_get_fails_with_a_sentence(folder: Path) -> None:
    piece = head("206 Partial Content", [("Content-Range", "bytes 0-9/1024")], V1[:10])
    with hostile(answer(piece)) as s, pytest.raises(TransferError) as caught:
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert str(caught.value) == (
        f"127.0.0.1:{s.port} sent only bytes 0-9 of 1024 when the whole file was asked for"
    )
    assert os.listdir(folder) == []


BAD_PARTS = {
    "another version": (part(V2, 500, etag='"v2"'), "the file changed on the server"),
    "no validator": (
        head("206 Partial Content", [("Content-Range", "bytes 500-1023/1024")], V2[500:]),
        "the file changed on the server",
    ),
    "another start": (part(V2, 400), "the server sent bytes from 400, not from the 500"),
    "another length": (part(V2 + V2, 500), "the file's length changed"),
    "no Content-Range": (
        head("206 Partial Content", [("ETag", '"v1"'), ("Content-Length", "524")], V1[500:]),
        "without a usable Content-Range",
    ),
    "not to the end": (
        head(
            "206 Partial Content",
            [("ETag", '"v1"'), ("Content-Range", "bytes 500-599/1024")],
            V1[500:600],
        ),
        "does not reach the end",
    ),
}


@pytest.mark.parametrize("case", BAD_PARTS)
def test_a_206_that_does_not_continue_the_part_starts_over_cleanly(folder: Path, case: str) -> None:
    """RFC 9110 §14.4/§13.1.5: parts combine only under the same strong validator and range."""
    bad, why = BAD_PARTS[case]
    with hostile(answer(bad), answer(whole(V2, '"v2"'))) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        leave_part(folder, url, V1[:500])
        result = Download(url, folder).run()
    assert b"Range: bytes=500-" in s.requests[0] and b'If-Range: "v1"' in s.requests[0]
    assert b"Range" not in s.requests[1]  # the second request asks for the whole file
    assert Path(result.path).read_bytes() == V2  # never v1's head with v2's tail
    assert any(why in note and "started over" in note for note in result.notes), result.notes
    assert os.listdir(folder) == ["f.bin"]


def test_a_server_that_keeps_answering_wrongly_fails_with_a_sentence(folder: Path) -> None:
    wrong = part(V2, 500, etag='"v2"')
    piece = head("206 Partial Content", [("Content-Range", "bytes 0-9/1024")], V1[:10])
    with hostile(answer(wrong), answer(piece)) as s, pytest.raises(TransferError) as caught:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        leave_part(folder, url, V1[:500])
        Download(url, folder).run()
    assert "only bytes 0-9 of 1024" in str(caught.value)
    assert "Restart" not in str(caught.value) and not (folder / "f.bin").exists()


def test_content_length_that_disagrees_with_content_range(folder: Path) -> None:
    bad = head(
        "206 Partial Content",
        [("ETag", '"v1"'), ("Content-Range", "bytes 500-1023/1024"), ("Content-Length", "10")],
        V1[500:510],
    )
    with hostile(answer(bad)) as s, pytest.raises(ProtocolError, match="Content-Length 10"):
        url = f"http://127.0.0.1:{s.port}/f.bin"
        leave_part(folder, url, V1[:500])
        Download(url, folder).run()
    assert not (folder / "f.bin").exists()


def test_a_416_for_another_version_starts_over(folder: Path) -> None:
    gone = head("416 Range Not Satisfiable", [("Content-Range", "bytes */500"), ("ETag", '"v2"')])
    with hostile(answer(gone), answer(whole(V2, '"v2"'))) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        leave_part(folder, url, V1[:500])
        result = Download(url, folder).run()
    assert Path(result.path).read_bytes() == V2


# ---- 12.7: list-valued fields on several lines ----------------------------------------------


def test_content_encoding_on_two_lines_is_combined(folder: Path) -> None:
    gzip_bytes = b"\x1f\x8b\x08\x00fake"
    sent = head(
        "200 OK",
        [
            ("Content-Length", str(len(gzip_bytes))),
            ("Content-Encoding", "identity"),
            ("Content-Encoding", "gzip"),
        ],
        gzip_bytes,
    )
    with (
        hostile(answer(sent)) as s,
        pytest.raises(TransferError, match=r"compressed \(identity, gzip\)"),
    ):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert os.listdir(folder) == []


def test_a_repr_digest_on_its_own_line_is_still_checked(folder: Path) -> None:
    good = base64.b64encode(hashlib.sha256(V1).digest()).decode()
    sent = whole(
        V1, extra=[("Repr-Digest", "sha-512=:AAAA:"), ("Repr-Digest", f"sha-256=:{good}:")]
    )
    with hostile(answer(sent)) as s:
        assert Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run().verified


def test_two_different_content_ranges_are_refused(folder: Path) -> None:
    sent = head(
        "206 Partial Content",
        [("Content-Range", "bytes 0-1023/1024"), ("Content-Range", "bytes 0-9/1024")],
        V1,
    )
    with (
        hostile(answer(sent)) as s,
        pytest.raises(ProtocolError, match="2 different Content-Range"),
    ):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert os.listdir(folder) == []


# ---- 12.3: inside TLS, an end without close_notify is a truncation ----------------------------


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ClientTls]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return context, ClientTls(cafile=str(cafile))


def ended_cleanly(data: bytes) -> Handler:
    def handler(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(data)
        assert isinstance(conn, ssl.SSLSocket)
        conn.unwrap()  # close_notify

    return handler


RAGGED_CASES = {
    "raw+tls": ("raw+tls", b""),
    "close-delimited HTTP over TLS": ("https", b"HTTP/1.0 200 OK\r\n\r\n"),
}


@pytest.mark.parametrize("case", RAGGED_CASES)
def test_a_tls_end_without_close_notify_keeps_only_the_part(
    folder: Path, tls_pair: tuple[ssl.SSLContext, ClientTls], case: str
) -> None:
    scheme, prefix = RAGGED_CASES[case]
    context, client = tls_pair
    data = os.urandom(300_000)
    with hostile(answer(prefix + data[:100_000]), context=context) as s:
        url = f"{scheme}://127.0.0.1:{s.port}/f.bin"
        with pytest.raises(TransferError) as caught:
            Download(url, folder, tls=client).run()
    message = str(caught.value)
    assert "ended without close_notify after 100,000 bytes" in message, message
    assert "kept in f.bin.part" in message
    assert os.listdir(folder) == ["f.bin.part"]  # never renamed as if complete
    assert (folder / "f.bin.part").read_bytes() == data[:100_000]


@pytest.mark.parametrize("case", RAGGED_CASES)
def test_a_tls_end_with_close_notify_is_the_end(
    folder: Path, tls_pair: tuple[ssl.SSLContext, ClientTls], case: str
) -> None:
    scheme, prefix = RAGGED_CASES[case]
    context, client = tls_pair
    data = os.urandom(300_000)
    with hostile(ended_cleanly(prefix + data), context=context) as s:
        result = Download(f"{scheme}://127.0.0.1:{s.port}/f.bin", folder, tls=client).run()
    assert Path(result.path).read_bytes() == data


# ---- 12.4: bounded, stoppable, with deadlines --------------------------------------------------


def endless(prefix: bytes, piece: bytes, pause: float = 0.0) -> Handler:
    """Send ``prefix``, then ``piece`` again and again until the client goes away."""

    def handler(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(prefix)
        while True:
            conn.sendall(piece)
            if pause:
                time.sleep(pause)

    return handler


def test_informational_answers_are_bounded(folder: Path) -> None:
    flood = endless(b"", b"HTTP/1.1 100 Continue\r\n\r\n")
    with hostile(flood) as s, pytest.raises(ProtocolError) as caught:
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert f"more than {MAX_INFORMATIONAL} informational (1xx) answers" in str(caught.value)


def cancelling(url: str, folder: Path, **options: object) -> Download:
    """A Download whose first progress event (bytes received, or bytes of a .part checked) asks it
    to stop, from inside its own loop: the very next step must notice."""
    made: list[Download] = []
    download = Download(url, folder, on_progress=lambda _event: made[0].shutdown(), **options)  # type: ignore[arg-type]
    made.append(download)
    return download


ENDLESS_BODIES = {
    "raw": ("raw", b""),
    "chunked": ("http", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
    "close-delimited": ("http", b"HTTP/1.0 200 OK\r\n\r\n"),
}


def piece_for(case: str) -> bytes:
    data = b"x" * 65536
    return b"10000\r\n" + data + b"\r\n" if case == "chunked" else data


@pytest.mark.parametrize("case", ENDLESS_BODIES)
def test_cancel_ends_a_stream_that_never_pauses(folder: Path, case: str) -> None:
    """The stop flag is read before every read, not only when a read would block."""
    scheme, prefix = ENDLESS_BODIES[case]
    with hostile(endless(prefix, piece_for(case))) as s:
        download = cancelling(f"{scheme}://127.0.0.1:{s.port}/f.bin", folder)
        with download, pytest.raises(TransferCancelled):
            download.run()


@pytest.mark.parametrize("case", ENDLESS_BODIES)
def test_a_body_without_length_is_bounded_by_max_size(folder: Path, case: str) -> None:
    scheme, prefix = ENDLESS_BODIES[case]
    with hostile(endless(prefix, piece_for(case))) as s, pytest.raises(TransferError) as caught:
        Download(f"{scheme}://127.0.0.1:{s.port}/f.bin", folder, max_size=1_000_000).run()
    assert "the server kept sending" in str(caught.value)
    assert str(caught.value).endswith(" limit; nothing was kept")
    assert os.listdir(folder) == []


def test_a_file_over_max_size_is_refused_before_a_byte_is_written(folder: Path) -> None:
    with (
        hostile(answer(whole(V1))) as s,
        pytest.raises(TransferError, match=r"over the 100 .* limit"),
    ):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder, max_size=100).run()
    assert os.listdir(folder) == []


def test_the_overall_deadline_ends_a_trickle(folder: Path) -> None:
    trickle = endless(head("200 OK", [("Content-Length", "100000"), ("ETag", '"v1"')]), b"x", 0.01)
    with hostile(trickle) as s, pytest.raises(TransferError) as caught:
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder, timeout=5, deadline=0.5).run()
    assert str(caught.value).startswith("the download did not finish within 0.5 s")
    assert "f.bin.part is kept to resume later" in str(caught.value)


def test_a_download_made_long_before_it_runs_is_not_late(folder: Path) -> None:
    """12.1: deadlines start when the work starts, not when the object is made."""
    with hostile(answer(whole(V1)), listed([])) as s:
        download = Download(f"http://127.0.0.1:{s.port}/f.bin", folder, timeout=0.2, deadline=0.3)
        listing = FileListRequest(f"http://127.0.0.1:{s.port}/", timeout=0.2, deadline=0.3)
        time.sleep(0.5)  # the idle spell under test: longer than every timeout above
        with download, listing:
            assert Path(download.run().path).read_bytes() == V1
            assert listing.run() == []


# ---- 15.6: cancel in every phase ---------------------------------------------------------------


def test_cancel_while_connecting(folder: Path) -> None:
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        # Fill the accept queue so that the next connection attempt stays pending.
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            download = Download(f"http://127.0.0.1:{port}/f.bin", folder, timeout=WAIT)
            timer = threading.Timer(0.2, download.shutdown)
            timer.start()
            with download, pytest.raises(TransferCancelled) as caught:
                download.run()
            timer.join()
        finally:
            for filler in fillers:
                filler.close()
    assert str(caught.value) == "the download was cancelled"  # no .part exists: none is named
    assert os.listdir(folder) == []


def test_cancel_during_a_tls_handshake(
    folder: Path, tls_pair: tuple[ssl.SSLContext, ClientTls]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as mute:  # accepts, never answers the hello
        download = Download(
            f"https://127.0.0.1:{mute.getsockname()[1]}/f.bin", folder, tls=tls_pair[1]
        )
        timer = threading.Timer(0.2, download.shutdown)
        timer.start()
        with download, pytest.raises(TransferCancelled):
            download.run()
        timer.join()


BIG_PART = 8 * 1024 * 1024


def test_cancel_while_the_part_is_checked(folder: Path) -> None:
    data = os.urandom(BIG_PART + 1000)
    with hostile(answer(part(data, BIG_PART, total=len(data)))) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        part_path = folder / "f.bin.part"
        part_path.write_bytes(data[:BIG_PART])
        ResumeState(part_path, url).remember('"v1"', len(data))
        download = cancelling(url, folder)
        with download, pytest.raises(TransferCancelled) as caught:
            download.run()
    assert 0 < download.checked < BIG_PART  # the check stopped early
    assert "f.bin.part is kept to resume later" in str(caught.value)
    assert part_path.stat().st_size == BIG_PART


def test_cancel_while_verifying_a_complete_part(folder: Path) -> None:
    data = os.urandom(BIG_PART)
    gone = head("416 Range Not Satisfiable", [("Content-Range", f"bytes */{BIG_PART}")])
    with hostile(answer(gone)) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        part_path = folder / "f.bin.part"
        part_path.write_bytes(data)
        ResumeState(part_path, url).remember('"v1"', BIG_PART)
        download = cancelling(url, folder)
        with download, pytest.raises(TransferCancelled):
            download.run()
    assert 0 < download.checked < BIG_PART
    assert not (folder / "f.bin").exists()


# ---- 15.4: the .part deleted while downloading -------------------------------------------------


def test_a_deleted_part_is_a_local_problem(folder: Path) -> None:
    trickle = endless(
        head("200 OK", [("Content-Length", "10000000"), ("ETag", '"v1"')]), b"x" * 1000
    )

    def delete_part(_event: DownloadProgress) -> None:
        (folder / "f.bin.part").unlink(missing_ok=True)

    with hostile(trickle) as s:
        download = Download(f"http://127.0.0.1:{s.port}/f.bin", folder, on_progress=delete_part)
        with download, pytest.raises(LocalFileError) as caught:
            download.run()
    assert str(caught.value).endswith(
        "f.bin.part was deleted while downloading, so nothing was saved; download the file again"
    )
    assert "127.0.0.1" not in str(caught.value)


# ---- 24.3 / 24.4: the response head and the list are bounded -----------------------------------


def test_a_large_response_head_under_the_limit_is_read(folder: Path) -> None:
    fields = [(f"X-Filler-{i}", "y" * 400) for i in range(100)]  # about 42 KiB
    with hostile(answer(head("200 OK", [("Content-Length", "1024"), *fields], V1))) as s:
        result = Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert Path(result.path).read_bytes() == V1


def test_a_response_head_over_the_limit_is_refused_and_not_read_on(folder: Path) -> None:
    flood = endless(b"HTTP/1.1 200 OK\r\n", b"X-Flood: " + b"z" * 1000 + b"\r\n")
    with hostile(flood) as s:
        download = Download(f"http://127.0.0.1:{s.port}/f.bin", folder)
        with download, pytest.raises(ProtocolError, match="head is larger than 64 KiB"):
            download.run()
    assert MAX_HEAD < download.received_bytes <= MAX_HEAD + 1
    assert os.listdir(folder) == []


def list_of(count: int) -> bytes:
    item = {"name": "a.txt", "size": 1, "mtime": 0, "sha256": None, "url": "/a.txt"}
    return json.dumps([item] * count).encode()


def test_a_list_over_32_mib_is_refused_and_not_read_on() -> None:
    body = list_of(MAX_LIST // 60 + 1000)
    assert len(body) > MAX_LIST
    close_delimited = b"HTTP/1.0 200 OK\r\n\r\n" + body
    with hostile(answer(close_delimited)) as s:
        request = FileListRequest(f"http://127.0.0.1:{s.port}/")
        with request, pytest.raises(ProtocolError, match="larger than 32 MiB"):
            request.run()
    assert MAX_LIST < request.received_bytes <= MAX_LIST + 128 * 1024


def test_a_list_announced_over_32_mib_is_refused_at_once() -> None:
    announced = head("200 OK", [("Content-Length", str(MAX_LIST + 1))])
    with hostile(endless(announced, b"[" * 65536)) as s:
        request = FileListRequest(f"http://127.0.0.1:{s.port}/")
        with request, pytest.raises(ProtocolError, match="larger than 32 MiB"):
            request.run()
    assert request.received_bytes < 1024 * 1024


# ---- 12.6: list entries ------------------------------------------------------------------------


def listed(items: object) -> Handler:
    body = json.dumps(items).encode()
    return answer(head("200 OK", [("Content-Length", str(len(body)))], body))


def test_what_is_shown_is_what_is_fetched() -> None:
    items = [{"name": "report.pdf", "size": 1, "url": "/payload.exe"}]
    with hostile(listed(items)) as s:
        (entry,) = list_remote_files(f"http://127.0.0.1:{s.port}/")
    assert entry.name == "report.pdf"
    assert entry.url == f"http://127.0.0.1:{s.port}/report.pdf"


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"name": "", "size": 1}, "has no usable name"),
        ({"name": "a", "size": -1}, "has no usable size"),
        ({"name": "a", "size": True}, "has no usable size"),
        ({"name": "a", "size": 1.5}, "has no usable size"),
        ({"name": "a", "size": 1, "mtime": "yesterday"}, "modification time"),
        ({"name": "a", "size": 1, "sha256": "abc"}, "not 64 hex digits"),
        ({"name": "a", "size": 1, "sha256": "g" * 64}, "not 64 hex digits"),
        ("a.txt", "is not an object"),
    ],
)
def test_list_entries_are_checked(item: object, problem: str) -> None:
    expected = f"entry 2 of the file list .* {problem}"
    with (
        hostile(listed([{"name": "ok", "size": 0}, item])) as s,
        pytest.raises(ProtocolError, match=expected),
    ):
        list_remote_files(f"http://127.0.0.1:{s.port}/")


def test_deeply_nested_json_is_a_clear_error() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    sent = head("200 OK", [("Content-Length", str(len(body)))], body)
    with hostile(answer(sent)) as s, pytest.raises(ProtocolError, match="nested too deeply"):
        list_remote_files(f"http://127.0.0.1:{s.port}/")


# ---- 12.11: sentences that are true ------------------------------------------------------------


def test_a_cancel_before_any_part_names_no_part(folder: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        download = Download(f"http://127.0.0.1:{silent.getsockname()[1]}/f.bin", folder)
        timer = threading.Timer(0.2, download.shutdown)
        timer.start()
        with download, pytest.raises(TransferCancelled) as caught:
            download.run()
        timer.join()
    assert str(caught.value) == "the download was cancelled"
    assert os.listdir(folder) == []


# ---- 12.6: the list parser, fuzzed ---------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=30), _JSON),
        "size": st.one_of(st.integers(min_value=-5, max_value=2**64), _JSON),
        "mtime": st.one_of(st.floats(), st.integers(), _JSON),
        "sha256": st.one_of(
            st.none(), st.text("0123456789abcdefABCDEFg", min_size=63, max_size=65)
        ),
        "url": st.one_of(
            st.text(max_size=30),
            st.sampled_from(["/a.txt", "//evil/a.txt", "http://127.0.0.1:1/a.txt", "/%2e%2e/x"]),
        ),
    },
)
_ORIGIN = ShareUrl("http", "127.0.0.1", 8000, "", "/?format=json", "")


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.lists(_ENTRY, max_size=5), _JSON).map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
)
def test_the_list_parser_returns_checked_entries_or_a_protocol_error(body: bytes) -> None:
    try:
        files = parse_list(body, _ORIGIN)
    except ProtocolError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for entry in files:
        assert isinstance(entry.name, str) and 0 < len(entry.name) <= 1024
        assert isinstance(entry.size, int) and 0 <= entry.size < 2**63
        assert math.isfinite(entry.mtime)
        assert entry.sha256 is None or re.fullmatch("[0-9a-f]{64}", entry.sha256)
        # What is shown (the name) is what is fetched and saved (the URL's last segment).
        assert entry.url.startswith("http://127.0.0.1:8000/")
        assert parse_share_url(entry.url).name == entry.name


def test_a_file_larger_than_the_free_space_is_refused_before_writing(folder: Path) -> None:
    huge = head("200 OK", [("Content-Length", str(2**60)), ("ETag", '"v1"')], b"x" * 1000)
    with hostile(answer(huge)) as s, pytest.raises(TransferError) as caught:
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert "free" in str(caught.value) and str(folder) in str(caught.value)
    assert os.listdir(folder) == []


@pytest.mark.parametrize(
    ("url", "resumable", "advice"),
    [
        (
            "http://127.0.0.1:9/f.bin",
            True,
            "f.bin.part is kept: free some space, then run the download again to resume",
        ),
        (
            "raw://127.0.0.1:9/f.bin",
            False,
            "nothing was kept: free some space, then download it again",
        ),
    ],
)
def test_a_full_disk_promises_a_resume_only_when_one_can_happen(
    folder: Path, url: str, resumable: bool, advice: str
) -> None:
    """12.4: the sentence after ENOSPC, for a .part with resume state and for a raw one."""
    part_path = folder / "f.bin.part"
    part_path.write_bytes(b"x" * 10)
    with Download(url, folder) as download:
        download._part, download._resumable = part_path, resumable
        error = download._os_error(OSError(errno.ENOSPC, "No space left on device"))
    assert str(error) == f"cannot write into {folder}: the disk is full; {advice}"
    assert part_path.exists() == resumable  # a .part that cannot be resumed gives its space back


def test_bytes_after_a_content_length_body_are_not_the_file(folder: Path) -> None:
    with hostile(answer(whole(V1) + b"HTTP/1.1 200 OK\r\n\r\nextra")) as s:
        result = Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert Path(result.path).read_bytes() == V1


# ---- the judgment itself, without sockets --------------------------------------------------------

_URL = ShareUrl("http", "127.0.0.1", 8000, "f.bin", "/f.bin", "f.bin")
_RANGE = ("Content-Range", "bytes 500-1023/1024")
JUDGE_CASES: list[tuple[int, list[tuple[str, str]], int, object]] = [
    # (status, fields, offset asked, expected (offset, total, length) or an error and its words);
    # the .part's stored length is 1024, but 500 for the 416 rows that ask from 500.
    (200, [("Content-Length", "1024"), ("ETag", '"v1"')], 0, (0, 1024, 1024)),
    (200, [("Content-Length", "1024"), ("ETag", '"v2"')], 500, (0, 1024, 1024)),
    (206, [("Content-Range", "bytes 0-1023/1024")], 0, (0, 1024, 1024)),
    (206, [_RANGE, ("ETag", '"v1"')], 500, (500, 1024, 524)),
    (206, [_RANGE, ("ETag", '"v1"'), ("Content-Length", "524")], 500, (500, 1024, 524)),
    (206, [("Content-Range", "bytes 0-9/1024")], 0, (TransferError, "only bytes 0-9 of 1024")),
    (206, [_RANGE, ("ETag", '"v2"')], 500, (Restart, "changed on the server")),
    (206, [_RANGE, ("ETag", 'W/"v1"')], 500, (Restart, "changed on the server")),
    (206, [_RANGE], 500, (Restart, "changed on the server")),
    (206, [("Content-Range", "bytes 400-1023/1024"), ("ETag", '"v1"')], 500, (Restart, "from 400")),
    (206, [("Content-Range", "bytes 500-1023/*"), ("ETag", '"v1"')], 500, (Restart, "usable")),
    (206, [("Content-Range", "bytes 500-1999/2000"), ("ETag", '"v1"')], 500, (Restart, "length")),
    (206, [("Content-Range", "bytes 500-599/1024"), ("ETag", '"v1"')], 500, (Restart, "end of")),
    (206, [_RANGE, ("ETag", '"v1"'), ("Content-Length", "9")], 500, (ProtocolError, "Length 9")),
    (416, [("Content-Range", "bytes */500")], 500, (500, 500, 0)),
    (416, [("Content-Range", "bytes */900")], 500, (Restart, "not the one")),
    (416, [("Content-Range", "bytes */500"), ("ETag", '"v2"')], 500, (Restart, "not the one")),
    (416, [("Content-Range", "bytes */1024")], 0, (TransferError, "answered 416")),
    (200, [("Content-Encoding", "identity"), ("Content-Encoding", "br")], 0, (TransferError, "br")),
]


@pytest.mark.parametrize(("status", "fields", "offset", "expected"), JUDGE_CASES)
def test_judge_response(
    status: int, fields: list[tuple[str, str]], offset: int, expected: object
) -> None:
    response = h11.Response(status_code=status, headers=fields)
    stored = 500 if (status, offset) == (416, 500) else 1024
    judged = functools.partial(
        judge_response, response, _URL, offset=offset, if_range='"v1"', stored_total=stored
    )
    assert isinstance(expected, tuple)
    if isinstance(expected[0], type):
        error, words = expected
        with pytest.raises(error, match=words):
            judged()
    else:
        plan = judged()
        assert (plan.offset, plan.total, plan.length) == expected


def test_a_416_when_the_file_shrank_to_the_part_starts_over() -> None:
    response = h11.Response(status_code=416, headers=[("Content-Range", "bytes */500")])
    with pytest.raises(Restart, match="not the one"):
        judge_response(response, _URL, offset=500, if_range='"v1"', stored_total=1024)


def test_a_part_with_the_old_linux_xattr_state_still_resumes(folder: Path) -> None:
    """13.2: .part files left by earlier Linux versions kept their state in a user xattr."""
    with hostile(answer(part(V1, 500))) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        part_path = folder / "f.bin.part"
        part_path.write_bytes(V1[:500])
        stored = {"url": url, "validator": '"v1"', "total": len(V1)}
        os.setxattr(part_path, "user.swb.resume", json.dumps(stored).encode())
        result = Download(url, folder).run()
    assert b"Range: bytes=500-" in s.requests[0] and b'If-Range: "v1"' in s.requests[0]
    assert Path(result.path).read_bytes() == V1 and "resumed after 500 bytes" in result.notes
    assert "user.swb.resume" not in os.listxattr(result.path)
    assert os.listdir(folder) == ["f.bin"]


def test_a_host_name_is_looked_up_and_every_later_wait_still_works(folder: Path) -> None:
    """The name lookup runs beside the loop (so Cancel works during it); its wake-up must not be
    taken for a cancel by the waits that follow."""
    with hostile(answer(whole(V1)), listed([{"name": "f.bin", "size": 1024}])) as s:
        result = Download(f"http://localhost:{s.port}/f.bin", folder).run()
        (entry,) = list_remote_files(f"http://localhost:{s.port}/")
    assert Path(result.path).read_bytes() == V1
    assert entry.url == f"http://localhost:{s.port}/f.bin"


def test_a_download_stopped_before_it_runs_ends_at_once(folder: Path) -> None:
    download = Download("http://localhost:9/f.bin", folder)
    download.shutdown()
    with download, pytest.raises(TransferCancelled, match=r"^the download was cancelled$"):
        download.run()
