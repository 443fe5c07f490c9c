"""The TCP Client's several connections: one tab each with its own log and counters, closing a
tab closes its connection, "Connect many" counts N clients, round-trip times, keyboard."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QToolButton
from pytestqt.qtbot import QtBot

from gui.panels.tcp_client import ClientConnection, LoadTest, TcpClientPanel
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, free_port, small_window
from tests.gui.test_keyboard import MNEMONIC, check_walk
from tests.gui.test_packets import data_dir, make_window, read_until  # noqa: F401 (a fixture)
from tests.gui.test_small_window import problems_of

TIMEOUT = int(WAIT * 1000)
RTT = re.compile(r"rtt (\d+\.\d{3}) ms")


@pytest.fixture
def panel(qtbot: QtBot) -> TcpClientPanel:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 560)
    panel.show()
    return panel


@pytest.fixture
def second_echo() -> Iterator[TcpEchoServer]:
    server = TcpEchoServer()
    yield server
    server.close()


def connect(qtbot: QtBot, page: ClientConnection, port: int) -> None:
    page.host.set_text("127.0.0.1")
    page.port.set_text(str(port))
    qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.send_button.isEnabled, timeout=TIMEOUT)


def send(qtbot: QtBot, page: ClientConnection, text: str) -> None:
    page.payload.set_text(text)
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)


def data_rows(page: ClientConnection | LoadTest) -> list[tuple[str, bytes]]:
    model = page.log.model
    return [
        (entry.direction, entry.data)
        for entry in map(model.entry, range(model.rowCount()))
        if entry.direction in ("in", "out")
    ]


def test_two_connections_in_two_tabs_keep_their_own_logs_and_counters(
    qtbot: QtBot, panel: TcpClientPanel, tcp_echo: TcpEchoServer, second_echo: TcpEchoServer
) -> None:
    first = panel.current_connection()
    connect(qtbot, first, tcp_echo.port)
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    second = panel.current_connection()
    assert second is not first and panel.tabs.count() == 2
    assert second.host.text() == "127.0.0.1"  # a new tab starts from the current target
    connect(qtbot, second, second_echo.port)
    assert panel.tabs.tabText(0) == f"127.0.0.1:{tcp_echo.port}"
    assert panel.tabs.tabText(1) == f"127.0.0.1:{second_echo.port}"

    send(qtbot, second, "second tab")
    panel.tabs.setCurrentIndex(0)
    assert panel.current_connection() is first and panel.log is first.log
    send(qtbot, first, "one")
    qtbot.waitUntil(lambda: len(data_rows(first)) == 2, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: len(data_rows(second)) == 2, timeout=TIMEOUT)
    assert data_rows(first) == [("out", b"one"), ("in", b"one")]
    assert data_rows(second) == [("out", b"second tab"), ("in", b"second tab")]
    qtbot.waitUntil(lambda: "received 3 B · sent 3 B" in first.counters.text(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "received 10 B · sent 10 B" in second.counters.text(), timeout=TIMEOUT)
    assert panel.live_work() == ["2 TCP connections"]
    assert panel.activity() == "2 TCP connections"


def test_closing_a_tab_closes_its_connection_and_only_that_one(
    qtbot: QtBot, panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    first = panel.current_connection()
    connect(qtbot, first, tcp_echo.port)
    second = panel.add_connection()
    connect(qtbot, second, tcp_echo.port)
    qtbot.waitUntil(lambda: len(tcp_echo.clients) == 2, timeout=TIMEOUT)
    closing = tcp_echo.clients[1]
    closing.settimeout(WAIT)
    with qtbot.waitSignal(second.runner.finished, timeout=TIMEOUT):
        panel.tabs.tabCloseRequested.emit(1)
    assert panel.tabs.count() == 1
    assert closing.recv(10) == b""  # the server saw the tab's connection end
    assert first.connected and panel.live_work() == [
        f"1 TCP connection (to 127.0.0.1:{tcp_echo.port})"
    ]
    send(qtbot, first, "still here")
    qtbot.waitUntil(lambda: ("in", b"still here") in data_rows(first), timeout=TIMEOUT)
    # Closing the last tab leaves a fresh one, never an empty panel.
    with qtbot.waitSignal(first.runner.finished, timeout=TIMEOUT):
        panel.tabs.tabCloseRequested.emit(0)
    assert panel.tabs.count() == 1 and panel.current_connection() is not first
    assert not panel.is_running()


def test_connect_twenty_clients_counts_them_all_and_sends_to_all(
    qtbot: QtBot, panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    page = panel.current_connection()
    page.host.set_text("127.0.0.1")
    page.port.set_text(str(tcp_echo.port))
    panel.load_count.setValue(20)
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    load = panel.tabs.currentWidget()
    assert isinstance(load, LoadTest)
    assert panel.tabs.tabText(1) == f"20 × 127.0.0.1:{tcp_echo.port}"
    qtbot.waitUntil(lambda: len(load.ever_connected) == 20, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: len(tcp_echo.clients) == 20, timeout=TIMEOUT)
    assert "20 clients to 127.0.0.1:" in load.summary.text()
    assert ": 20 connected, 20 still up, 0 failed, 0 closed" in load.summary.text()
    assert panel.live_work() == ["20 TCP connections"]

    load.payload.set_text("hello all")
    qtbot.mouseClick(load.send_all_button, Qt.MouseButton.LeftButton)
    assert load.status.text() == "Sent to 20 clients"
    qtbot.waitUntil(lambda: load.group.bytes_in == 20 * 9, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: data_rows(load).count(("in", b"hello all")) == 20, timeout=TIMEOUT)
    peers = {entry.peer for entry in load.log.model.entries() if entry.direction == "in"}
    assert peers == {f"#{k}" for k in range(1, 21)}  # each client's reply on its own row

    with qtbot.waitSignal(load.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(load.disconnect_button, Qt.MouseButton.LeftButton)
    assert ": 20 connected, 0 still up, 0 failed, 20 closed" in load.summary.text()


def test_connect_many_status_line_says_when_every_client_has_connected(
    qtbot: QtBot, panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    page = panel.current_connection()
    page.host.set_text("127.0.0.1")
    page.port.set_text(str(tcp_echo.port))
    load = panel.start_load_test(30)
    assert load is not None
    assert load.status.text().startswith("Connecting 30 clients to 127.0.0.1:")
    qtbot.waitUntil(lambda: len(load.ever_connected) == 30, timeout=TIMEOUT)
    # Updated by the event that connected the last client, while all 30 are still up.
    assert ": 30 connected, 30 still up, 0 failed" in load.status.text()
    assert load.status.kind == "info" and load.runner.running
    load.trigger_stop()
    qtbot.waitUntil(lambda: not load.runner.running, timeout=TIMEOUT)


def test_connect_many_to_a_closed_port_counts_the_failures(
    qtbot: QtBot, panel: TcpClientPanel
) -> None:
    page = panel.current_connection()
    page.host.set_text("127.0.0.1")
    page.port.set_text(str(free_port(socket.SOCK_STREAM)))
    load = panel.start_load_test(5)
    assert load is not None
    with qtbot.waitSignal(load.runner.finished, timeout=TIMEOUT):
        pass
    assert ": 0 connected, 0 still up, 5 failed, 0 closed" in load.summary.text()
    errors = [e for e in load.log.model.entries() if e.direction == "error"]
    assert len(errors) == 5 and all("refused" in (e.text or "") for e in errors)


def test_connect_many_refuses_bad_input(qtbot: QtBot, panel: TcpClientPanel) -> None:
    panel.current_connection().port.set_text("70000")
    assert panel.start_load_test(3) is None
    assert panel.status.kind == "error" and panel.tabs.count() == 1


def test_round_trip_time_of_a_send_and_its_first_reply(
    qtbot: QtBot, panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    page = panel.current_connection()
    connect(qtbot, page, tcp_echo.port)
    for number in range(3):
        send(qtbot, page, f"ping {number}")
        qtbot.waitUntil(
            lambda number=number: ("in", f"ping {number}".encode()) in data_rows(page),
            timeout=TIMEOUT,
        )
    assert "after" in panel.status.text() and panel.status.text().endswith(" ms")
    match = re.search(r"rtt min/median/max (\S+)/(\S+)/(\S+) ms", page.counters.text())
    assert match, page.counters.text()
    low, median, high = map(float, match.groups())
    assert 0 <= low <= median <= high


def test_the_target_is_remembered(qtbot: QtBot, panel: TcpClientPanel, settings: QSettings) -> None:
    panel.current_connection().host.set_text("192.0.2.7")
    panel.current_connection().port.set_text("4242")
    panel.save_settings(settings)
    again = TcpClientPanel()
    qtbot.addWidget(again)
    again.restore_settings(settings)
    assert (again.host.text(), again.port.text()) == ("192.0.2.7", "4242")


def visible_mnemonics(panel: TcpClientPanel) -> list[str]:
    found = []
    for widget in panel.findChildren(QGroupBox) + panel.findChildren(QLabel):
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        if widget.isVisible():
            found += MNEMONIC.findall(text.replace("&&", ""))
    for button in panel.findChildren(QAbstractButton):
        if button.isVisible():
            found += MNEMONIC.findall(button.text().replace("&&", ""))
    return [letter.lower() for letter in found]


def test_tab_walk_and_mnemonics_with_several_tabs(
    qtbot: QtBot, settings: QSettings, tcp_echo: TcpEchoServer
) -> None:
    window = small_window(qtbot, settings, activate=True)
    panel = window.show_panel("tcpClientPanel")
    assert isinstance(panel, TcpClientPanel)
    panel.add_connection()
    panel.current_connection().port.set_text(str(tcp_echo.port))
    panel.current_connection().host.set_text("127.0.0.1")
    load = panel.start_load_test(2)
    assert load is not None
    qtbot.waitUntil(lambda: len(load.ever_connected) == 2, timeout=TIMEOUT)
    menus = [m.lower() for a in window.menuBar().actions() for m in MNEMONIC.findall(a.text())]
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        forward = check_walk(qtbot, window, panel)  # every visible control once, and out
        names = [w.objectName() for w in forward]
        assert forward[0] is panel.tabs.tabBar()  # the tabs, the buttons beside them, the tab
        assert names[1:4] == ["newConnectionButton", "loadClientCountSpin", "loadTestButton"]
        assert names[-1] == "logView"
        letters = visible_mnemonics(panel) + menus
        assert len(letters) == len(set(letters)), (index, sorted(letters))
    window.close()


@pytest.mark.usefixtures("data_dir")  # the packet library lives in a temp folder
def test_a_new_tab_gets_its_own_send_tools_for_its_own_connection(
    qtbot: QtBot, settings: QSettings, tcp_echo: TcpEchoServer
) -> None:
    window = make_window(qtbot, settings)
    panel = window.panel("tcpClientPanel")
    assert isinstance(panel, TcpClientPanel)
    first = panel.current_connection()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        connect(qtbot, first, tcp_echo.port)
        second = panel.add_connection()
        assert second.repeat_send is not None and second.repeat_send is not first.repeat_send
        assert panel.repeat_send is second.repeat_send  # the panel's are the current tab's
        # The tab's own "Packets…" button (its menu saves this tab's payload as a packet).
        packets = second.payload.findChild(QToolButton, "showPacketsButton")
        assert packets is not None and not packets.isHidden()
        second.port.set_text(str(server.getsockname()[1]))
        qtbot.mouseClick(second.connect_button, Qt.MouseButton.LeftButton)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(WAIT)
            qtbot.waitUntil(second.send_button.isEnabled, timeout=TIMEOUT)
            second.payload.set_text("<{{counter}}>")
            panel.tabs.setCurrentIndex(0)  # repeating goes on in the tab it was started from
            assert second.repeat_send.start(2, 0)
            assert read_until(qtbot, conn, 6) == b"<1><2>"
        assert data_rows(first) == []
        with qtbot.waitSignal(second.runner.finished, timeout=TIMEOUT):
            second.trigger_stop()
    window.close()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_several_tabs_and_a_load_test_fit_800x600(
    qtbot: QtBot,
    settings: QSettings,
    tcp_echo: TcpEchoServer,
    request: pytest.FixtureRequest,
    language: str,
) -> None:
    if language == "zh_CN":
        assert request.getfixturevalue("chinese")
    window = small_window(qtbot, settings)
    panel = window.show_panel("tcpClientPanel")
    assert isinstance(panel, TcpClientPanel)
    panel.current_connection().host.set_text("127.0.0.1")
    panel.current_connection().port.set_text(str(tcp_echo.port))
    for _ in range(3):
        panel.add_connection()
    load = panel.start_load_test(3)
    assert load is not None
    qtbot.waitUntil(lambda: len(load.ever_connected) == 3, timeout=TIMEOUT)
    # Qt's own clear button of a filled host field is 2 px short of its hint on every panel
    # (test_small_window leaves the fields empty); it is not what this test is about.
    for page in panel.connections():
        if isinstance(page, ClientConnection):
            page.host.combo.lineEdit().setClearButtonEnabled(False)
    for index in (panel.tabs.count() - 1, 0):
        panel.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        assert problems_of(panel) == [], index
    window.close()
