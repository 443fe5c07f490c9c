"""Quitting with work in flight asks first, says how much, and "Quit" still stops it all (15.5)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QCheckBox, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from gui import runner
from gui.main_window import ASK_BEFORE_QUIT_KEY, CLOSE_TIMEOUT, MainWindow
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)


class Answer:
    """Answers the quit question once it shows (from a timer: its exec() blocks the test)."""

    def __init__(self, button: str, *, dont_ask_again: bool = False) -> None:
        self.button = button
        self.dont_ask_again = dont_ask_again
        self.texts: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._answer)
        self.timer.start()

    def _answer(self) -> None:
        shown = [
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, QMessageBox)
            and widget.objectName() == "quitQuestion"
            and widget.isVisible()
        ]
        if not shown:
            return
        box = shown[0]
        self.timer.stop()
        self.texts.append(box.text() + "\n" + box.informativeText())
        check = box.findChild(QCheckBox, "dontAskAgainCheck")
        assert check is not None
        check.setChecked(self.dont_ask_again)
        if self.button == "quit":
            button = box.findChild(QPushButton, "quitButton")
            assert button is not None
            button.click()
        else:
            box.button(QMessageBox.StandardButton.Cancel).click()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        yield server


@pytest.fixture
def busy_window(
    qtbot: QtBot, settings: QSettings, listener: socket.socket
) -> Iterator[tuple[MainWindow, Callable[[], None]]]:
    """A window whose TCP client is connected and whose TCP server has 3 clients."""
    settings.setValue(ASK_BEFORE_QUIT_KEY, True)  # the default for users (conftest turns it off)
    # Not given to qtbot: it closes its widgets before fixtures end, with nobody to answer.
    window = MainWindow(settings)
    window.show()
    client = window.panel("tcpClientPanel")
    assert isinstance(client, TcpClientPanel)
    client.host.set_text("127.0.0.1")
    client.port.set_text(str(listener.getsockname()[1]))
    client.trigger_start()
    accepted, _ = listener.accept()
    qtbot.waitUntil(lambda: client._connected, timeout=TIMEOUT)
    server = window.panel("tcpServerPanel")
    assert isinstance(server, TcpServerPanel)
    server.bind.set_address("127.0.0.1")
    server.port.set_text("0")
    server.trigger_start()
    qtbot.waitUntil(lambda: server.server is not None, timeout=TIMEOUT)
    peers = [socket.create_connection(("127.0.0.1", server.server.port)) for _ in range(3)]
    qtbot.waitUntil(lambda: len(list(server.server.clients())) == 3, timeout=TIMEOUT)

    def stop() -> None:
        for peer in peers:
            peer.close()
        accepted.close()

    yield window, stop
    stop()
    settings.setValue(ASK_BEFORE_QUIT_KEY, False)  # nobody is there to answer any more
    window.close()
    assert not window.isVisible()
    window.deleteLater()


def test_closing_with_live_work_asks_and_cancel_keeps_it_running(
    qtbot: QtBot, busy_window: tuple[MainWindow, Callable[[], None]]
) -> None:
    window, _stop = busy_window
    answer = Answer("cancel")
    window.close()
    assert len(answer.texts) == 1
    assert "3 clients connected to the TCP server" in answer.texts[0]
    assert "1 TCP connection (to 127.0.0.1:" in answer.texts[0]
    assert window.isVisible()
    assert window.panel("tcpClientPanel")._connected  # type: ignore[attr-defined]
    assert len(runner.active_runners()) == 2


def test_quit_stops_everything_within_the_close_deadline(
    qtbot: QtBot, busy_window: tuple[MainWindow, Callable[[], None]]
) -> None:
    window, _stop = busy_window
    answer = Answer("quit")
    window.quit_action.trigger()  # Ctrl+Q
    assert len(answer.texts) == 1
    assert not window.isVisible()
    assert runner.unfinished_threads() == []  # every worker thread has ended already
    assert window.close_seconds is not None and window.close_seconds <= CLOSE_TIMEOUT


def test_dont_ask_again_is_remembered(
    qtbot: QtBot, settings: QSettings, busy_window: tuple[MainWindow, Callable[[], None]]
) -> None:
    window, _stop = busy_window
    answer = Answer("quit", dont_ask_again=True)
    window.close()
    assert len(answer.texts) == 1 and not window.isVisible()
    assert settings.value(ASK_BEFORE_QUIT_KEY) in (False, "false")
    # Live work again: a TCP server with a client.
    window.show()
    server = window.panel("tcpServerPanel")
    assert isinstance(server, TcpServerPanel)
    qtbot.waitUntil(lambda: not runner.active_runners(), timeout=TIMEOUT)
    with qtbot.waitSignal(server.runner.opened, timeout=TIMEOUT):
        server.trigger_start()
    with socket.create_connection(("127.0.0.1", server.server.port)):
        qtbot.waitUntil(lambda: bool(window.live_work()), timeout=TIMEOUT)
        asked: list[object] = []

        def look() -> None:
            if QApplication.activeModalWidget() is not None:
                asked.append(QApplication.activeModalWidget())
                QApplication.activeModalWidget().close()

        probe = QTimer()
        probe.timeout.connect(look)
        probe.start(10)
        window.close()
        probe.stop()
    assert asked == [] and not window.isVisible()
    assert runner.unfinished_threads() == []


def test_an_idle_window_closes_without_a_question(qtbot: QtBot, settings: QSettings) -> None:
    settings.setValue(ASK_BEFORE_QUIT_KEY, True)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    assert window.live_work() == []
    window.close()
    assert not window.isVisible()
