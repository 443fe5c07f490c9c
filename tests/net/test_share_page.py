"""The share's pages and file answers as headers and bytes: charsets, Content-Disposition, the
security headers, the index's words and policy, the favicon, and plain HTTP on a TLS port.
Pure rules are tables; the rest asks a real server with curl, wget and http.client."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import ssl
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from net.fileserver import FileServer
from net.httpfile import content_disposition, content_type, shown_inline, text_charset
from net.share import SharedFile, ShareTable
from net.sharepage import (
    SCRIPT,
    STYLE,
    choose_language,
    favicon,
    https_hint,
    index_csp,
    page_origin,
    render_index,
)
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_fileserver import exchange, get, read_to_end, running, status_of

CHINESE = "你好，世界。这是一份中文说明。\n"

CHARSET_CASES = [
    (b"plain ASCII\n", "utf-8"),
    (CHINESE.encode(), "utf-8"),
    (CHINESE.encode()[:-2], "utf-8"),  # a character cut at the end of the sample
    (CHINESE.encode("gb18030"), "gb18030"),
    ("简体中文夹杂 GBK 才有的字：堃".encode("gbk"), "gb18030"),
    ("繁體中文".encode("big5"), None),  # Big5 is not judged (not GB2312-shaped)
    ("café, été, élève, naïve".encode("latin-1"), None),  # decodes as GB18030, but is not Chinese
    ("Grüße aus Köln".encode("latin-1"), None),
    (b"\xef\xbb\xbfBOM", "utf-8"),
    ("UTF-16".encode("utf-16"), "utf-16le"),
    (b"binary\0\xff\xfe\x00", None),
    (b"\xff\xff\xff", None),
    (b"", "utf-8"),
]


@pytest.mark.parametrize(("sample", "expected"), CHARSET_CASES)
def test_text_charset(sample: bytes, expected: str | None) -> None:
    assert text_charset(sample) == expected


@pytest.mark.parametrize(
    ("name", "sample", "expected"),
    [
        ("a.txt", CHINESE.encode(), "text/plain; charset=utf-8"),
        ("说明.md", CHINESE.encode("gb18030"), "text/markdown; charset=gb18030"),
        ("fix.patch", b"--- a\n+++ b\n", "text/x-diff; charset=utf-8"),
        ("server.log", b"started\n", "text/plain; charset=utf-8"),
        ("data.json", b"{}", "application/json; charset=utf-8"),
        ("latin.txt", "café été".encode("latin-1"), "text/plain"),
        ("photo.png", b"\x89PNG", "image/png"),
        ("a.txt", None, "text/plain"),
    ],
)
def test_content_type_with_a_charset(name: str, sample: bytes | None, expected: str) -> None:
    assert content_type(name, sample) == expected


@pytest.mark.parametrize(
    ("media_type", "inline"),
    [
        ("text/plain; charset=utf-8", True),
        ("text/markdown", True),
        ("text/x-diff", True),
        ("application/json", True),
        ("image/png", True),
        ("video/mp4", True),
        ("audio/mpeg", True),
        ("text/html; charset=utf-8", False),
        ("image/svg+xml", False),
        ("text/xml", False),
        ("application/xml", False),
        ("application/xhtml+xml", False),
        ("text/javascript", False),
        ("application/pdf", False),
        ("application/wasm", False),
        ("application/octet-stream", False),
    ],
)
def test_only_passive_types_are_shown_inline(media_type: str, inline: bool) -> None:
    assert shown_inline(media_type) is inline


DISPOSITION_NAMES = [
    ("readme (2).txt", "readme (2).txt"),
    ("中文 报告.txt", "_ _.txt"),
    ('say "hi" \\ 100%.txt', "say _hi_ _ 100_.txt"),
    ("party 🎉.txt", "party _.txt"),
    ("evil\r\nname.txt", "evil_name.txt"),
    ("", "download"),
]


@pytest.mark.parametrize(("name", "fallback"), DISPOSITION_NAMES)
def test_content_disposition_carries_the_exact_name(name: str, fallback: str) -> None:
    value = content_disposition(name, inline=False)
    assert value.isascii() and "\r" not in value and "\n" not in value
    assert value.startswith("attachment; ")
    assert f'filename="{fallback}"' in value
    # RFC 8187 §3.2.1: ext-value = charset "'" [ language ] "'" value-chars (attr-char / %XX).
    encoded = re.fullmatch(r".*; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]*)", value)
    assert encoded, value
    assert urllib.parse.unquote(encoded.group(1), errors="strict") == name
    assert content_disposition(name, inline=True).startswith("inline; ")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("zh-TW", "zh_CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.5, zh;q=0.6", "zh_CN"),
        ("fr-FR, de;q=0.9", "en"),
        ("fr-FR, zh;q=0.1", "zh_CN"),
        ("zh;q=0, en", "en"),
        ("*", "en"),
        ("zh;q=abc, en", "en"),
        ("garbage;;;, zh-CN", "zh_CN"),
    ],
)
def test_choose_language(header: str | None, expected: str) -> None:
    assert choose_language(header) == expected


@pytest.mark.parametrize(
    ("host", "local", "tls", "expected"),
    [
        (b"share.lan:8000", ("10.0.0.2", 8000), False, "http://share.lan:8000"),
        (b"[::1]:8443", ("::1", 8443, 0, 0), True, "https://[::1]:8443"),
        (b"evil.example/<script>", ("127.0.0.1", 8000), False, "http://127.0.0.1:8000"),
        (b"a b", ("::ffff:192.168.1.5", 8000, 0, 0), False, "http://192.168.1.5:8000"),
        (None, ("fe80::1", 9000, 0, 2), False, "http://[fe80::1]:9000"),
    ],
)
def test_page_origin(
    host: bytes | None, local: tuple[object, ...], tls: bool, expected: str
) -> None:
    assert page_origin(host, local, tls=tls) == expected


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _files(*names: str, sha256: str | None = "ab" * 32) -> list[SharedFile]:
    return [
        SharedFile(name, Path("/nowhere") / str(i), 1536 * (i + 1), 1_700_000_000 + i, sha256)
        for i, name in enumerate(names)
    ]


def test_index_policy_allows_exactly_its_own_script_and_style() -> None:
    page = render_index(_files("a.txt")).decode()
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert scripts == [SCRIPT] and styles == [STYLE]
    assert f"script-src {_csp_hash(SCRIPT)};" in index_csp()
    assert f"style-src {_csp_hash(STYLE)};" in index_csp()
    assert "default-src 'none'" in index_csp() and "frame-ancestors 'none'" in index_csp()
    assert not re.search(r"<[^>]+ (style|on[a-z]+)=", page)  # no inline styles or handlers


def test_index_rows_sizes_dates_totals_and_commands() -> None:
    files = _files("b.txt", "中文 报告.txt", "-rf", "it's.txt")
    page = render_index(files, origin="http://h:8000").decode()
    # Sorted by name, sizes with a no-break space, ISO 8601 dates with the UTC offset.
    assert page.index("-rf") < page.index("b.txt") < page.index("it&#x27;s.txt")
    assert "1.5&nbsp;KiB" in page and 'title="1,536 bytes"' in page
    assert re.search(r'<time datetime="2023-11-1\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d">', page)
    assert "4 files, 15.0 KiB in total" in page
    assert "curl -fo &#x27;中文 报告.txt&#x27; http://h:8000/%E4%B8%AD%E6%96%87%20" in page
    assert "curl -fOJ http://h:8000/-rf" in page  # a name that looks like an option stays out
    assert "curl -fo &#x27;it&#x27;&quot;&#x27;&quot;&#x27;s.txt&#x27;" in page
    assert "wget --content-disposition http://h:8000/-rf http://h:8000/b.txt " in page
    assert "<code>abababababab…</code>" in page and f'<code class="full">{"ab" * 32}</code>' in page


def test_index_words_in_chinese_and_computing_digests() -> None:
    page = render_index(_files("a.txt", sha256=None), language="zh_CN").decode()
    assert '<html lang="zh-CN">' in page
    assert "<title>共享文件</title>" in page
    assert "1 个文件，1.5 KiB" in page
    assert '<span class="pending">计算中…</span>' in page
    assert "用命令行下载" in page
    empty = render_index([], language="zh_CN").decode()
    assert "还没有共享任何文件。" in empty and "<table" not in empty


def test_favicon_is_an_ico_of_the_app_icon() -> None:
    icon = favicon()
    assert icon is not None
    assert icon[:6] == b"\0\0\1\0\3\0"  # ICO, three images
    png = Path(__file__).parents[2] / "resources" / "icons" / "socket-workbench-32.png"
    assert png.read_bytes() in icon


def test_https_hint_names_the_host_the_client_asked_for() -> None:
    url, body = https_hint(b"x HTTP/1.1\r\nHost: share.lan:8443\r\n\r\n", ("10.0.0.2", 8443))
    assert url == "https://share.lan:8443/"
    assert b'<a href="https://share.lan:8443/">' in body
    url, _body = https_hint(b"", ("127.0.0.1", 8443))
    assert url == "https://127.0.0.1:8443/"


# ---- a real server ---------------------------------------------------------------------------


@dataclass
class Share:
    port: int
    folder: Path


FILES: dict[str, bytes] = {
    "中文说明.txt": CHINESE.encode(),
    "gbk.txt": CHINESE.encode("gb18030"),
    "notes 2026.txt": b"notes\n",
    "page.html": b"<script>alert(1)</script>",
    "evil.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "app.js": b"alert(1)",
    "photo.png": b"\x89PNG\r\n\x1a\n",
}


@pytest.fixture
def share(tmp_path: Path) -> Iterator[Share]:
    folder = tmp_path / "files"
    folder.mkdir()
    with ShareTable() as table:
        for name, data in FILES.items():
            (folder / name).write_bytes(data)
            table.add(folder / name)
        assert table.wait_hashed(WAIT)
        with running(FileServer(table, "127.0.0.1", 0)) as server:
            yield Share(server.port, folder)


def curl_head(port: int, path: str, *args: str, scheme: str = "http") -> str:
    result = subprocess.run(
        ["curl", "-sS", "-D", "-", "-o", "/dev/null", "--max-time", str(WAIT), *args,
         f"{scheme}://127.0.0.1:{port}{path}"],
        capture_output=True, timeout=WAIT + 5, check=True, text=True,
    )  # fmt: skip
    return result.stdout


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/%E4%B8%AD%E6%96%87%E8%AF%B4%E6%98%8E.txt",
            [
                "Content-Type: text/plain; charset=utf-8",
                'Content-Disposition: inline; filename="_.txt"; '
                "filename*=UTF-8''%E4%B8%AD%E6%96%87%E8%AF%B4%E6%98%8E.txt",
                "Content-Security-Policy: sandbox",
                "X-Content-Type-Options: nosniff",
            ],
        ),
        ("/gbk.txt", ["Content-Type: text/plain; charset=gb18030"]),
        (
            "/page.html",
            [
                "Content-Type: text/html; charset=utf-8",
                'Content-Disposition: attachment; filename="page.html"; '
                "filename*=UTF-8''page.html",
                "Content-Security-Policy: sandbox",
            ],
        ),
        ("/evil.svg", ["Content-Type: image/svg+xml", "Content-Disposition: attachment;"]),
        ("/app.js", ["Content-Disposition: attachment;", "Content-Security-Policy: sandbox"]),
        ("/photo.png", ["Content-Type: image/png", "Content-Disposition: inline;"]),
        (
            "/",
            [
                "Content-Type: text/html; charset=utf-8",
                f"Content-Security-Policy: {index_csp()}",
                "X-Frame-Options: DENY",
                "Referrer-Policy: no-referrer",
                "Vary: Accept-Language",
            ],
        ),
        (
            "/?format=json",
            [
                "Content-Type: application/json",
                "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; sandbox",
                "X-Frame-Options: DENY",
            ],
        ),
        ("/nothing.txt", ["HTTP/1.1 404 ", "Content-Security-Policy: default-src 'none';"]),
        ("/favicon.ico", ["HTTP/1.1 200 ", "Content-Type: image/x-icon"]),
    ],
)
def test_curl_sees_the_headers(share: Share, path: str, expected: list[str]) -> None:
    head = curl_head(share.port, path)
    lines = head.splitlines()
    for wanted in expected:
        assert any(line.startswith(wanted) for line in lines), (wanted, head)
    assert "Service-Worker-Allowed" not in head


def test_a_shared_favicon_wins_over_the_app_icon(tmp_path: Path) -> None:
    (tmp_path / "favicon.ico").write_bytes(b"mine")
    with ShareTable() as table:
        table.add(tmp_path / "favicon.ico")
        with running(FileServer(table, "127.0.0.1", 0)) as server:
            status, headers, body = get(server.port, "/favicon.ico")
    assert (status, body) == (200, b"mine")
    assert headers["Content-Security-Policy"] == "sandbox"


def test_a_service_worker_script_fetch_is_refused(share: Share) -> None:
    status, _headers, _body = get(share.port, "/app.js", {"Service-Worker": "script"})
    assert status == 403
    status, _headers, body = get(share.port, "/app.js")
    assert (status, body) == (200, FILES["app.js"])


def test_curl_and_wget_save_the_names(share: Share, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    base = f"http://127.0.0.1:{share.port}/"
    subprocess.run(
        ["curl", "-sSfOJ", "--max-time", str(WAIT), base + "notes%202026.txt"],
        cwd=out, check=True, timeout=WAIT + 5,
    )  # fmt: skip
    subprocess.run(
        ["wget", "-q", "--content-disposition", "--timeout", str(WAIT),
         base + "%E4%B8%AD%E6%96%87%E8%AF%B4%E6%98%8E.txt"],
        cwd=out, check=True, timeout=WAIT + 5,
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["notes 2026.txt", "中文说明.txt"]
    assert (out / "中文说明.txt").read_bytes() == FILES["中文说明.txt"]


# ---- plain HTTP on a TLS port ------------------------------------------------------------------


@pytest.fixture
def tls_share(tmp_path: Path) -> Iterator[int]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    (tmp_path / "a.txt").write_bytes(b"over tls\n")
    with ShareTable() as table:
        table.add(tmp_path / "a.txt")
        with running(FileServer(table, "127.0.0.1", 0, ssl_context=context)) as server:
            yield server.port


def test_plain_http_on_the_tls_port_gets_a_hint(tls_share: int, tmp_path: Path) -> None:
    port = tls_share
    result = subprocess.run(
        ["curl", "-sS", "-i", "--max-time", str(WAIT), f"http://127.0.0.1:{port}/a.txt"],
        capture_output=True, timeout=WAIT + 5, check=False, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("HTTP/1.1 400 Bad Request\n")  # text mode: \r\n -> \n
    assert "Connection: close" in result.stdout
    assert f'<a href="https://127.0.0.1:{port}/">' in result.stdout
    assert "这个端口只接受 HTTPS" in result.stdout
    # The Host the client asked for names the URL; the TLS port still serves HTTPS after that.
    raw = exchange(port, b"GET / HTTP/1.1\r\nHost: share.lan:8443\r\n\r\n")
    assert status_of(raw) == 400 and b"https://share.lan:8443/" in raw
    https = subprocess.run(
        ["curl", "-sS", "--cacert", str(tmp_path / "ca.pem"), "--max-time", str(WAIT),
         f"https://127.0.0.1:{port}/a.txt"],
        capture_output=True, timeout=WAIT + 5, check=True,
    )  # fmt: skip
    assert https.stdout == b"over tls\n"


def test_a_raw_name_on_the_tls_port_gets_no_http_hint(tls_share: int) -> None:
    """Only HTTP gets the hint page: a classic raw name is no request, and the failed handshake
    closes the connection as before."""
    with socket.create_connection(("127.0.0.1", tls_share), timeout=WAIT) as sock:
        sock.sendall(b"a.txt\n")
        try:
            data = read_to_end(sock)
        except ConnectionResetError:
            data = b""
    assert b"HTTP/1.1" not in data


def test_charset_on_windows_without_pread(tmp_path: Path) -> None:
    """Windows' CPython has no os.pread: the sample is read with lseek + read there."""
    path = tmp_path / "中文说明.txt"
    path.write_bytes(CHINESE.encode())
    code = f"""
import http.client
from net.fileserver import FileServer
from net.share import ShareTable
from tests.net.test_fileserver import running
with ShareTable() as table:
    table.add({str(path)!r})
    with running(FileServer(table, "127.0.0.1", 0)) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("HEAD", "/%E4%B8%AD%E6%96%87%E8%AF%B4%E6%98%8E.txt")
        print(conn.getresponse().getheader("Content-Type"))
"""
    result = subprocess.run(
        simulate.code_command("win32", code),
        env=simulate.env(), capture_output=True, text=True, timeout=WAIT * 3, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "text/plain; charset=utf-8\n"), result.stderr
