"""The keyboard alone works every panel (issue 15.2): Tab visits each control once and leaves the
panel, Shift+Tab walks back, and each panel's mnemonics (Alt+letter) are unique in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.panels import PANELS
from gui.widgets import LogEntry
from tests.gui.conftest import small_window

PANEL_NAMES = [entry.name for entry in PANELS]
MNEMONIC = re.compile(r"&([^&\s])")


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings) -> Iterator[MainWindow]:
    window = small_window(qtbot, settings, activate=True)
    yield window
    window.close()


def controls(panel: QWidget) -> set[QWidget]:
    """Every control of the panel a keyboard user must reach (seen by Qt's own rules)."""
    found = set()
    for widget in panel.findChildren(QWidget):
        parent = widget.parentWidget()
        if (
            widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.focusProxy() is None
            and not isinstance(parent, (QComboBox, QAbstractSpinBox, QAbstractScrollArea))
        ):
            found.add(widget)
    return found


def owner(widget: QWidget | None) -> QWidget | None:
    """The control that has the focus: an editable combo's or spin box's line edit counts as it."""
    if widget is not None and isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox)):
        return widget.parentWidget()
    return widget


def walk(qtbot: QtBot, window: MainWindow, key: Qt.Key) -> list[QWidget]:
    """Press ``key`` from the panel list until the focus comes back to it (or 80 presses)."""
    window.panel_list.setFocus(Qt.FocusReason.OtherFocusReason)
    assert QApplication.focusWidget() is window.panel_list
    visited: list[QWidget] = []
    for _ in range(80):
        qtbot.keyClick(QApplication.focusWidget(), key)
        focus = owner(QApplication.focusWidget())
        if focus is window.panel_list:
            return visited
        assert focus is not None
        visited.append(focus)
    names = [w.objectName() or type(w).__name__ for w in visited[-8:]]
    raise AssertionError(f"Tab never left the panel; the last stops: {names}")


def check_walk(qtbot: QtBot, window: MainWindow, panel: QWidget) -> list[QWidget]:
    forward = walk(qtbot, window, Qt.Key.Key_Tab)
    names = [w.objectName() or type(w).__name__ for w in forward]
    assert len(forward) == len(set(forward)), f"a control is visited twice: {names}"
    assert set(forward) == controls(panel), names
    backward = walk(qtbot, window, Qt.Key.Key_Backtab)
    assert backward == forward[::-1]
    return forward


@pytest.mark.parametrize("name", PANEL_NAMES)
def test_tab_visits_every_control_once_and_leaves_the_panel(
    qtbot: QtBot, window: MainWindow, name: str
) -> None:
    index = PANEL_NAMES.index(name)
    panel = window.show_panel(index)
    forward = check_walk(qtbot, window, panel)
    assert len(forward) >= 8


def test_udp_send_tab_leaves_the_target_group(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.show_panel("udpSendPanel")
    names = [w.objectName() for w in walk(qtbot, window, Qt.Key.Key_Tab)]
    host = names.index("hostEdit")
    assert names[host : host + 4] == ["hostEdit", "portEdit", "localPortEdit", "broadcastCheck"]
    assert "payloadEdit" in names and "sendButton" in names
    assert panel.isAncestorOf(QApplication.focusWidget()) is False


def test_tab_walk_with_every_option_shown_and_rows_in_the_tables(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Inputs that appear with an option join the walk; a table with rows does not hold Tab."""
    panel = window.show_panel("tcpClientPanel")
    panel.security.tls_check.setChecked(True)  # type: ignore[attr-defined]
    panel.security.set_mode("pin")  # type: ignore[attr-defined]
    panel.connection.keepalive_check.setChecked(True)  # type: ignore[attr-defined]
    panel.connection.heartbeat_check.setChecked(True)  # type: ignore[attr-defined]
    panel.log.append([LogEntry(1.0 + i, "in", "p", b"row") for i in range(5)])  # type: ignore[attr-defined]
    forward = check_walk(qtbot, window, panel)
    names = [w.objectName() for w in forward]
    assert {"tlsModeCombo", "pinEdit", "heartbeatEdit", "logView"} <= set(names), names
    assert names.index("logView") == len(names) - 1  # five rows, and Tab still leaves the table


def mnemonics(panel: QWidget) -> list[tuple[str, str]]:
    found = []
    for widget in panel.findChildren(QWidget):
        if isinstance(widget, QGroupBox):
            text = widget.title()
        elif isinstance(widget, (QLabel, QAbstractButton)):
            text = widget.text()
        else:
            continue
        for letter in MNEMONIC.findall(text.replace("&&", "")):
            found.append((letter.lower(), text))
    return found


def check_mnemonics(window: MainWindow) -> int:
    """Unique within each panel and the menu bar, whose Alt+letters are live over every panel."""
    menus = [
        (letter.lower(), action.text())
        for action in window.menuBar().actions()
        for letter in MNEMONIC.findall(action.text())
    ]
    assert len(menus) == 4
    total = 0
    for panel in window.panels:
        found = mnemonics(panel) + menus
        letters = [letter for letter, _text in found]
        repeated = {letter for letter in letters if letters.count(letter) > 1}
        assert not repeated, (
            panel.objectName(),
            sorted(text for letter, text in found if letter in repeated),
        )
        total += len(found)
    return total


def test_mnemonics_are_unique_in_every_panel(window: MainWindow) -> None:
    assert check_mnemonics(window) > 50


def test_mnemonics_are_unique_in_every_panel_in_chinese(
    qtbot: QtBot, settings: QSettings, chinese: list[str]
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.panel("tcpClientPanel").connect_button.text() != "&Connect"  # type: ignore[attr-defined]
    assert check_mnemonics(window) > 50


@pytest.mark.parametrize(
    ("panel_name", "key", "target"),
    [
        ("tcpClientPanel", Qt.Key.Key_T, "tlsCheck"),
        ("tcpClientPanel", Qt.Key.Key_I, "connectTimeoutSpin"),
        ("tcpClientPanel", Qt.Key.Key_Y, "payloadEdit"),
        ("tcpClientPanel", Qt.Key.Key_O, "hostEdit"),
        ("udpSendPanel", Qt.Key.Key_Y, "payloadEdit"),
        ("udpSendPanel", Qt.Key.Key_L, "localPortEdit"),
        ("tcpServerPanel", Qt.Key.Key_Y, "payloadEdit"),
    ],
)
def test_alt_letter_goes_to_its_control(
    qtbot: QtBot, window: MainWindow, panel_name: str, key: Qt.Key, target: str
) -> None:
    panel = window.show_panel(panel_name)
    window.panel_list.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(window.panel_list, key, Qt.KeyboardModifier.AltModifier)
    focus = owner(QApplication.focusWidget())
    assert focus is not None and focus.objectName() == target
    assert panel.isAncestorOf(focus)
