"""Headless Chromium from Debian (/usr/bin/chromium), driven by Playwright's Python package.

Playwright's own browser downloads are never used (no ``playwright install``): the driver talks to
the system Chromium over its DevTools protocol. Each launch gets a fresh temporary profile
(Playwright makes and removes the user-data-dir), so no service worker, cache or cookie survives
from one run to the next.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM", "FLAGS", "launch"]

CHROMIUM = "/usr/bin/chromium"

#: No network of its own (updates, sync, QUIC probes), no first-run pages, no GPU.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright, *extra: str) -> Browser:
    """Start Debian's Chromium headless with :data:`FLAGS` (and ``extra``) and a fresh profile."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*FLAGS, *extra], headless=True
    )
