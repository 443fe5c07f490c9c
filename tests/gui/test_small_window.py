"""Every panel fits an 800x600 window in English and in Chinese, with no clipped text (15.10)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QTableView,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.panels import PANELS

PANEL_NAMES = [
    "udpSendPanel",
    "udpReceivePanel",
    "tcpClientPanel",
    "tcpServerPanel",
    "fileServerPanel",
    "downloadPanel",
    "scriptsPanel",
    "relayPanel",
]
#: A column must show at least this much of itself to count as shown.
COLUMN_SHOWN = 30


@pytest.fixture(params=["en", "zh_CN"])
def language(request: pytest.FixtureRequest) -> str:
    if request.param == "zh_CN":
        assert request.getfixturevalue("chinese")  # installed for this test only
    return str(request.param)


def problems_of(panel: QWidget) -> list[str]:
    found = []
    if panel.minimumSizeHint().width() > panel.width():
        found.append(f"needs {panel.minimumSizeHint().width()} px, has {panel.width()}")
    for widget in panel.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, (QPushButton, QCheckBox, QToolButton)):
            if widget.sizeHint().width() > widget.width():
                found.append(f"{widget.objectName() or widget.text()!r} is cut")
        elif isinstance(widget, QLabel) and widget.text() and not widget.wordWrap():
            text = widget.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            if widget.fontMetrics().horizontalAdvance(text) > (widget.contentsRect().width()):
                found.append(f"label {widget.objectName() or text!r} is cut")
        elif isinstance(widget, QTableView):
            header = widget.horizontalHeader()
            width = widget.viewport().width()
            for column in range(header.count()):
                if header.isSectionHidden(column):
                    continue
                shown = min(header.sectionSize(column), COLUMN_SHOWN)
                if header.sectionViewportPosition(column) + shown > width:
                    found.append(f"{widget.objectName()} column {column} is out of sight")
    return found


@pytest.mark.parametrize("name", PANEL_NAMES)
def test_every_panel_fits_800x600(
    qtbot: QtBot, settings: QSettings, language: str, name: str
) -> None:
    assert len(PANELS) == len(PANEL_NAMES)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    assert (window.width(), window.height()) == (800, 600)
    panel = window.show_panel(name)
    QApplication.processEvents()
    buttons = [w for w in panel.findChildren(QAbstractButton) if w.isVisible()]
    assert len(buttons) >= 3
    assert problems_of(panel) == []
