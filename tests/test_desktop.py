"""The app as a desktop program: its .desktop entry, icon, version in `swb --version` and About."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.resources import RESOURCES_DIR, app_icon
from tests.conftest import WAIT

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = RESOURCES_DIR / "socket-workbench.desktop"
VERSION = metadata.version("socket-workbench")


@pytest.mark.posix_only  # desktop-file-utils: freedesktop.org desktops only
def test_the_desktop_entry_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=WAIT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""  # not even a hint or a warning


def test_the_desktop_entry_starts_the_gui_script_with_our_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    assert section["Exec"] in scripts
    assert (RESOURCES_DIR / "icons" / f"{section['Icon']}.svg").is_file()
    assert section["Name[zh_CN]"] == "Socket 工作台"


def test_the_icon_has_every_size_a_desktop_asks_for(qapp: object) -> None:
    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 24, 32, 48, 64, 128, 256):
        assert (RESOURCES_DIR / "icons" / f"socket-workbench-{size}.png").is_file()
        assert not icon.pixmap(QSize(size, size)).isNull()


def test_swb_version_is_the_package_version() -> None:
    script = shutil.which("swb", path=str(Path(sys.executable).parent))  # swb.exe on Windows
    assert script is not None
    for command in ([script], [sys.executable, "-m", "net"]):
        result = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, timeout=WAIT * 3
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"swb {VERSION}"


def test_about_shows_the_version_and_the_icon(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull()
    box = window.about_box()
    assert f"Socket Workbench {VERSION}" in box.text()
    assert not box.iconPixmap().isNull()
    box.deleteLater()
    window.show_about()  # opens without blocking
    shown = [b for b in window.findChildren(type(box), "aboutBox") if b.isVisible()]
    assert len(shown) == 1
    shown[0].close()
