"""Bad input in every panel's fields: a clear sentence, nothing started, nothing crashed.

Each case puts one bad value in one field of an otherwise valid form, presses the panel's real
button and checks that the user reads a sentence (no traceback, errno or exception class name),
that no worker is left running, that Start/Send is enabled again and Stop disabled, and that the
port the form named is still free. Spin boxes clamp instead of complaining: those cases check the
value shown is within range.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from gui import runner
from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets.status import InlineError
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, free_port

TIMEOUT = int(WAIT * 1000)
UDP = socket.SOCK_DGRAM
HUGE = "x" * 100_000
HUGE_DIGITS = "9" * 100_000
NON_ASCII = ["中文", "😀", "שלום עולם"]
BAD_PORTS = ["", "-1", "70000", "99999999999999999999", "4G", HUGE, HUGE_DIGITS, *NON_ASCII]
# A listener's empty port means "any free port", as its placeholder says (see test_messages.py).
BAD_LISTEN_PORTS = [port for port in BAD_PORTS if port]
BAD_HOSTS = ["", HUGE, "999.1.1.1", "a..b", "[::1", "http://x", "-1", *NON_ASCII]
# (mode, encoding, text): payloads no encoder can turn into bytes.
BAD_PAYLOADS = [
    ("hex", "UTF-8", "4G"),
    ("hex", "UTF-8", "0x"),
    ("hex", "UTF-8", "123"),
    ("hex", "UTF-8", "中文"),
    ("hex", "UTF-8", "4G" * 50_000),
    ("escapes", "UTF-8", "\\q"),
    ("escapes", "UTF-8", "\\x4"),
    ("escapes", "UTF-8", "\\"),
    ("text", "GBK", "😀"),
    ("text", "Latin-1", "中文"),
    ("text", "ASCII", "שלום"),
    ("text", "no-such-codec", "hello"),
]
EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception)\b|\bErrno\b|Traceback|internal error")


# -- what every case checks ----------------------------------------------------------------------


def shown_messages(panel: QWidget) -> list[str]:
    texts = [panel.status.text()]  # type: ignore[attr-defined]
    texts += [
        label.text()
        for label in panel.findChildren(InlineError)
        if label.isVisibleTo(panel) and label.text()
    ]
    return [text for text in texts if text.strip()]


def assert_refused(
    qtbot: QtBot,
    panel: QWidget,
    *,
    idle: list[QPushButton],
    port: int = 0,
    kind: socket.SocketKind = socket.SOCK_STREAM,
) -> None:
    """A sentence is shown, no worker runs, the buttons are back at rest, the port is free."""
    qtbot.waitUntil(lambda: not runner.active_runners(), timeout=TIMEOUT)
    assert runner.unfinished_threads() == []
    messages = shown_messages(panel)
    assert messages, "no message was shown"
    assert panel.status.kind in ("error", "warning"), panel.status.text()  # type: ignore[attr-defined]
    assert panel.status.text().strip()  # type: ignore[attr-defined]
    for message in messages:
        assert not EXCEPTION_NAME.search(message), message
        assert len(message) < 2_000, "the message repeats a huge input back to the user"
    for button in idle:
        assert button.isEnabled(), button.objectName()
    stop = panel.findChild(QPushButton, "stopButton")
    if stop is not None:
        assert not stop.isEnabled()
    if port:
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("0.0.0.0", port))  # still free: nothing was bound


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def set_spin(spin: QAbstractSpinBox, text: str) -> None:
    spin.lineEdit().setText(text)
    spin.interpretText()
    spin.clearFocus()


def assert_clamped(spin: Any) -> None:
    assert spin.minimum() <= spin.value() <= spin.maximum()
    assert spin.hasAcceptableInput() or spin.text()  # shows a number, never the bad text


@pytest.fixture
def show(qtbot: QtBot) -> Iterator[Callable[[QWidget], QWidget]]:
    shown: list[QWidget] = []

    def add(panel: QWidget) -> QWidget:
        qtbot.addWidget(panel)
        panel.show()
        shown.append(panel)
        return panel

    yield add
    for panel in shown:  # what the window does on close: workers and checksum threads stop
        stop_workers = getattr(panel, "stop_workers", None)
        if stop_workers is not None:
            stop_workers()


# -- UDP send ------------------------------------------------------------------------------------


def udp_send_form(panel: UdpSendPanel, port: int) -> None:
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(port))
    panel.payload.set_text("hello")


UDP_SEND_CASES = [
    *[("host", value) for value in BAD_HOSTS],
    *[("port", value) for value in [*BAD_PORTS, "0"]],
    *[("bind_port", value) for value in ["-1", "70000", "99999999999999999999", "abc", *NON_ASCII]],
]


@pytest.mark.parametrize(("field", "value"), UDP_SEND_CASES)
def test_udp_send_bad_address(qtbot: QtBot, show: Any, field: str, value: str) -> None:
    panel = show(UdpSendPanel())
    port = free_port()
    udp_send_form(panel, port)
    getattr(panel, field).set_text(value)
    click(qtbot, panel.send_button)
    assert_refused(qtbot, panel, idle=[panel.send_button], port=port, kind=socket.SOCK_DGRAM)


@pytest.mark.parametrize(("mode", "encoding", "text"), BAD_PAYLOADS)
def test_udp_send_bad_payload(qtbot: QtBot, show: Any, mode: str, encoding: str, text: str) -> None:
    panel = show(UdpSendPanel())
    port = free_port()
    udp_send_form(panel, port)
    panel.payload._select(panel.payload.mode_combo, mode)
    panel.payload.encoding_combo.setCurrentText(encoding)
    panel.payload.set_text(text)
    click(qtbot, panel.send_button)
    assert_refused(qtbot, panel, idle=[panel.send_button], port=port, kind=socket.SOCK_DGRAM)
    assert panel.payload.error.text()


def test_udp_send_payload_too_large_for_a_datagram(qtbot: QtBot, show: Any) -> None:
    panel = show(UdpSendPanel())
    port = free_port()
    udp_send_form(panel, port)
    panel.payload.set_text(HUGE)
    click(qtbot, panel.send_button)
    assert_refused(qtbot, panel, idle=[panel.send_button])


SPIN_VALUES = ["-1", "0", "99999999999999999999", HUGE_DIGITS, "abc", "中文", ""]


@pytest.mark.parametrize("spin", ["count_spin", "interval_spin", "timeout_spin"])
@pytest.mark.parametrize("value", SPIN_VALUES)
def test_udp_send_spin_boxes_clamp(qtbot: QtBot, show: Any, spin: str, value: str) -> None:
    panel = show(UdpSendPanel())
    panel.wait_check.setChecked(True)
    set_spin(getattr(panel, spin), value)
    assert_clamped(getattr(panel, spin))
    panel.host.set_text("")  # the press must still be refused cleanly
    click(qtbot, panel.send_button)
    assert_refused(qtbot, panel, idle=[panel.send_button])
    assert_clamped(getattr(panel, spin))


# -- UDP receive ---------------------------------------------------------------------------------


def udp_receive_form(panel: UdpReceivePanel, port: int) -> None:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text(str(port))


UDP_RECEIVE_CASES = [
    *[("bind", value) for value in BAD_HOSTS],
    *[("port", value) for value in BAD_LISTEN_PORTS],
    *[("group", value) for value in ["1.2.3.4", "abc", "239.1.2.3x", "::1", HUGE, *NON_ASCII]],
]


@pytest.mark.parametrize(("field", "value"), UDP_RECEIVE_CASES)
def test_udp_receive_bad_input(qtbot: QtBot, show: Any, field: str, value: str) -> None:
    panel = show(UdpReceivePanel())
    port = free_port()
    udp_receive_form(panel, port)
    if field == "group":
        panel.group_edit.setText(value)
    else:
        getattr(panel, field).set_text(value)
    click(qtbot, panel.start_button)
    assert_refused(qtbot, panel, idle=[panel.start_button], port=port, kind=UDP)


@pytest.mark.parametrize(("mode", "encoding", "text"), BAD_PAYLOADS)
def test_udp_receive_bad_auto_reply(
    qtbot: QtBot, show: Any, mode: str, encoding: str, text: str
) -> None:
    panel = show(UdpReceivePanel())
    port = free_port()
    udp_receive_form(panel, port)
    panel.reply_check.setChecked(True)
    panel.reply._select(panel.reply.mode_combo, mode)
    panel.reply.encoding_combo.setCurrentText(encoding)
    panel.reply.set_text(text)
    click(qtbot, panel.start_button)
    assert_refused(qtbot, panel, idle=[panel.start_button], port=port, kind=UDP)


# -- TCP client ----------------------------------------------------------------------------------


TCP_CLIENT_CASES = [
    *[("host", value) for value in BAD_HOSTS],
    *[("port", value) for value in [*BAD_PORTS, "0"]],
]


@pytest.mark.parametrize(("field", "value"), TCP_CLIENT_CASES)
def test_tcp_client_bad_address(qtbot: QtBot, show: Any, field: str, value: str) -> None:
    panel = show(TcpClientPanel())
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(free_port(socket.SOCK_STREAM)))
    getattr(panel, field).set_text(value)
    click(qtbot, panel.connect_button)
    assert_refused(qtbot, panel, idle=[panel.connect_button])
    assert not panel.disconnect_button.isEnabled()


@pytest.mark.parametrize("value", SPIN_VALUES)
def test_tcp_client_timeout_clamps(qtbot: QtBot, show: Any, value: str) -> None:
    panel = show(TcpClientPanel())
    set_spin(panel.timeout_spin, value)
    assert_clamped(panel.timeout_spin)
    panel.host.set_text("a..b")
    panel.port.set_text("1")
    click(qtbot, panel.connect_button)
    assert_refused(qtbot, panel, idle=[panel.connect_button])


def test_tcp_client_send_before_connecting(qtbot: QtBot, show: Any) -> None:
    panel = show(TcpClientPanel())
    panel.payload.set_text(HUGE)
    # Grey until connected; Ctrl+Return still reaches the panel and must be refused in words.
    assert not panel.send_button.isEnabled()
    assert not panel.send_file_button.isEnabled()
    panel.trigger_send()
    assert_refused(qtbot, panel, idle=[panel.connect_button])
    assert "connect" in panel.status.text().lower()
    panel.status.show_info("")
    panel.send_file(__file__)  # what "Send file…" does after its dialog
    assert_refused(qtbot, panel, idle=[panel.connect_button])
    assert not runner.active_runners()


@pytest.mark.parametrize(("mode", "encoding", "text"), BAD_PAYLOADS)
def test_tcp_client_bad_payload(
    qtbot: QtBot, show: Any, tcp_echo: TcpEchoServer, mode: str, encoding: str, text: str
) -> None:
    panel = show(TcpClientPanel())
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(tcp_echo.port))
    click(qtbot, panel.connect_button)
    # Connected (drained on a timer) may show before the client object (a queued signal) does:
    # Send is enabled once both are there.
    qtbot.waitUntil(panel.send_button.isEnabled, timeout=TIMEOUT)
    panel.payload._select(panel.payload.mode_combo, mode)
    panel.payload.encoding_combo.setCurrentText(encoding)
    panel.payload.set_text(text)
    click(qtbot, panel.send_button)
    messages = shown_messages(panel)
    assert panel.status.kind == "error"
    assert panel.payload.error.text()
    for message in messages:
        assert not EXCEPTION_NAME.search(message), message
    assert panel.client is None or panel.client.bytes_out == 0  # nothing was sent
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        click(qtbot, panel.disconnect_button)


# -- TCP server ----------------------------------------------------------------------------------


TCP_SERVER_CASES = [
    *[("bind", value) for value in BAD_HOSTS],
    *[("port", value) for value in BAD_LISTEN_PORTS],
]


@pytest.mark.parametrize(("field", "value"), TCP_SERVER_CASES)
def test_tcp_server_bad_address(qtbot: QtBot, show: Any, field: str, value: str) -> None:
    panel = show(TcpServerPanel())
    port = free_port(socket.SOCK_STREAM)
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text(str(port))
    getattr(panel, field).set_text(value)
    click(qtbot, panel.start_button)
    assert_refused(qtbot, panel, idle=[panel.start_button], port=port)


def pick_reply_mode(panel: TcpServerPanel, mode: str) -> None:
    panel.reply_mode.setCurrentIndex(panel.reply_mode.findData(mode))


@pytest.mark.parametrize(("mode", "encoding", "text"), BAD_PAYLOADS)
def test_tcp_server_bad_fixed_reply(
    qtbot: QtBot, show: Any, mode: str, encoding: str, text: str
) -> None:
    panel = show(TcpServerPanel())
    port = free_port(socket.SOCK_STREAM)
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text(str(port))
    pick_reply_mode(panel, "fixed")
    panel.fixed_reply._select(panel.fixed_reply.mode_combo, mode)
    panel.fixed_reply.encoding_combo.setCurrentText(encoding)
    panel.fixed_reply.set_text(text)
    click(qtbot, panel.start_button)
    assert_refused(qtbot, panel, idle=[panel.start_button], port=port)


@pytest.mark.parametrize("button", ["send_button", "send_all_button"])
def test_tcp_server_send_while_stopped(qtbot: QtBot, show: Any, button: str) -> None:
    panel = show(TcpServerPanel())
    panel.payload.set_text(HUGE)
    target = getattr(panel, button)
    # Grey while stopped; the methods behind them (Ctrl+Return) must refuse in words too.
    assert not target.isEnabled(), button
    getattr(panel, "send_to_selected" if button == "send_button" else "send_to_all")()
    assert_refused(qtbot, panel, idle=[panel.start_button])


@pytest.mark.parametrize(("mode", "encoding", "text"), BAD_PAYLOADS)
def test_tcp_server_bad_send_payload(
    qtbot: QtBot, show: Any, mode: str, encoding: str, text: str
) -> None:
    panel = show(TcpServerPanel())
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    client = socket.create_connection(("127.0.0.1", panel.server.port), timeout=WAIT)
    qtbot.waitUntil(panel.send_all_button.isEnabled, timeout=TIMEOUT)
    panel.payload._select(panel.payload.mode_combo, mode)
    panel.payload.encoding_combo.setCurrentText(encoding)
    panel.payload.set_text(text)
    click(qtbot, panel.send_all_button)
    assert panel.status.kind == "error"
    assert panel.payload.error.text()
    for message in shown_messages(panel):
        assert not EXCEPTION_NAME.search(message), message
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        click(qtbot, panel.stop_button)
    client.settimeout(WAIT)
    assert client.recv(100) == b""  # closed by Stop, and nothing was sent before
    client.close()


# -- file server ---------------------------------------------------------------------------------


@pytest.fixture
def shared_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared.txt"
    path.write_bytes(b"shared")
    return path


@pytest.mark.parametrize(
    ("field", "value"),
    [*[("bind", value) for value in BAD_HOSTS], *[("port", value) for value in BAD_LISTEN_PORTS]],
)
def test_file_server_bad_address(
    qtbot: QtBot, show: Any, shared_file: Path, field: str, value: str
) -> None:
    panel = show(FileServerPanel())
    panel.add_paths([str(shared_file)])
    port = free_port(socket.SOCK_STREAM)
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text(str(port))
    getattr(panel, field).set_text(value)
    click(qtbot, panel.start_button)
    assert_refused(qtbot, panel, idle=[panel.start_button], port=port)


def test_file_server_with_nothing_shared_says_so(qtbot: QtBot, show: Any) -> None:
    """Serving an empty list is allowed (files may be dropped in later), but the status says so."""
    panel = show(FileServerPanel())
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    assert panel.status.kind == "warning"
    assert "list is empty" in panel.status.text()
    assert not EXCEPTION_NAME.search(panel.status.text())
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        click(qtbot, panel.stop_button)
    assert panel.start_button.isEnabled()


# -- download ------------------------------------------------------------------------------------


BAD_URLS = [
    "",
    HUGE,
    "ftp://x/y",
    "http://",
    "raw://host",
    "http://[::1/a.txt",
    "http://999.1.1.1:8000/a.txt",
    "http://a..b:8000/a.txt",
    "127.0.0.1:70000",
    "127.0.0.1:-1",
    "127.0.0.1:0",
    "127.0.0.1:99999999999999999999",
    "127.0.0.1:abc",
    "中文:8000",
    "http://😀/a.txt",
    "http://שלום:8000/a.txt",
    "[::1",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("button", ["download_button", "list_button"])
def test_download_bad_url(qtbot: QtBot, show: Any, tmp_path: Path, url: str, button: str) -> None:
    panel = show(DownloadPanel())
    panel.folder_edit.setText(str(tmp_path))
    panel.url_edit.setText(url)
    panel._update_buttons()
    target = getattr(panel, button)
    if not target.isEnabled():
        return  # the button refuses by being disabled: nothing to press, nothing started
    click(qtbot, target)
    assert_refused(qtbot, panel, idle=[panel.download_button])


@pytest.mark.parametrize("folder", ["", "missing", "a file", "unwritable", HUGE, "中文😀"])
def test_download_bad_folder(qtbot: QtBot, show: Any, tmp_path: Path, folder: str) -> None:
    panel = show(DownloadPanel())
    port = free_port(socket.SOCK_STREAM)
    if folder == "missing":
        folder = str(tmp_path / "missing")
    elif folder == "a file":
        (tmp_path / "a file").write_text("x")
        folder = str(tmp_path / "a file")
    elif folder == "unwritable":
        folder = "/proc"  # not even root may create a file there
    elif folder == "中文😀":
        folder = str(tmp_path / folder)
    panel.folder_edit.setText(folder)
    panel.url_edit.setText(f"http://127.0.0.1:{port}/report.pdf")
    panel._update_buttons()
    if not panel.download_button.isEnabled():
        return
    click(qtbot, panel.download_button)
    assert_refused(qtbot, panel, idle=[panel.download_button])
    assert "folder" in panel.status.text().lower()
    assert not list(tmp_path.glob("*.part"))
