"""Save screenshots of the share's index page as a browser shows it.

``python -m tests.browser.screenshots OUTDIR`` shares a few files from a temporary folder on
127.0.0.1, opens the index in headless Chromium (see :mod:`tests.browser.chromium`) and writes
share_page.png (desktop, 1280x800, the command lines unfolded), share_page_phone.png (390x844 at scale 2), share_page_dark.png
(desktop, dark colour scheme) and zh_CN_share_page.png (desktop, Accept-Language zh-CN).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from net.fileserver import FileServer
from net.share import ShareTable
from tests.browser.chromium import launch
from tests.net.test_fileserver import running

__all__ = ["main", "sample_files", "serve", "take_screenshots"]

#: 2026-11-28 09:30 UTC and later: fixed times, so that screenshots only change with the page.
_BASE_TIME = 1795858200

SAMPLES: list[tuple[str, bytes | int]] = [
    ("中文说明.txt", "你好，世界。这是一份中文说明。\n".encode() * 40),
    ("release-notes-2026-11.md", b"# Release notes\n\n* Share page works on phones.\n" * 30),
    ("socket-workbench-1.4.0-x86_64.AppImage", 96 * 1024 * 1024 + 123_456),
    ("Socket Workbench Setup 1.4.0.exe", 71 * 1024 * 1024 + 4_321),
    ("capture 2026-11-28 (wireshark).pcapng", 2 * 1024**3 + 17),
    ("报告 第3季度.pdf", 1_536_000),
    ("photo of the rack.jpg", 3_481_216),
    ("config.yaml", b"listen: 0.0.0.0:8000\ntls: true\n"),
    (
        "a-very-long-file-name-without-any-spaces-that-goes-on-and-on-and-on-v2-final-really-final.tar.gz",
        12_345_678,
    ),
]


def sample_files(folder: Path, samples: list[tuple[str, bytes | int]] = SAMPLES) -> list[Path]:
    """Write the samples (bytes, or a size for a sparse file) with fixed modification times."""
    paths = []
    for index, (name, content) in enumerate(samples):
        path = folder / name
        if isinstance(content, int):
            with open(path, "wb") as file:
                file.truncate(content)
        else:
            path.write_bytes(content)
        when = _BASE_TIME + index * 3_917
        os.utime(path, (when, when))
        paths.append(path)
    return paths


@contextmanager
def serve(share: ShareTable, **kwargs: object) -> Iterator[FileServer]:
    """A FileServer for ``share`` on 127.0.0.1, running in a thread until the block ends."""
    with running(FileServer(share, "127.0.0.1", 0, **kwargs)) as server:  # type: ignore[arg-type]
        yield server


def take_screenshots(out: Path) -> list[Path]:
    """Write the four PNGs into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as temp, ShareTable() as share:
        for path in sample_files(Path(temp)):
            share.add(path)
        share.wait_hashed(120)
        with serve(share) as server, sync_playwright() as playwright:
            browser = launch(playwright)
            url = f"http://127.0.0.1:{server.port}/"
            shots = [
                ("share_page.png", {"viewport": {"width": 1280, "height": 800}}, "light"),
                (
                    "share_page_phone.png",
                    {
                        "viewport": {"width": 390, "height": 844},
                        "device_scale_factor": 2,
                        "is_mobile": True,
                        "has_touch": True,
                    },
                    "light",
                ),
                ("share_page_dark.png", {"viewport": {"width": 1280, "height": 800}}, "dark"),
                (
                    "zh_CN_share_page.png",
                    {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"},
                    "light",
                ),
            ]
            for name, options, scheme in shots:
                context = browser.new_context(
                    color_scheme=scheme,  # type: ignore[arg-type]
                    timezone_id="Asia/Shanghai",
                    **options,
                )
                page = context.new_page()
                page.goto(url)
                if name == "share_page.png":  # one shot shows the command lines, unfolded
                    page.locator(".cli summary").click()
                target = out / name
                page.screenshot(path=str(target))
                context.close()
                written.append(target)
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.browser.screenshots OUTDIR", file=sys.stderr)
        return 2
    for path in take_screenshots(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
