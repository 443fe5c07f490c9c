"""How the window looks and handles: tooltips, accessible names, tab order, light and dark colours,
monospace payloads, and a minimum size that fits a small screen in English and in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTranslator
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.app import install_language
from gui.main_window import MainWindow
from gui.panels import Panel
from gui.widgets import LogEntry, PayloadEditor, TrafficLog
from gui.widgets.style import ROLES, is_dark, set_text_role, text_color

GUI = Path(__file__).resolve().parents[2] / "gui"


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _inside(widget: QWidget, kinds: tuple[type, ...]) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parentWidget()
    return False


def controls(panel: QWidget) -> Iterator[QWidget]:
    """The panel's own interactive controls, without Qt's inner parts (a combo's line edit and
    pop-up list, a spin box's line edit, a line edit's clear button, table headers)."""
    for widget in panel.findChildren(QWidget):
        if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
            continue
        if _inside(widget, (QComboBox, QAbstractSpinBox, QLineEdit)):
            continue
        if isinstance(
            widget,
            (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit),
        ) or (isinstance(widget, QAbstractItemView) and not _inside(widget, (QAbstractItemView,))):
            yield widget


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    return f"{type(widget).__name__} {widget.objectName() or '(no name)'} {text!r}"


def test_every_control_has_a_tooltip_and_every_input_a_name(window: MainWindow) -> None:
    missing = []
    for panel in window.panels:
        for widget in controls(panel):
            if not isinstance(widget, QAbstractItemView) and not widget.toolTip().strip():
                missing.append(f"{panel.objectName()}: no tooltip on {_name(widget)}")
            if not isinstance(widget, QAbstractButton) and not widget.accessibleName().strip():
                missing.append(f"{panel.objectName()}: no accessible name on {_name(widget)}")
    assert not missing, "\n".join(missing)


def focus_chain(panel: Panel) -> list[QWidget]:
    """What Tab visits in ``panel``, in order (the panel walks its own list: Panel.tab_walk).

    The panel is shown first: Tab skips what is hidden. tests/gui/test_keyboard.py presses Tab
    itself and checks that the walk is this one.
    """
    window = panel.window()
    assert isinstance(window, MainWindow)
    window.show_panel(panel.objectName())
    return panel.tab_walk()


def _enable_optional_parts(window: MainWindow) -> None:
    """Tick what enables more inputs, so that the tab order is checked through them too."""
    window.panel("udpSendPanel").wait_check.setChecked(True)  # type: ignore[attr-defined]
    window.panel("udpReceivePanel").reply_check.setChecked(True)  # type: ignore[attr-defined]
    server = window.panel("tcpServerPanel")
    server.reply_mode.setCurrentIndex(server.reply_mode.findData("fixed"))  # type: ignore[attr-defined]


# The main inputs of each panel, in the order Tab must reach them (others may come between).
MAIN_INPUTS = {
    "udpSendPanel": [
        "hostEdit",
        "portEdit",
        "localPortEdit",
        "broadcastCheck",
        "countSpin",
        "intervalSpin",
        "waitReplyCheck",
        "replyTimeoutSpin",
        "payloadEditMode",
        "payloadEdit",
        "sendButton",
        "logFormatCombo",
        "logView",
    ],
    "udpReceivePanel": [
        "hostEdit",
        "portEdit",
        "multicastEdit",
        "autoReplyCheck",
        "replyEdit",
        "replyEditMode",
        "startButton",
        "logView",
    ],
    "tcpClientPanel": [
        "hostEdit",
        "portEdit",
        "connectTimeoutSpin",
        "connectButton",
        "payloadEditMode",
        "payloadEdit",
        "logView",
    ],
    "tcpServerPanel": [
        "hostEdit",
        "portEdit",
        "startButton",
        "replyModeCombo",
        "fixedReplyEdit",
        "clientTable",
        "payloadEditMode",
        "payloadEdit",
        "logView",
    ],
    "fileServerPanel": ["shareList", "addFilesButton", "hostEdit", "portEdit", "startButton"],
    "downloadPanel": ["urlEdit", "folderEdit", "downloadButton"],
    "scriptsPanel": ["scriptPathEdit", "scriptEdit", "varsEdit", "startButton"],
    "relayPanel": ["hostEdit", "portEdit", "targetHostEdit", "targetPortEdit", "startButton"],
}


def test_tab_reaches_the_main_inputs_in_reading_order(window: MainWindow) -> None:
    _enable_optional_parts(window)
    for panel in window.panels:
        names = [w.objectName() for w in focus_chain(panel)]
        expected = MAIN_INPUTS[panel.objectName()]
        positions = [names.index(name) if name in names else -1 for name in expected]
        assert -1 not in positions, f"{panel.objectName()}: Tab never reaches some of {expected}"
        assert positions == sorted(positions), f"{panel.objectName()} tab order: {names}"


def test_within_each_box_tab_goes_top_to_bottom_then_left_to_right(window: MainWindow) -> None:
    """In a group box, a payload editor or the log's tool row, Tab follows the rows as read."""
    _enable_optional_parts(window)
    problems = []
    compared = 0
    for panel in window.panels:
        window.show_panel(panel.objectName())
        chain = focus_chain(panel)
        boxes = [
            w for w in panel.findChildren(QWidget) if isinstance(w, (QGroupBox, PayloadEditor))
        ]
        boxes += [log for log in panel.findChildren(TrafficLog)]
        for box in boxes:
            inside = [w for w in chain if box.isAncestorOf(w)]
            # A nested editor or group is checked on its own: here it counts as its first control.
            points = [w.mapTo(box, w.rect().topLeft()) for w in inside]
            for (a, pa), (b, pb) in zip(
                zip(inside, points, strict=True),
                zip(inside[1:], points[1:], strict=True),
                strict=False,
            ):
                compared += 1
                same_row = abs(pa.y() - pb.y()) < min(a.height(), b.height()) / 2
                if pb.y() < pa.y() and not same_row:
                    problems.append(
                        f"{panel.objectName()}: Tab goes up from {a.objectName()} to "
                        f"{b.objectName()} in {box.objectName() or type(box).__name__}"
                    )
                elif same_row and pb.x() < pa.x() and not _nested(box, a, b):
                    problems.append(
                        f"{panel.objectName()}: Tab goes left from {a.objectName()} to "
                        f"{b.objectName()} in {box.objectName() or type(box).__name__}"
                    )
    assert compared > 40
    assert not problems, "\n".join(problems)


