"""Every panel fits an 800x600 window in English and in Chinese, with no clipped text (15.10)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QTableView,
    QTextEdit,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.panels import PANELS
from tests.gui.conftest import small_window

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
    return found + squashed_or_overlapping(panel)


#: Controls whose height and place are checked: each must get its minimumSizeHint height and
#: must not cover another one.
CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QPlainTextEdit,
    QTextEdit,
    QTableView,
)


def squashed_or_overlapping(panel: QWidget) -> list[str]:
    """Visible controls of *panel* that are shorter than they need or overlap a sibling control."""
    found = []
    controls = [
        w
        for w in panel.findChildren(QWidget)
        if isinstance(w, CONTROLS)
        and w.isVisible()
        # Parts of Qt's compound widgets (a tab bar's scroll arrows) are Qt's to place.
        and not isinstance(w.parentWidget(), (QComboBox, QAbstractSpinBox, QTabBar))
        and not any(isinstance(a, CONTROLS) for a in ancestors(w, panel))
    ]
    for widget in controls:
        name = widget.objectName() or getattr(widget, "text", lambda: "")() or type(widget).__name__
        # A minimum height set on the widget overrides its hint, as in Qt's layouts.
        needs = widget.minimumHeight() or widget.minimumSizeHint().height()
        if widget.height() < needs:
            found.append(f"{name!r} is {widget.height()} px tall, needs {needs}")
    rects = [(w, visible_rect(w, panel)) for w in controls]
    for i, (one, first) in enumerate(rects):
        for other, second in rects[i + 1 :]:
            if first.intersects(second):
                found.append(f"{label_of(one)!r} overlaps {label_of(other)!r}")
    return found


def ancestors(widget: QWidget, panel: QWidget) -> list[QWidget]:
    parents = []
    parent = widget.parentWidget()
    while parent is not None and parent is not panel:
        parents.append(parent)
        parent = parent.parentWidget()
    return parents


def visible_rect(widget: QWidget, panel: QWidget) -> QRect:
    """*widget*'s rectangle in *panel* coordinates, clipped to what its ancestors show."""
    rect = widget.rect().translated(widget.mapTo(panel, widget.rect().topLeft()))
    for parent in ancestors(widget, panel):
        rect = rect.intersected(
            parent.rect().translated(parent.mapTo(panel, parent.rect().topLeft()))
        )
    return rect


def label_of(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, (QAbstractButton, QLineEdit)) else ""
    return widget.objectName() or text or type(widget).__name__


@pytest.mark.parametrize("name", PANEL_NAMES)
def test_every_panel_fits_800x600(
    qtbot: QtBot, settings: QSettings, language: str, name: str
) -> None:
    assert len(PANELS) == len(PANEL_NAMES)
    window = small_window(qtbot, settings)
    assert (window.width(), window.height()) == (800, 600)
    panel = window.show_panel(name)
    QApplication.processEvents()
    buttons = [w for w in panel.findChildren(QAbstractButton) if w.isVisible()]
    assert len(buttons) >= 3
    assert problems_of(panel) == []
