"""The download client: URLs, safe names, resume, verification, and odd servers (tiny in-test ones)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.download import (
    Download,
    ShareUrl,
    TransferCancelled,
    list_remote_files,
    parse_share_url,
    safe_file_name,
)
from net.errors import AddressError, ConnectError, NetError, ProtocolError, TransferError
from net.events import DownloadProgress, TransferStarted
from net.fileserver import FileServer
from net.share import LocalFileError, ShareTable
from net.tls import ClientTls
from tests.conftest import WAIT
from tests.net.test_fileserver import ODD_NAMES, PUBLIC, Served, running, serve_folder, url_path

# ---- URLs and names -------------------------------------------------------------------------------

URL_CASES = [
    (
        "http://127.0.0.1:8000/a.txt",
        ShareUrl("http", "127.0.0.1", 8000, "a.txt", "/a.txt", "a.txt"),
    ),
    (
        "HTTP://Example.ORG/a%20b.txt",
        ShareUrl("http", "example.org", 80, "a b.txt", "/a%20b.txt", "a b.txt"),
    ),
    ("https://[::1]:8443/x", ShareUrl("https", "::1", 8443, "x", "/x", "x")),
    (
        "http://h:1/dir/file.bin",
        ShareUrl("http", "h", 1, "file.bin", "/dir/file.bin", "dir/file.bin"),
    ),
    ("http://h:1/", ShareUrl("http", "h", 1, "", "/", "")),
    ("http://h:1", ShareUrl("http", "h", 1, "", "/", "")),
    (
        "http://h:1/中文 报告.txt",
        ShareUrl(
            "http",
            "h",
            1,
            "中文 报告.txt",
            "/%E4%B8%AD%E6%96%87%20%E6%8A%A5%E5%91%8A.txt",
            "中文 报告.txt",
        ),
    ),
    (
        "http://h:1/a.txt?x=1#frag",
        ShareUrl("http", "h", 1, "a.txt", "/a.txt?x=1", "a.txt?x=1#frag"),
    ),
    (
        "http://h:1/%2e%2e%2fetc%2fpasswd",
        ShareUrl("http", "h", 1, "../etc/passwd", "/%2e%2e%2fetc%2fpasswd", "../etc/passwd"),
    ),
    (
        "raw://10.0.0.1:5000/report.pdf",
        ShareUrl("raw", "10.0.0.1", 5000, "report.pdf", "/report.pdf", "report.pdf"),
    ),
    ("raw://h:5000/what?#.txt", ShareUrl("raw", "h", 5000, "what", "/what", "what?#.txt")),
    ("  http://h:2/x  ", ShareUrl("http", "h", 2, "x", "/x", "x")),
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_parse_share_url(url: str, expected: ShareUrl) -> None:
    assert parse_share_url(url) == expected


BAD_URLS = [
    ("", "empty"),
    ("127.0.0.1:8000/a", "not a URL"),
    ("ftp://h/a", "not supported"),
    ("http://h:70000/a", "out of range"),
    ("http://h:0/a", "port 0"),
    ("http://h:x/a", "not a number"),
    ("http:///a", "no host"),
    ("http://user@h/a", "user names"),  # a share password is http://:pw@h/a
    ("http://[::1/a", "closing"),
    ("http://::1:80/a", "brackets"),
    ("raw://h/a", "needs a port"),
    ("http://bad_host!/a", "not a valid host"),
]


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        parse_share_url(url)


def test_download_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(AddressError, match="names no file"):
        Download("http://127.0.0.1:8000/", tmp_path)


NAME_CASES = [
    ("report.pdf", "report.pdf"),
    ("中文 报告.txt", "中文 报告.txt"),
    ("a/b", "a_b"),
    ("../../etc/passwd", ".._.._etc_passwd"),
    ("..", "download"),
    (".", "download"),
    ("...", "download"),
    ("", "download"),
    ("a\\b", "a_b"),
    ("a\x00b\nc\x7f\x85", "a_b_c__"),
    ("  spaced  ", "spaced"),
    ("what?.txt", "what?.txt"),
    ("x" * 300 + ".txt", "x" * 196 + ".txt"),
    ("文" * 100, "文" * 66),
    ("report\u202efdp.exe", "report_fdp.exe"),  # would show as "reportexe.pdf"
    ("a\u2028b\u2029c", "a_b_c"),
]


@pytest.mark.parametrize(("name", "expected"), NAME_CASES)
def test_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_name(name, windows=False) == expected


WINDOWS_CASES = [
    ("what?.txt", "what_.txt"),
    ('a<b>c:d"e|f*g', "a_b_c_d_e_f_g"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("trailing. . ", "trailing"),
    ("C:\\Windows\\x", "C__Windows_x"),
    ("CON .txt", "_CON .txt"),  # Windows ignores the spaces: still the console
    ("COM0", "_COM0"),
    ("lpt\u00b9.log", "_lpt\u00b9.log"),
    ("CONOUT$", "_CONOUT$"),
    ("x" * 300 + ". .", "x" * 200),
]


@pytest.mark.parametrize(("name", "expected"), WINDOWS_CASES)
def test_safe_file_name_on_windows(name: str, expected: str) -> None:
    assert safe_file_name(name, windows=True) == expected


# ---- against our server ---------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    (tmp_path / "srv").mkdir()
    with serve_folder(tmp_path / "srv") as s:
        yield s


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def base(s: Served) -> str:
    return f"http://127.0.0.1:{s.port}"


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_http_and_raw(served: Served, folder: Path, name: str) -> None:
    result = Download(base(served) + url_path(name), folder).run()
    assert Path(result.path) == folder / name
    assert Path(result.path).read_bytes() == name.encode() * 3
    assert result.verified and result.sha256 == hashlib.sha256(name.encode() * 3).hexdigest()
    raw = Download(f"raw://127.0.0.1:{served.port}{url_path(name)}", folder).run()
    assert Path(raw.path).read_bytes() == name.encode() * 3
    assert not raw.verified
    assert sorted(os.listdir(folder)) == sorted([name, Path(raw.path).name])


def test_second_download_gets_a_numbered_name(served: Served, folder: Path) -> None:
    first = Download(base(served) + "/public.txt", folder).run()
    second = Download(base(served) + "/public.txt", folder).run()
    assert Path(first.path).name == "public.txt"
    assert Path(second.path).name == "public (2).txt"


def test_the_path_is_where_the_file_was_saved_when_the_name_was_taken_meanwhile(
    served: Served, folder: Path
) -> None:
    """Another program creating the name during the download: the file is saved as "name (2)",
    and Download.path says so (a script reading it must not open the other program's file)."""
    served.server.rate_limit = len(PUBLIC) * 4  # several progress events

    def take_the_name(_event: DownloadProgress) -> None:
        if not (folder / "public.txt").exists():
            (folder / "public.txt").write_bytes(b"someone else's")

    download = Download(base(served) + "/public.txt", folder, on_progress=take_the_name)
    result = download.run()
    assert Path(result.path).name == "public (2).txt"
    assert download.path == Path(result.path)
    assert (folder / "public.txt").read_bytes() == b"someone else's"


def test_progress_events(served: Served, folder: Path) -> None:
    events: list[DownloadProgress] = []
    served.server.rate_limit = len(PUBLIC) * 4
    result = Download(base(served) + "/public.txt", folder, on_progress=events.append).run()
    assert events and events[-1].received == result.size == len(PUBLIC)
    assert all(e.total == len(PUBLIC) for e in events)
    assert [e.received for e in events] == sorted(e.received for e in events)


@contextmanager
def cancelled_midway(served: Served, folder: Path, name: str = "public.txt") -> Iterator[Path]:
    """Start a throttled download, cancel it once bytes arrived; yields the .part left behind."""
    served.server.rate_limit = 200
    download = Download(base(served) + "/" + name, folder)
    got_bytes = threading.Event()

    errors: list[BaseException] = []

    def run() -> None:
        try:
            download.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    part = folder / (name + ".part")
    try:
        served.log.wait(lambda ev: any(isinstance(e, TransferStarted) for e in ev))
        while not got_bytes.is_set():
            if part.exists() and part.stat().st_size > 0:
                got_bytes.set()
            else:
                got_bytes.wait(0.01)
        download.shutdown()
        thread.join(WAIT)
        assert not thread.is_alive()
    finally:
        download.shutdown()
        thread.join(WAIT)
        download.close()
        served.server.rate_limit = None
    assert len(errors) == 1 and isinstance(errors[0], TransferCancelled), errors
    assert f"{name}.part is kept to resume later" in str(errors[0])
    assert sorted(os.listdir(folder)) == [name + ".part", name + ".part.resume"]
    yield part


def test_cancel_then_resume(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder) as part:
        kept = part.stat().st_size
        assert 0 < kept < len(PUBLIC)
    result = Download(base(served) + "/public.txt", folder).run()
    assert Path(result.path).read_bytes() == PUBLIC
    assert result.verified
    assert f"resumed after {kept} bytes" in result.notes
    assert os.listdir(folder) == ["public.txt"]


def test_resume_after_the_file_changed_starts_over(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder):
        pass
    changed = b"CHANGED " * 500
    (served.folder / "public.txt").write_bytes(changed)
    result = Download(base(served) + "/public.txt", folder).run()
    assert Path(result.path).read_bytes() == changed
    assert "the server sent the whole file again, so it started over" in result.notes


def test_part_larger_than_the_file_starts_over(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder) as part:
        pass
    with open(part, "ab") as f:
        f.write(b"x" * (2 * len(PUBLIC)))  # keeps its stored validator
    result = Download(base(served) + "/public.txt", folder).run()
    assert Path(result.path).read_bytes() == PUBLIC


def test_part_that_is_already_complete(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder) as part:
        pass
    with open(part, "r+b") as f:
        f.write(PUBLIC)
    result = Download(base(served) + "/public.txt", folder).run()
    assert Path(result.path).read_bytes() == PUBLIC
    assert result.verified
    assert "the earlier part already held the whole file" in result.notes


def test_part_from_elsewhere_is_not_trusted(served: Served, folder: Path) -> None:
    (folder / "public.txt.part").write_bytes(b"garbage from another program")
    result = Download(base(served) + "/public.txt", folder).run()
    assert Path(result.path).read_bytes() == PUBLIC
    assert "public.txt.part had no resume state for this URL, so it started over" in result.notes


def test_no_resume_option(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder):
        pass
    result = Download(base(served) + "/public.txt", folder, resume=False).run()
    assert Path(result.path).read_bytes() == PUBLIC and not result.notes


def test_list_remote_files(served: Served) -> None:
    files = list_remote_files(base(served) + "/anything")
    assert [f.name for f in files] == ["public.txt", *ODD_NAMES]
    assert files[0].size == len(PUBLIC)
    assert files[0].sha256 == hashlib.sha256(PUBLIC).hexdigest()
    assert files[0].url == base(served) + "/public.txt"
    assert files[ODD_NAMES.index("what?.txt") + 1].url == base(served) + "/what%3F.txt"
    with pytest.raises(AddressError, match="no file list"):
        list_remote_files(f"raw://127.0.0.1:{served.port}/")


def test_errors(served: Served, folder: Path, tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="has no file named 'nope'"):
        Download(base(served) + "/nope", folder).run()
    with pytest.raises(TransferError, match="without sending anything"):
        Download(f"raw://127.0.0.1:{served.port}/nope", folder).run()
    with pytest.raises(LocalFileError, match="does not exist"):
        Download(base(served) + "/public.txt", tmp_path / "missing").run()
    assert os.listdir(folder) == []
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ConnectError, match="refused"):
        Download(f"http://127.0.0.1:{port}/x", folder).run()


