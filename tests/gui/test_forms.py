"""The shared shapes of the panels' controls (gui.widgets.forms): the Start / Stop pair, labelled
rows whose Alt+letter reaches the input inside a compound field, and rows of buttons."""

from __future__ import annotations

import time

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.panels.base import LoopPanel, Panel
from gui.widgets import HostField, TrafficLog
from gui.widgets.connection_table import ConnectionTable, clock
from gui.widgets.forms import (
    FieldsBox,
    LiveBox,
    add_rows,
    button_row,
    spin_box,
    start_stop_buttons,
)
from gui.widgets.payload import PayloadGroup


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


def test_a_fields_box_knows_its_tab_order_and_the_fields_a_run_locks(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    box = FieldsBox(parent)
    host = HostField(box)
    count = spin_box(QSpinBox(box), "countSpin", "Count", (1, 10))
    start, stop = QPushButton("&Start", box), QPushButton("S&top", box)
    box.add_rows(("H&ost:", host, host.combo), ("&Count:", count))
    box.add_buttons(start, stop)
    assert box.focus_chain() == [host.combo, count, start, stop]  # the inputs, not the fields
    assert box.inputs() == (host, count)  # buttons are not locked by a run
    label = box.form.labelForField(host)
    assert isinstance(label, QLabel) and label.buddy() is host.combo


def test_spin_boxes_come_from_one_spec_whole_or_decimal(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seconds = spin_box(
        QDoubleSpinBox(parent), "timeoutSpin", "Timeout", (0.5, 60.0), value=2.34, tip="How long"
    )
    assert (seconds.objectName(), seconds.accessibleName(), seconds.toolTip()) == (
        "timeoutSpin",
        "Timeout",
        "How long",
    )
    assert seconds.decimals() == 1 and (seconds.minimum(), seconds.maximum()) == (0.5, 60.0)
    assert seconds.value() == 2.3  # one decimal
    whole = spin_box(QSpinBox(parent), "countSpin", "Count", (1, 100), value=500)
    assert whole.value() == 100 and whole.toolTip() == ""  # clamped into its range


def test_a_live_box_says_changed_once_for_each_watched_signal(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    box = LiveBox("Reply", parent)
    check, edit = QCheckBox(box), QLineEdit(box)
    box.watch(check.toggled, edit.textChanged)
    seen: list[None] = []
    box.changed.connect(lambda: seen.append(None))
    check.setChecked(True)
    edit.setText("x")
    assert len(seen) == 2 and box.title() == "Reply"


def test_a_payload_group_lays_its_buttons_under_the_payload(qtbot: QtBot) -> None:
    calls: list[str] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    group = PayloadGroup("Pa&yload", parent, name="replyPayloadEdit")
    extra = QPushButton("Save", group)
    send, send_all = group.add_buttons(
        ("&Send", "sendButton", lambda: calls.append("send"), "Send it"),
        ("Send to a&ll", "sendAllButton", lambda: calls.append("all"), "To everyone"),
        after=[extra],
    )
    assert group.payload.edit.objectName() == "replyPayloadEdit"
    assert [send.objectName(), send_all.objectName()] == ["sendButton", "sendAllButton"]
    assert (send.toolTip(), send_all.toolTip()) == ("Send it", "To everyone")
    row = group.layout().itemAt(1).layout()  # type: ignore[union-attr]
    assert isinstance(row, QHBoxLayout)
    assert [row.itemAt(i).widget() for i in (0, 1, 3)] == [send, send_all, extra]  # type: ignore[union-attr]
    send.click()
    send_all.click()
    assert calls == ["send", "all"]


class _Loop(LoopPanel):
    def __init__(self) -> None:
        super().__init__(None, "test loop")
        self.log = TrafficLog(self)
        self.field = QLineEdit(self)
        self.start_button, self.stop_button = start_stop_buttons(self, ("&Go", ""), ("S&top", ""))
        self.opened: list[object] = []

    def failure_peer(self) -> str:
        return "10.0.0.2:7"

    def _on_opened(self, loop: object) -> None:
        self.opened.append(loop)


def test_a_loop_panel_wires_its_runner_and_shows_its_states(qtbot: QtBot) -> None:
    panel = _Loop()
    qtbot.addWidget(panel)
    panel.runner.opened.emit("the loop")  # wired to _on_opened by its name
    assert panel.opened == ["the loop"]
    panel.set_activity("busy")
    panel.show_running(True, panel.field)
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    assert not panel.field.isEnabled() and panel.activity() == "busy"
    panel.runner.failed.emit("port 80 is in use by another program")
    assert panel.status.kind == "error"
    (entry,) = panel.log.model.entries()
    assert (entry.direction, entry.peer) == ("error", "10.0.0.2:7")
    panel.show_stopped("Stopped listening")  # the error that ended the run stays
    assert panel.status.kind == "error" and "in use" in panel.status.text()
    panel.show_running(False, panel.field)
    assert panel.start_button.isEnabled() and panel.field.isEnabled() and panel.activity() == ""
    panel.status.show_info("Listening")
    panel.show_stopped("Stopped listening")
    assert panel.status.kind == "info" and panel.status.text() == "Stopped listening"


def test_a_connection_table_keeps_the_selection_on_the_same_connections(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    table = ConnectionTable(
        parent, "clientTable", "Clients", ["Client", "Since"], id_column=0, stretch=0, rows_shown=5
    )

    class Info:
        def __init__(self, conn_id: int, peer: str) -> None:
            self.conn_id, self.peer, self.since = conn_id, peer, 0.0

    def cells(info: Info) -> list[str]:
        return [info.peer, clock(info.since)]

    assert table.show_infos([Info(1, "a:1"), Info(2, "b:2"), Info(3, "c:3")], cells) == 3
    table.selectRow(1)
    assert table.selected_ids() == [2] and table.has_selection()
    table.show_infos([Info(2, "b:2"), Info(3, "c:3")], cells)  # the first one left
    assert table.selected_ids() == [2] and table.item(0, 0).text() == "b:2"  # type: ignore[union-attr]
    assert table.item(0, 1).text() == time.strftime("%H:%M:%S", time.localtime(0.0))  # type: ignore[union-attr]
