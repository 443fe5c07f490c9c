"""The shared shapes of the panels' controls (gui.widgets.forms): the Start / Stop pair, labelled
rows whose Alt+letter reaches the input inside a compound field, and rows of buttons."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from gui.panels.base import Panel
from gui.widgets import HostField
from gui.widgets.forms import add_rows, button_row, start_stop_buttons


class _Runs(Panel):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def trigger_start(self) -> None:
        self.calls.append("start")

    def trigger_stop(self) -> None:
        self.calls.append("stop")


def test_the_start_stop_pair_calls_the_panel_s_start_and_stop(qtbot: QtBot) -> None:
    panel = _Runs()
    qtbot.addWidget(panel)
    start, stop = start_stop_buttons(
        panel,
        ("&Connect", "Connect (Ctrl+R)"),
        ("&Disconnect", "Disconnect (Ctrl+.)"),
        names=("connectButton", "disconnectButton"),
    )
    assert [start.objectName(), stop.objectName()] == ["connectButton", "disconnectButton"]
    assert start.isDefault() and not stop.isDefault()
    assert (start.toolTip(), stop.toolTip()) == ("Connect (Ctrl+R)", "Disconnect (Ctrl+.)")
    assert panel.findChild(QPushButton, "connectButton") is start
    start.click()
    stop.click()
    assert panel.calls == ["start", "stop"]
    send, _stop = start_stop_buttons(
        panel, ("&Send", ""), ("S&top", ""), on_start=lambda: panel.calls.append("send")
    )
    send.click()
    assert panel.calls[-1] == "send"


def test_a_row_label_leads_to_the_input_inside_its_field(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    form = QFormLayout(parent)
    host = HostField(parent)
    count = QSpinBox(parent)
    note = QLineEdit(parent)
    add_rows(form, ("H&ost:", host, host.combo), ("&Count:", count), ("", note))
    host_label, count_label = form.labelForField(host), form.labelForField(count)
    assert isinstance(host_label, QLabel) and host_label.buddy() is host.combo
    assert isinstance(count_label, QLabel) and count_label.buddy() is count
    assert form.labelForField(note) is None and form.rowCount() == 3  # a row without a label
    row = button_row(QPushButton("a", parent), QPushButton("b", parent))
    assert row.count() == 3  # the two buttons, then the stretch that keeps them left
    assert row.itemAt(2).spacerItem() is not None  # type: ignore[union-attr]
