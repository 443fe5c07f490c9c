"""The share page's upload form in headless Chromium (issue 21): several files sent by the page's
own script (an XHR with progress) under the page's strict CSP, behind the share password."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_fileserver import running

MS = int(WAIT * 1000)


@pytest.fixture
def inbox_page(browser: Browser, tmp_path: Path) -> Iterator[tuple[Page, Path, int]]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "already.txt").write_bytes(b"there before")
    context = browser.new_context(http_credentials={"username": "", "password": "pw 密码"})
    context.set_default_timeout(MS)
    try:
        with ShareTable() as share:
            share.add_folder(inbox)
            server = FileServer(share, "127.0.0.1", 0, upload_dir=inbox, password="pw 密码")
            with server, running(server):
                yield context.new_page(), inbox, server.port
    finally:
        context.close()


def test_the_form_uploads_several_files_by_script_under_the_csp(
    inbox_page: tuple[Page, Path, int], tmp_path: Path
) -> None:
    page, inbox, port = inbox_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.resource_type) if r.method == "POST" else None)
    page.goto(f"http://127.0.0.1:{port}/inbox/")  # the shared upload folder
    one = tmp_path / "one.bin"
    one.write_bytes(os.urandom(200_000))
    two = tmp_path / "already.txt"  # taken in the folder: stored as "already (2).txt"
    two.write_bytes(b"new bytes")
    page.locator("#upload input[type=file]").set_input_files([str(one), str(two)])
    with page.expect_navigation():  # the script reloads the page once the upload is done
        page.locator("#upload button[type=submit]").click()
    assert posts == ["xhr"]  # sent by the page's script, not by a plain form submission
    assert (inbox / "one.bin").read_bytes() == one.read_bytes()
    assert (inbox / "already (2).txt").read_bytes() == b"new bytes"
    assert (inbox / "already.txt").read_bytes() == b"there before"
    page.locator("a", has_text="one.bin").wait_for()  # the shared upload folder lists it
    assert refused == []
