"""The Scripts panel: a script runs against a device simulator on loopback, step by step, with
Stop; a bad script starts nothing and says where. The rules tables of the TCP server and UDP
receive panels answer real clients, and take edits while running."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.panels.scripts import EXAMPLE_SCRIPT, ScriptsPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets import TrafficLog
from net.script import Record, ScriptRunner, StepResult, parse_script, script_from_records
from tests.conftest import WAIT
from tests.gui.conftest import small_window
from tests.gui.test_tcp_panels import connect, recv_exactly, start_server
from tests.gui.test_udp_panels import start_listening
from tests.net.test_script import (
    conversation,
    good_device,
    tcp_device,
    udp_device,
    wrong_device,
)

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def panel(qtbot: QtBot) -> ScriptsPanel:
    widget = ScriptsPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def run(qtbot: QtBot, panel: ScriptsPanel) -> None:
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def cells(panel: ScriptsPanel, row: int) -> list[str]:
    log = panel.log
    return [log.item(row, column).text() for column in range(log.columnCount())]


def test_example_script_is_valid() -> None:
    assert len(parse_script(EXAMPLE_SCRIPT).steps) == 3


def test_script_runs_step_by_step(qtbot: QtBot, panel: ScriptsPanel) -> None:
    with tcp_device(good_device) as device:
        panel.editor.setPlainText(conversation(device.port, repeat=2))
        run(qtbot, panel)
    assert panel.findChild(object, "stepLog") is panel.log
    assert panel.log.rowCount() == 10
    first, expect = cells(panel, 0), cells(panel, 1)
    assert first[:4] == ["1", "1", "send", "8"]
    assert expect[:4] == ["1", "2", "expect", "6"]
    assert float(expect[5]) >= 0 and expect[6] == "OK  seq=1"
    assert cells(panel, 9)[:3] == ["2", "5", "delay"]
    assert panel.summary.text().startswith("4 of 4 expectations matched, 10 steps in ")
    assert panel.status.text() == "Every expectation matched"


def test_wrong_answer_shows_the_failed_step(qtbot: QtBot, panel: ScriptsPanel) -> None:
    with tcp_device(wrong_device) as device:
        panel.editor.setPlainText(conversation(device.port).replace("timeout = 3", "timeout = 0.3"))
        run(qtbot, panel)
    assert panel.log.rowCount() == 2
    failed = cells(panel, 1)
    assert failed[6].startswith("FAILED  step 2 (line 12) expect")
    assert "ERR busy" in panel.status.text()
    assert panel.summary.text().startswith("0 of 2 expectations matched")


def test_bad_script_starts_nothing(qtbot: QtBot, panel: ScriptsPanel) -> None:
    panel.editor.setPlainText('[connection]\nhost = "h"\nport = = 5\n')
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.runner.running
    assert panel.status.text().endswith("(at line 3, column 8)")
    panel.editor.setPlainText(conversation(5))
    panel.vars_edit.setText("novalue")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.runner.running
    assert "must look like NAME=VALUE" in panel.status.text()


def test_stop_ends_a_waiting_script(qtbot: QtBot, panel: ScriptsPanel) -> None:
    with tcp_device(lambda line: b"") as device:
        source = conversation(device.port).replace("timeout = 3", "timeout = 60")
        panel.editor.setPlainText(source)
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.log.rowCount() == 1, timeout=TIMEOUT)  # sent; now waiting
        assert panel.stop_button.isEnabled() and not panel.editor.isEnabled()
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert panel.status.text() == "Stopped"
    assert panel.result is not None and panel.result.stopped


def test_variables_open_and_save(qtbot: QtBot, panel: ScriptsPanel, tmp_path: Path) -> None:
    path = tmp_path / "get.toml"
    with tcp_device(good_device) as device:
        path.write_text(
            f'[connection]\nhost = "127.0.0.1"\nport = {device.port}\n'
            '[[step]]\nsend = "GET {{sensor}}\\n"\n[[step]]\nexpect = "VAL {{sensor}}=42"\n',
            encoding="utf-8",
        )
        assert panel.open_file(str(path))
        panel.vars_edit.setText("sensor=t1")
        run(qtbot, panel)
    assert cells(panel, 1)[6] == "OK  VAL t1=42"
    panel.editor.setPlainText(panel.editor.toPlainText() + "# edited\n")
    assert panel.save_file()
    assert path.read_text(encoding="utf-8").endswith("# edited\n")
    assert not panel.open_file(str(tmp_path / "missing.toml"))
    assert "Cannot open" in panel.status.text()


# -- rules tables in the TCP server and UDP receive panels ------------------------------------


def out_rows(log: TrafficLog) -> list[bytes]:
    return [entry.data for entry in log.model.entries() if entry.direction == "out"]


def test_tcp_server_rules_answer_and_change_while_running(qtbot: QtBot) -> None:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.reply_mode.setCurrentIndex(panel.reply_mode.findData("echo"))
    table = panel.rules
    assert panel.findChild(object, "rulesTable") is table.table
    row = table.add_rule("regex", r"GET (\w+)", r"VAL {{1}}=42\n")
    port = start_server(qtbot, panel)
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"GET temp\n")
        assert recv_exactly(client, 12) == b"VAL temp=42\n"
        client.sendall(b"hello\n")  # no rule: the echo answers
        assert recv_exactly(client, 6) == b"hello\n"
        table.table.item(row, 3).setText(r"T={{1}}\n")  # edited while running
        client.sendall(b"GET x\n")
        assert recv_exactly(client, 4) == b"T=x\n"
        qtbot.waitUntil(lambda: len(out_rows(panel.log)) == 3, timeout=TIMEOUT)
    assert out_rows(panel.log) == [b"VAL temp=42\n", b"hello\n", b"T=x\n"]
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


def test_bad_rule_is_named_and_starts_nothing(qtbot: QtBot) -> None:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.rules.add_rule("contains", "ok", "fine")
    panel.rules.add_rule("regex", "GET (", "x")
    assert panel.rules.error.isVisible()
    assert panel.rules.error.text().startswith("Rule 2: the regex 'GET (' does not compile")
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.runner.running
    assert "Rule 2" in panel.status.text()
    panel.rules.table.selectRow(1)
    qtbot.mouseClick(panel.rules.remove_button, Qt.MouseButton.LeftButton)
    assert panel.rules.table.rowCount() == 1 and not panel.rules.error.isVisible()


def test_udp_receive_rules_answer_with_out_rows(qtbot: QtBot) -> None:
    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.rules.add_rule("regex", r"GET (\w+)", r"VAL {{1}}=42\n")
    disabled = panel.rules.add_rule("prefix", "GET", "never", enabled=False)
    assert disabled == 1
    port = start_listening(qtbot, panel)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(WAIT)
        client.sendto(b"GET temp", ("127.0.0.1", port))
        assert client.recvfrom(100)[0] == b"VAL temp=42\n"
        panel.rules.add_rule("exact", "PING", "PONG")  # added while listening
        client.sendto(b"PING", ("127.0.0.1", port))
        assert client.recvfrom(100)[0] == b"PONG"
    qtbot.waitUntil(lambda: len(out_rows(panel.log)) == 2, timeout=TIMEOUT)
    assert out_rows(panel.log) == [b"VAL temp=42\n", b"PONG"]
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


# -- record -> script from the TCP Client and UDP Send panels ---------------------------------


def replay(path: Path, port: int) -> tuple[list[StepResult], str]:
    text = re.sub(r"(?m)^port = \d+$", f"port = {port}", path.read_text(encoding="utf-8"))
    steps: list[StepResult] = []
    with ScriptRunner(parse_script(text), steps.append) as runner:
        outcome = runner.run()
    return steps, outcome.problem


def test_tcp_client_conversation_saved_as_a_script_replays(qtbot: QtBot, tmp_path: Path) -> None:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.show()
    path = tmp_path / "recorded.toml"
    assert not panel.save_as_script(str(path))  # no host yet
    assert panel.status.text()
    with tcp_device(good_device) as device:
        panel.host.set_text("127.0.0.1")
        panel.port.set_text(str(device.port))
        assert not panel.save_as_script(str(path))  # nothing sent yet
        assert "Nothing was sent yet" in panel.status.text()
        connect(qtbot, panel, device.port)
        panel.payload.set_text("GET temp\n")
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: any(e.direction == "in" for e in panel.log.model.entries()), timeout=TIMEOUT
        )
        assert panel.save_as_script(str(path))
        assert "Saved the conversation as" in panel.status.text()
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.disconnect_button, Qt.MouseButton.LeftButton)
    with tcp_device(good_device) as device:
        steps, problem = replay(path, device.port)
    assert problem == ""
    assert [(s.step.kind, s.data) for s in steps] == [
        ("send", b"GET temp\n"),
        ("expect", b"VAL temp=42\r\n"),
    ]


def test_udp_send_conversation_saved_as_a_script_replays(qtbot: QtBot, tmp_path: Path) -> None:
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    path = tmp_path / "udp.toml"
    with udp_device(good_device) as port:
        panel.host.set_text("127.0.0.1")
        panel.port.set_text(str(port))
        panel.payload.set_text("PING 7")
        panel.wait_check.setChecked(True)
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        assert panel.save_as_script(str(path))
        steps, problem = replay(path, port)
    assert 'protocol = "udp"' in path.read_text(encoding="utf-8")
    assert problem == "" and steps[1].data == b"PONG 7\r\n"


def test_tcp_server_mocks_a_recorded_device(qtbot: QtBot, tmp_path: Path) -> None:
    """Record once (a script), mock it in the server panel's rules table, replay against it."""
    records = [
        Record("sent", b"GET temp\n"),
        Record("received", b"VAL temp=42\n"),
        Record("sent", b"GET hum\n"),
        Record("received", b"VAL hum=40\n"),
    ]
    path = tmp_path / "recorded.toml"
    path.write_text(script_from_records(records, protocol="tcp", host="127.0.0.1", port=1))
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.rules.add_from_script(str(path)) == 2
    assert panel.rules.table.item(0, 2).text() == "GET temp"
    port = start_server(qtbot, panel)
    steps, problem = replay(path, port)
    assert problem == "" and [s.data for s in steps if s.step.kind == "expect"] == [
        b"VAL temp=42\n",
        b"VAL hum=40\n",
    ]
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    panel.rules.table.setRowCount(0)
    (tmp_path / "none.toml").write_text(conversation(5))
    assert panel.rules.add_from_script(str(tmp_path / "none.toml")) == 0
    assert "no send followed by an exact expect" in panel.rules.error.text()