def test_https_download(tmp_path: Path, folder: Path) -> None:
    import ssl

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    (tmp_path / "srv").mkdir()
    with serve_folder(tmp_path / "srv", ssl_context=context) as s:
        url = f"https://127.0.0.1:{s.port}/public.txt"
        result = Download(url, folder, tls=ClientTls(cafile=str(cafile))).run()
        assert Path(result.path).read_bytes() == PUBLIC and result.verified
        listed = list_remote_files(url, tls=ClientTls(cafile=str(cafile)))
        assert listed[0].name == "public.txt"
        with pytest.raises(ConnectError):
            Download(url, folder).run()  # the system's CAs do not know this one
        raw = Download(
            f"raw://127.0.0.1:{s.port}/public.txt", folder, tls=ClientTls(cafile=str(cafile))
        )
        assert Path(raw.run().path).read_bytes() == PUBLIC


# ---- against tiny in-test servers ---------------------------------------------------------------


class Canned:
    """Answers each connection with the next canned response (bytes, or a function of the request)."""

    def __init__(self, responses: list[bytes | Callable[[bytes], bytes]]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]
        self.responses = responses
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        for response in self.responses:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(WAIT)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                self.requests.append(request)
                data = response(request) if callable(response) else response
                try:
                    conn.sendall(data)
                    conn.shutdown(socket.SHUT_WR)
                    conn.recv(1)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


