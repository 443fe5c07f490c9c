"""The share's pages and files in a real browser (headless Chromium, see tests/browser/chromium.py).

Hostile files try to read the share's list and send it to a listener on another port; each such
test has a control in which the same file, without the protection under test, does reach the
listener, so the check can fail. "Nothing arrived" is judged once the page's network has been idle
for Playwright's quiet period (its ``networkidle`` load state), the point at which the control's
reports have arrived.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from playwright.sync_api import Browser, BrowserContext, Page, Route

from net._share_hash import Hashed
from net.share import ShareTable
from tests.browser.conftest import Site
from tests.browser.screenshots import serve
from tests.conftest import WAIT

MS = int(WAIT * 1000)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def link(site: Site, name: str) -> str:
    return site.url + "/" + urllib.parse.quote(name, safe="")


def without(*names: str) -> Callable[[Route], None]:
    """A route handler that fetches the real answer and drops the named headers from it."""
    drop = {name.lower() for name in names}

    def handle(route: Route) -> None:
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() not in drop}
        route.fulfill(response=response, headers=headers)

    return handle


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


# ---- security -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["page.html", "evil.svg", "install.html"])
def test_clicking_an_active_file_saves_it_and_runs_nothing(
    site: Site, page: Page, name: str
) -> None:
    site.listener.clear()
    page.goto(site.url + "/")
    with page.expect_download() as download:
        page.get_by_role("link", name=name, exact=True).click()
    assert download.value.suggested_filename == name
    settle(page)
    assert site.listener.seen() == []


@pytest.mark.parametrize("name", ["page.html", "evil.svg"])
def test_the_sandbox_alone_stops_a_shared_page_or_svg(site: Site, page: Page, name: str) -> None:
    """Even shown inline (Content-Disposition removed), CSP sandbox runs no script of the file."""
    site.listener.clear()
    page.route(link(site, name), without("content-disposition"))
    page.goto(link(site, name))
    settle(page)
    assert site.listener.seen() == []
    if name.endswith(".html"):
        assert page.locator("#result").inner_text() == "script did not run"


@pytest.mark.parametrize("name", ["page.html", "evil.svg"])
def test_control_without_the_sandbox_the_file_leaks_the_list(
    site: Site, page: Page, name: str
) -> None:
    """The same file and server with the CSP removed too: the script runs and reports."""
    site.listener.clear()
    page.route(link(site, name), without("content-disposition", "content-security-policy"))
    page.goto(link(site, name))
    settle(page)
    seen = site.listener.seen()
    assert "/ran" in seen
    assert any(
        path.startswith("/leak?") and "sha256" in urllib.parse.unquote(path) for path in seen
    )


def test_no_service_worker_can_be_registered(site: Site, page: Page) -> None:
    site.listener.clear()
    page.route(link(site, "install.html"), without("content-disposition"))
    page.goto(link(site, "install.html"))
    settle(page)
    assert site.listener.seen() == []  # the page's script never ran
    page.goto(site.url + "/")
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    # Even script run on the origin by DevTools cannot: the worker script fetch is refused.
    result = page.evaluate(
        "navigator.serviceWorker.register('/sw.js').then(() => 'registered', e => 'refused: ' + e)"
    )
    assert result.startswith("refused: "), result
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    assert page.locator("h1").inner_text() == "Shared files"


def test_control_a_plain_server_lets_the_worker_register(site: Site, page: Page) -> None:
    page.goto(site.control + "/readme.txt")
    result = page.evaluate(
        "navigator.serviceWorker.register('/sw.js').then(() => 'registered', e => 'refused: ' + e)"
    )
    assert result == "registered"


@pytest.mark.parametrize("protected", [True, False])
def test_the_index_cannot_be_framed_by_another_site(
    site: Site, page: Page, protected: bool
) -> None:
    """A page on another port frames the index and a plain file; the control (protected=False)
    drops the index's X-Frame-Options and CSP on the way, and then the index does show."""
    host = site.folder / "frame-host.html"
    host.write_text(
        f'<iframe id="index" src="{site.url}/"></iframe>'
        f'<iframe id="file" src="{link(site, "readme.txt")}"></iframe>',
        encoding="utf-8",
    )
    if not protected:
        page.route(site.url + "/", without("x-frame-options", "content-security-policy"))
    page.goto(site.control + "/frame-host.html")
    settle(page)
    frames = {frame.url for frame in page.frames}
    # A plain file may be framed: the frames did load.
    assert link(site, "readme.txt") in frames
    assert page.frame_locator("#file").locator("body").inner_text().strip() == "hello"
    text = [f.evaluate("document.body ? document.body.innerText : ''") for f in page.frames[1:]]
    shown = any("Shared files" in t for t in text)
    assert (site.url + "/" in frames, shown) == (not protected, not protected), (frames, text)


# ---- readable -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["中文说明.txt", "gbk 说明.txt"])
def test_chinese_text_renders_as_chinese(site: Site, page: Page, name: str) -> None:
    page.goto(link(site, name))
    assert "你好，世界。" in page.evaluate("document.body.innerText")


def test_passive_files_still_show_in_the_browser(site: Site, page: Page) -> None:
    """The sandbox does not stop a browser from showing an image or text of the share."""
    page.goto(link(site, "icon.png"))
    assert page.evaluate("document.images[0].naturalWidth") == 64
    page.goto(link(site, "config.yaml"))
    assert page.evaluate("document.body.innerText").startswith("listen: 0.0.0.0:8000")


# ---- usable -------------------------------------------------------------------------------------