def test_tcp_server_rules_count_per_rule_across_edits_and_take_any_framing(
    qtbot: QtBot,
) -> None:
    """{{counter}} counts each rule's replies and keeps counting while the table is edited;
    the framing may be any net.framing spec (len1 here), automatic by default."""
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    table = panel.rules
    assert table.framing() is None  # automatic: lines, or raw chunks when a rule is hex
    table.framing_combo.setCurrentIndex(table.framing_combo.findData("len1"))  # type: ignore[union-attr]
    table.add_rule("exact", "a", "a{{counter}}")
    table.add_rule("exact", "b", "b{{counter}}")
    port = start_server(qtbot, panel)
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"\x01a\x01b\x01a")
        assert recv_exactly(client, 6) == b"a1b1a2"
        table.add_rule("exact", "c", "c")  # an edit while running: counters go on
        client.sendall(b"\x01a\x01c")
        assert recv_exactly(client, 3) == b"a3c"
    table.framing_combo.setEditText("fixed:0")  # type: ignore[union-attr]
    assert table.error.isVisible() and "fixed:N" in table.error.text()
    table.framing_combo.setEditText("delim:03")  # type: ignore[union-attr]
    assert not table.error.isVisible() and table.framing() == "delim:03"
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_rules_table_shows_two_rows_at_800x600(
    qtbot: QtBot, settings: QSettings, language: str, request: pytest.FixtureRequest
) -> None:
    """Issue 15: the rules table was squeezed under its buttons to less than one row."""
    if language == "zh_CN":
        assert request.getfixturevalue("chinese")
    window = small_window(qtbot, settings)
    panel = window.show_panel("tcpServerPanel")
    table = panel.rules  # type: ignore[attr-defined]
    for _ in range(3):
        table.add_rule("contains", "x", "y")
    QApplication.processEvents()
    rows = table.table.verticalHeader()
    shown = table.table.viewport().height()
    assert shown >= 2 * rows.sectionSize(0), (shown, rows.sectionSize(0))
    # The buttons and the framing below stay visible inside the panel.
    for widget in (table.add_button, table.framing_combo):
        bottom = widget.mapTo(panel, widget.rect().bottomLeft()).y()
        assert widget.isVisible() and bottom <= panel.height()