@contextmanager
def canned(*responses: bytes | Callable[[bytes], bytes]) -> Iterator[Canned]:
    server = Canned(list(responses))
    try:
        yield server
    finally:
        server.close()


BODY = b"0123456789" * 100


def response(
    status: str = "200 OK",
    body: bytes = BODY,
    headers: dict[str, str] | None = None,
    version: str = "HTTP/1.1",
) -> bytes:
    lines = [f"{version} {status}"]
    fields = {"Content-Length": str(len(body)), **(headers or {})}
    lines += [f"{k}: {v}" for k, v in fields.items() if v is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def digest_of(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def test_wrong_digest_keeps_nothing(folder: Path) -> None:
    answer = response(headers={"Repr-Digest": digest_of(b"something else")})
    with canned(answer) as s, pytest.raises(TransferError, match="does not match the SHA-256"):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert os.listdir(folder) == []


def test_right_digest_and_legacy_digest(folder: Path) -> None:
    legacy = "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    with canned(
        response(headers={"Repr-Digest": digest_of(BODY)}), response(headers={"Digest": legacy})
    ) as s:
        for _ in range(2):
            assert Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run().verified


def test_redirects_are_reported(folder: Path) -> None:
    answer = response("302 Found", b"", {"Location": "http://elsewhere/f.bin"})
    with canned(answer) as s, pytest.raises(TransferError, match=r"redirects to http://elsewhere/"):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (response("403 Forbidden", b""), "refused access"),
        (response("500 Internal Server Error", b""), "failed"),
        (response("418 I'm a teapot", b""), "answered 418"),
        (response(headers={"Content-Encoding": "gzip"}), "compressed"),
        (b"hello, this is not HTTP\r\n\r\n", "did not answer in HTTP/1.1"),
        (b"", "closed the connection without an answer"),
        # Counts are written as everywhere else in swb's sentences (1,829,472 of 20,000,000).
        (response(body=BODY)[:-100], "ended after 900 of 1,000 bytes"),
    ],
)
def test_server_answers_that_fail(folder: Path, answer: bytes, message: str) -> None:
    with canned(answer) as s, pytest.raises(NetError, match=message):
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    assert not (folder / "f.bin").exists()