def test_phone_layout_fits_and_every_target_is_44px(site: Site, browser: Browser) -> None:
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        assert page.locator("tbody tr").count() == len(site.share) == 22
        width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1] == 390, width
        sizes = page.evaluate(
            """Array.from(document.querySelectorAll('a, button, summary, input'))
               .filter(e => e.getClientRects().length > 0)
               .map(e => [e.tagName + ' ' + (e.textContent || e.placeholder).slice(0, 30),
                          e.getBoundingClientRect().height])"""
        )
        assert len(sizes) >= 22 * 2 + 5  # names, digests, sort buttons, filter, copy, JSON
        small = [(what, height) for what, height in sizes if height < 44]
        assert small == []
        # A whole digest, once tapped open, wraps inside the screen too.
        page.locator("td.digest summary").first.click()
        assert page.locator("td.digest code.full").first.is_visible()
        width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1] == 390, width
    finally:
        context.close()


def test_desktop_sizes_and_dates_stay_on_one_line(site: Site, page: Page) -> None:
    page.goto(site.url + "/")
    lines = page.evaluate(
        """Array.from(document.querySelectorAll('td.size, td.date time')).map(e => {
             const range = document.createRange(); range.selectNodeContents(e);
             return [e.textContent, range.getClientRects().length]; })"""
    )
    assert len(lines) == 2 * 22
    assert [text for text, count in lines if count != 1] == []
    assert "11.8\xa0MiB" in [text for text, _count in lines]


@pytest.mark.parametrize(
    ("scheme", "colour"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(22, 23, 26)")]
)
def test_dark_mode_follows_the_system(site: Site, page: Page, scheme: str, colour: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(site.url + "/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == colour


@pytest.mark.parametrize(
    ("locale", "title", "name", "lang"),
    [("zh-CN", "共享文件", "名称", "zh-CN"), ("en-US", "Shared files", "Name", "en")],
)
def test_page_words_follow_accept_language(
    site: Site, browser: Browser, locale: str, title: str, name: str, lang: str
) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        assert page.locator("h1").inner_text() == title
        assert page.locator("th.name button").inner_text().startswith(name)
        assert page.evaluate("document.documentElement.lang") == lang
    finally:
        context.close()


def test_script_runs_under_the_policy_sorts_and_filters(site: Site, page: Page) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(site.url + "/")
    # The script turned each date into the browser's time, keeping the ISO 8601 value as a title.
    assert page.locator("td.date time").first.get_attribute("title") is not None
    page.get_by_role("button", name="Size").click()
    names = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.name)")
    biggest = max(site.share.files(), key=lambda f: f.size).name
    assert names[0] == biggest
    assert page.locator("th.size").get_attribute("aria-sort") == "descending"
    page.locator("#filter").fill("说明")
    shown = page.locator("tbody tr:visible").evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert sorted(shown) == ["gbk 说明.txt", "中文说明.txt"]
    page.locator("#filter").fill("no such name at all")
    assert page.locator("#no-match").is_visible()
    assert refused == []


def test_command_lines_copy_to_the_clipboard(site: Site, browser: Browser) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        assert not page.locator("#curl").is_visible()  # folded away until asked for
        page.locator(".cli summary").click()
        page.locator("button.copy[data-target=curl]").click()
        page.locator("button.copy[data-target=curl]", has_text="Copied").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        lines = copied.splitlines()
        assert len(lines) == len(site.share)
        assert f"curl -fo readme.txt {site.url}/readme.txt" in lines
        assert copied == page.locator("#curl").text_content()
    finally:
        context.close()


class GatedShare(ShareTable):
    """A share whose checksums wait for the test to open a gate (so "computing…" is certain)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        checksums = self._checksums
        read = checksums._hash

        def gated(entry: Hashed) -> str | None:
            self.gate.wait(WAIT)
            return read(entry)

        checksums._hash = gated  # type: ignore[method-assign]


def test_computing_digests_appear_without_a_reload(tmp_path: Path, page: Page) -> None:
    path = tmp_path / "slow.bin"
    path.write_bytes(b"slow" * 1000)
    with GatedShare() as share:
        share.add(path)
        with serve(share) as server:
            page.goto(f"http://127.0.0.1:{server.port}/")
            assert page.locator("td.digest").inner_text() == "computing…"
            share.gate.set()
            expected = hashlib.sha256(b"slow" * 1000).hexdigest()
            page.locator("td.digest code.full").wait_for(state="attached")
            assert page.locator("td.digest code.full").text_content() == expected
            assert page.locator("td.digest summary").inner_text() == expected[:12] + "…"


def test_over_tls_the_page_works_and_plain_http_gets_the_hint(
    tmp_path: Path, browser: Browser
) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    (tmp_path / "page.html").write_text("<script>document.title = 'ran'</script>")
    (tmp_path / "中文说明.txt").write_text("你好，世界。", encoding="utf-8")
    context = browser.new_context(ignore_https_errors=True)
    try:
        with ShareTable() as share:
            share.add(tmp_path / "page.html")
            share.add(tmp_path / "中文说明.txt")
            assert share.wait_hashed(WAIT)
            with serve(share, ssl_context=server_context) as server:
                page = context.new_page()
                https = f"https://127.0.0.1:{server.port}/"
                page.goto(https)
                assert page.locator("td.date time").first.get_attribute("title") is not None
                with page.expect_download() as download:
                    page.get_by_role("link", name="page.html").click()
                assert download.value.suggested_filename == "page.html"
                page.get_by_role("link", name="中文说明.txt").click()
                page.wait_for_url("**/*.txt")
                assert page.evaluate("document.body.innerText").strip() == "你好，世界。"
                response = page.goto(f"http://127.0.0.1:{server.port}/")
                assert response is not None and response.status == 400
                assert page.get_by_role("link", name=https).first.get_attribute("href") == https
    finally:
        context.close()