def _nested(box: QWidget, a: QWidget, b: QWidget) -> bool:
    """True when a and b sit in different columns of ``box`` (a grid of group boxes)."""
    for child in box.findChildren(QGroupBox):
        if child.isAncestorOf(a) != child.isAncestorOf(b):
            return True
    return False


def asks_for_monospace(font: QFont) -> bool:
    """The font requested is the system's fixed-pitch one: what the app controls. Whether the
    host's font matching then reports it fixed-pitch is the host's business (Noto Sans Mono is
    not reported so), so QFontInfo is not asked."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    return font.styleHint() == QFont.StyleHint.Monospace and font.family() == fixed.family()


def test_payloads_hex_and_logs_are_monospace(window: MainWindow) -> None:
    checked = 0
    for panel in window.panels:
        for editor in panel.findChildren(PayloadEditor):
            assert asks_for_monospace(editor.edit.font()), editor.edit.objectName()
            checked += 1
        for log in panel.findChildren(TrafficLog):
            assert asks_for_monospace(log.view.font())
            checked += 1
    assert checked >= 9  # five payload editors, four traffic logs


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_window_fits_a_small_laptop_screen(
    qtbot: QtBot, settings: QSettings, qapp: QApplication, language: str
) -> None:
    before = set(qapp.findChildren(QTranslator))
    install_language(qapp, language)
    try:
        win = MainWindow(settings)
        qtbot.addWidget(win)
        hint = win.minimumSizeHint().expandedTo(win.minimumSize())
        # 1366x768 less a task bar and the title bar; every panel must fit at that size.
        assert hint.width() <= 1024 and hint.height() <= 700, hint
        for panel in win.panels:
            needed = panel.minimumSizeHint()
            assert needed.width() <= win.stack.minimumSizeHint().width() + 1, panel.objectName()
    finally:
        for translator in set(qapp.findChildren(QTranslator)) - before:
            QCoreApplication.removeTranslator(translator)
            translator.deleteLater()


# -- light and dark ----------------------------------------------------------------------------


def _luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio: 1 (none) to 21 (black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palette(window: str, text: str, base: str) -> QPalette:
    palette = QPalette(QColor(window))
    for role, value in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, base),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
    ):
        palette.setColor(role, QColor(value))
    return palette


LIGHT = _palette("#efefef", "#000000", "#ffffff")
DARK = _palette("#2b2b2b", "#e8e8e8", "#1e1e1e")


@pytest.fixture
def dark(qapp: QApplication, qtbot: QtBot) -> Iterator[QPalette]:
    """The application in a dark palette, as Qt sets it when the OS uses a dark scheme."""
    original = QPalette(qapp.palette())
    qapp.setPalette(DARK)
    try:
        yield DARK
    finally:
        qapp.setPalette(original)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_every_text_role_reads_well_on_both_backgrounds(palette: QPalette) -> None:
    assert is_dark(palette) is (palette is DARK)
    for role in ROLES:
        color = text_color(role, palette)
        minimum = 3.0 if role == "dim" else 4.5  # dim is for secondary text
        for background in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            ratio = contrast(color, palette.color(background))
            assert ratio >= minimum, (role, background, color.name(), ratio)


def _label_color(label: QLabel) -> QColor:
    match = re.search(r"color:\s*(#[0-9a-fA-F]{6})", label.styleSheet())
    if match:
        return QColor(match.group(1))
    return QApplication.palette().color(QPalette.ColorRole.WindowText)


def test_under_a_dark_palette_messages_and_log_colours_are_readable(
    qtbot: QtBot, settings: QSettings, dark: QPalette
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    receive = window.panel("udpReceivePanel")
    receive.group_edit.setText("not an address")  # type: ignore[attr-defined]
    receive.status.show_error("port 80 is in use by another program")
    window.panel("udpSendPanel").status.show_warning("no reply within 2 s")
    log = window.panel("udpSendPanel").log  # type: ignore[attr-defined]
    log.append(
        [
            LogEntry(0.0, "in", "127.0.0.1:9", b"in"),
            LogEntry(0.0, "out", "127.0.0.1:9", b"out"),
            LogEntry.note("failed", error=True),
        ]
    )
    background = dark.color(QPalette.ColorRole.Window)
    checked = 0
    for label in window.findChildren(QLabel):
        if "color" in label.styleSheet() and label.text():
            ratio = contrast(_label_color(label), background)
            assert ratio >= 3.0, (label.objectName(), label.styleSheet(), ratio)
            checked += 1
    assert checked >= 3
    for row in range(3):
        index = log.model.index(row, log.model.DATA)
        color = log.model.data(index, Qt.ItemDataRole.ForegroundRole)
        assert contrast(color, dark.color(QPalette.ColorRole.Base)) >= 4.5


def test_colours_change_when_the_scheme_changes_while_running(
    qtbot: QtBot, qapp: QApplication
) -> None:
    label = QLabel("port 80 is in use")
    qtbot.addWidget(label)
    original = QPalette(qapp.palette())
    try:
        qapp.setPalette(LIGHT)
        set_text_role(label, "error", bold=True)
        light = _label_color(label)
        assert contrast(light, LIGHT.color(QPalette.ColorRole.Window)) >= 4.5
        qapp.setPalette(DARK)  # what Qt does when the OS switches to its dark scheme
        qtbot.waitUntil(lambda: _label_color(label) != light)
        assert contrast(_label_color(label), DARK.color(QPalette.ColorRole.Window)) >= 4.5
        assert "bold" in label.styleSheet()
    finally:
        qapp.setPalette(original)


def test_no_colour_is_hard_coded_outside_the_style_module() -> None:
    """Colours live in gui/widgets/style.py, in a light and a dark variant."""
    pattern = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|Qt\.GlobalColor\.(?!transparent)")
    found = []
    for path in sorted(GUI.rglob("*.py")):
        if path.name == "style.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(GUI.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_panels_are_the_base_panel_type(window: MainWindow) -> None:
    assert all(isinstance(panel, Panel) for panel in window.panels)
