"""Menus hold what desktop users look for: File > Quit, Help > Guide, shortcuts, About (15.11)."""

from __future__ import annotations

import re

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow

CJK = re.compile(r"[\u4e00-\u9fff]")


def menu_names(window: MainWindow) -> dict[str, list[str]]:
    menus = {}
    for action in window.menuBar().actions():
        menu = action.menu()
        assert menu is not None
        menus[action.text()] = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    return menus


def test_file_and_help_menus(qtbot: QtBot, settings: QSettings) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    menus = menu_names(window)
    assert "quitAction" in menus["&File"]
    assert menus["&Help"][:2] == ["guideAction", "shortcutsAction"]
    assert "aboutAction" in menus["&Help"]


def test_the_guide_is_local_and_names_every_panel(qtbot: QtBot, settings: QSettings) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.guide_action.trigger()
    dialog = window.findChild(QTextBrowser, "guideDialogText")
    assert dialog is not None and dialog.isVisible()
    text = dialog.toPlainText()
    for panel in ("UDP Send", "UDP Receive", "TCP Client", "TCP Server", "File Server", "Download"):
        assert panel in text
    assert "http" not in dialog.toHtml().split("<body", 1)[1]  # nothing to fetch from outside


def test_the_shortcuts_list_the_real_keys(qtbot: QtBot, settings: QSettings) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.shortcuts_action.trigger()
    dialog = window.findChild(QTextBrowser, "shortcutsDialogText")
    assert dialog is not None
    text = dialog.toPlainText()
    for key in ("Ctrl+Return", "Ctrl+R", "Ctrl+.", "Ctrl+Q", "Ctrl+1", "F1", "Tab"):
        assert key in text, key
    assert "Send" in text and "&" not in text


def test_guide_and_shortcuts_in_chinese(
    qtbot: QtBot, settings: QSettings, chinese: list[str]
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert CJK.search(window.guide_text())
    assert CJK.search(window.shortcuts_text())
    titles = [a.text() for a in window.menuBar().actions()]
    assert all(CJK.search(title) for title in titles), titles