HOSTILE_TEXT = "\x9b2J\x9b31mboo"  # CSI in latin-1 obs-text: clear screen, red


@pytest.mark.parametrize(
    "answer",
    [
        response(f"418 {HOSTILE_TEXT}", b""),
        response("302 Found", b"", {"Location": f"http://x/{HOSTILE_TEXT}"}),
        response(headers={"Content-Encoding": HOSTILE_TEXT}),
    ],
)
def test_server_text_in_messages_is_escaped(folder: Path, answer: bytes) -> None:
    answer = answer.decode().encode("latin-1")  # the bytes 0x9b, as a hostile server sends them
    with canned(answer) as s, pytest.raises(TransferError) as caught:
        Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
    message = str(caught.value)
    assert "\\x9b2" in message
    assert all(ch.isprintable() for ch in message), repr(message)


def test_chunked_and_close_delimited_bodies(folder: Path) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (BODY[:300], BODY[300:]))
        + b"0\r\n\r\n"
    )
    close_delimited = b"HTTP/1.0 200 OK\r\n\r\n" + BODY
    with canned(chunked, close_delimited) as s:
        for _ in range(2):
            result = Download(f"http://127.0.0.1:{s.port}/f.bin", folder).run()
            assert Path(result.path).read_bytes() == BODY and not result.verified


def test_server_without_ranges_means_start_over(served: Served, folder: Path) -> None:
    with cancelled_midway(served, folder):
        pass
    with canned(response(body=PUBLIC, headers={"ETag": '"other"'})) as s:
        # The .part belongs to another URL: not even a Range is sent.
        part = folder / "public.txt.part"
        result = Download(f"http://127.0.0.1:{s.port}/public.txt", folder).run()
        assert b"Range" not in s.requests[0]
        assert Path(result.path).read_bytes() == PUBLIC and not part.exists()


def test_200_instead_of_206(folder: Path) -> None:
    etag = '"v1"'
    first = response(body=BODY, headers={"ETag": etag})[:-500]  # cut short: a .part is left
    with canned(first, response(body=BODY, headers={"ETag": etag})) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        with pytest.raises(TransferError, match="ended after 500 of 1,000"):
            Download(url, folder).run()
        assert (folder / "f.bin.part").stat().st_size == 500
        result = Download(url, folder).run()
        assert b"Range: bytes=500-" in s.requests[1] and b'If-Range: "v1"' in s.requests[1]
        assert Path(result.path).read_bytes() == BODY
        assert "the server sent the whole file again, so it started over" in result.notes


