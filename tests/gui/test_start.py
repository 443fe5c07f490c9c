"""Starting without a display says so in one line (exit 1), and settings stay small (15.9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from gui.app import display_problem
from gui.main_window import MainWindow
from gui.settings import MAX_ITEMS, MAX_TEXT
from tests.conftest import WAIT


def test_no_display_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no display found" in lines[0]
    assert "xcb" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("environ", "platform", "problem"),
    [
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "freebsd14", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({}, "win32", False),
        ({}, "darwin", False),
    ],
)
def test_what_counts_as_a_display(environ: dict[str, str], platform: str, problem: bool) -> None:
    assert (display_problem(environ, platform) is not None) is problem


def test_a_5_mb_payload_does_not_make_a_5_mb_settings_file(
    qtbot: QtBot, settings: QSettings
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    sender = window.panel("udpSendPanel")
    sender.payload.set_text("x" * 5_000_000)  # type: ignore[attr-defined]
    for index in range(100):
        sender.host.remember(f"host-{index}.example")  # type: ignore[attr-defined]
    client = window.panel("tcpClientPanel")
    client.payload.set_text("hello")  # type: ignore[attr-defined]
    window.save_settings()
    size = Path(settings.fileName()).stat().st_size
    assert size < 64 * 1024, size
    assert settings.value("tcpClientPanel/payloadEdit") == "hello"  # small ones are kept
    assert settings.value("udpSendPanel/payloadEdit") is None
    items = settings.value("udpSendPanel/hostEdit.items")
    assert isinstance(items, list) and 0 < len(items) <= MAX_ITEMS
    # At the limit it is still remembered.
    sender.payload.set_text("y" * MAX_TEXT)  # type: ignore[attr-defined]
    window.save_settings()
    assert settings.value("udpSendPanel/payloadEdit") == "y" * MAX_TEXT
