"""GUI test fixtures: settings in a temp folder, loopback peers, and no worker thread left behind."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui import runner
from gui.app import APP_NAME, ORGANIZATION, install_language, install_plural_forms
from gui.collector import GuiThreadCollector
from gui.main_window import ASK_BEFORE_QUIT_KEY, MainWindow
from net._i18n import set_language as set_net_language
from tests.conftest import WAIT

if TYPE_CHECKING:
    from gui.panels.udp_receive import UdpReceivePanel
    from gui.panels.udp_send import UdpSendPanel


@pytest.fixture(autouse=True, scope="session")
def english_plurals(qapp: QApplication) -> None:
    """What create_app does for every app: English plural forms ("1 datagram", "2 datagrams"),
    and Python's garbage collection on the GUI thread only (gui.collector)."""
    assert install_plural_forms()
    if qapp.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(qapp)


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, qapp: object) -> Path:
    """Every QSettings() a test makes lives in a temp folder, never in the user's settings."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    # A window closed with work in flight would ask (and wait for) a question nobody answers;
    # tests/gui/test_quit.py turns the question back on and answers it.
    QSettings().setValue(ASK_BEFORE_QUIT_KEY, False)
    return folder


@pytest.fixture
def settings(settings_dir: Path) -> QSettings:
    settings = QSettings(str(settings_dir / "test.ini"), QSettings.Format.IniFormat)
    settings.setValue(ASK_BEFORE_QUIT_KEY, False)  # as above
    return settings


@pytest.fixture(autouse=True)
def no_worker_left(qapp: object) -> Iterator[None]:
    """After each test: stop every worker, and every worker thread must have finished."""
    yield
    assert runner.stop_all(WAIT), "a worker did not stop"
    assert runner.unfinished_threads() == []
    # A file server panel's share table hashes on its own thread; the panel must be closed.
    hashing = [t for t in threading.enumerate() if t.name == "swb-share-hash" and t.is_alive()]
    assert hashing == [], "a share table was left open (call the panel's stop_workers())"


class UdpEcho:
    """A plain-socket UDP echo peer on 127.0.0.1, on its own thread (joined by the fixture)."""

    def __init__(self, *, reply: bytes | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.received: list[tuple[bytes, tuple[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="udp echo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, address = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append((data, address))
            self.sock.sendto(self.reply if self.reply is not None else data, address)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)
        self.sock.close()
        assert not self._thread.is_alive()


@pytest.fixture
def udp_echo() -> Iterator[UdpEcho]:
    echo = UdpEcho()
    yield echo
    echo.close()


class TcpEchoServer:
    """A plain-socket TCP server on 127.0.0.1 that echoes each client, one thread per client."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.clients: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept, name="tcp echo", daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(WAIT)  # sendall may wait for a busy reader; never forever
            self.clients.append(conn)
            thread = threading.Thread(target=self._echo, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _echo(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([conn], [], [], 0.1)
            if not readable:
                continue
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                conn.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(WAIT)
        for thread in self._threads:
            thread.join(WAIT)
        for conn in self.clients:
            conn.close()
        self.listener.close()
        assert not self._accepter.is_alive()
        assert not any(thread.is_alive() for thread in self._threads)


@pytest.fixture
def tcp_echo() -> Iterator[TcpEchoServer]:
    server = TcpEchoServer()
    yield server
    server.close()


def free_port(kind: socket.SocketKind = socket.SOCK_DGRAM) -> int:
    """A port nothing listens on right now (for "connection refused" and similar)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _net_language_restored() -> Iterator[None]:
    """A test that picked a language (install_language sets net's too) leaves the next English."""
    yield
    set_net_language(None)


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[list[str]]:
    """The zh_CN translations (the app's and Qt's own) installed for one test."""
    before = set(qapp.findChildren(QTranslator))
    locale = QLocale()
    loaded = install_language(qapp, "zh_CN")
    try:
        yield loaded
    finally:
        QLocale.setDefault(locale)
        for translator in set(qapp.findChildren(QTranslator)) - before:
            QCoreApplication.removeTranslator(translator)
            translator.deleteLater()


@pytest.fixture
def receive_panel(qtbot: QtBot) -> UdpReceivePanel:
    """A UDP Receive panel, shown (its module loads here: the panels load lazily in the app)."""
    from gui.panels.udp_receive import UdpReceivePanel

    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.fixture
def send_panel(qtbot: QtBot) -> UdpSendPanel:
    """A UDP Send panel, shown."""
    from gui.panels.udp_send import UdpSendPanel

    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def small_window(qtbot: QtBot, settings: QSettings, *, activate: bool = False) -> MainWindow:
    """The main window at 800x600 (the smallest size it promises to fit), shown and exposed;
    ``activate`` also gives it the keyboard focus (tests that press keys)."""
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    if activate:
        window.activateWindow()
    qtbot.waitExposed(window)
    return window