def test_206_resume_from_another_server(folder: Path) -> None:
    etag = '"v1"'
    first = response(body=BODY, headers={"ETag": etag})[:-400]
    rest = response(
        "206 Partial Content",
        BODY[600:],
        {"ETag": etag, "Content-Range": "bytes 600-999/1000", "Repr-Digest": digest_of(BODY)},
    )
    with canned(first, rest) as s:
        url = f"http://127.0.0.1:{s.port}/f.bin"
        with pytest.raises(TransferError):
            Download(url, folder).run()
        result = Download(url, folder).run()
        assert Path(result.path).read_bytes() == BODY and result.verified


def test_idle_server_times_out(folder: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(TransferError) as caught:
            Download(f"http://127.0.0.1:{port}/f.bin", folder, timeout=0.3).run()
    # It never sent a byte: no "stopped sending", and no resume is promised.
    assert (
        str(caught.value) == f"127.0.0.1:{port} accepted the connection but sent nothing for 0.3 s"
    )


def test_shutdown_while_waiting(folder: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        download = Download(f"http://127.0.0.1:{silent.getsockname()[1]}/f.bin", folder)
        timer = threading.Timer(0.2, download.shutdown)
        timer.start()
        try:
            with pytest.raises(TransferCancelled):
                download.run()
        finally:
            timer.join()
            download.close()


def test_list_from_a_server_that_is_not_a_share() -> None:
    with canned(response(body=b"<html>hello</html>"), response("404 Not Found", b"")) as s:
        for _ in range(2):
            with pytest.raises(ProtocolError, match="Socket Workbench share"):
                list_remote_files(f"http://127.0.0.1:{s.port}/")


def test_never_writes_outside_the_folder(served: Served, folder: Path) -> None:
    hostile = folder / "inner"
    hostile.mkdir()
    with canned(response(body=b"evil")) as s:
        result = Download(f"http://127.0.0.1:{s.port}/%2e%2e%2fescape.txt", hostile).run()
    assert Path(result.path) == hostile / ".._escape.txt"
    assert not (folder / "escape.txt").exists()


@pytest.mark.requires_ipv6
def test_share_used_by_both_sides(tmp_path: Path) -> None:
    """A FileServer on ::1 and a Download from it (IPv6 end to end)."""
    data = os.urandom(300_000)
    (tmp_path / "v6.bin").write_bytes(data)
    (tmp_path / "out").mkdir()
    with ShareTable() as share:
        share.add(tmp_path / "v6.bin")
        with running(FileServer(share, "::1", 0)) as server:
            result = Download(f"http://[::1]:{server.port}/v6.bin", tmp_path / "out").run()
    assert Path(result.path).read_bytes() == data


def test_list_links_never_point_elsewhere() -> None:
    """A share's list names files on that share: links to other hosts or schemes are not taken."""
    items = [
        {"name": "a.txt", "size": 1, "url": "//evil.example/a.txt"},
        {"name": "b.txt", "size": 1, "url": "http://10.0.0.1:9/b.txt"},
        {"name": "c.txt", "size": 1, "url": "javascript:alert(1)"},
        {"name": "d e.txt", "size": 1, "url": "/d%20e.txt"},
        {"name": "f.txt", "size": 1},
    ]
    with canned(response(body=json.dumps(items).encode())) as s:
        listed = list_remote_files(f"http://127.0.0.1:{s.port}/")
    origin = f"http://127.0.0.1:{s.port}/"
    assert [f.url for f in listed] == [
        origin + "a.txt",
        origin + "b.txt",
        origin + "c.txt",
        origin + "d%20e.txt",
        origin + "f.txt",
    ]


def test_a_download_closes_each_file_it_opens_exactly_once(
    served: Served, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second close of the same number can shut a file another thread has just opened under it:
    # with four downloads at once in one process, 28 of 300 failed with "bad file descriptor".
    events: list[tuple[str, int]] = []
    real_open, real_close = os.open, os.close

    def recording_open(path: str | os.PathLike[str], flags: int, *args: int, **kw: int) -> int:
        fd = real_open(path, flags, *args, **kw)
        events.append(("open", fd))
        return fd

    def recording_close(fd: int) -> None:
        events.append(("close", fd))
        real_close(fd)

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(os, "close", recording_close)
    for url in (base(served) + "/public.txt", f"raw://127.0.0.1:{served.port}/public.txt"):
        events.clear()
        Download(url, folder).run()
        opened = {fd for kind, fd in events if kind == "open"}
        assert opened, url
        is_open: dict[int, bool] = {}
        for kind, fd in events:
            if kind == "open":
                is_open[fd] = True
            elif fd in opened:
                assert is_open.get(fd), f"{url}: fd {fd} closed twice: {events}"
                is_open[fd] = False
        assert not any(is_open.values()), f"{url}: left open: {events}"
