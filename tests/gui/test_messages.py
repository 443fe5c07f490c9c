"""What the window says is true now and names what the user can click (issue 15.3 and 15.4).

No command-line advice ("--fingerprint", "--insecure") in any panel; the red status line follows
the field's current problem; a listener's empty port means any free port, as its placeholder
says; the user's own text is never capitalised.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets.status import gui_wording
from gui.widgets.style import sentence
from net.errors import CLI_ADVICE
from net.tcp import TcpServer
from net.tls import default_server_certificate, server_context
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)
CLI_OPTION = re.compile(r"--[a-z]")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated self-signed certificate lives in a temp folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def self_signed_server() -> Iterator[int]:
    """A TLS server with the generated (self-signed, so untrusted) certificate; yields its port."""
    server = TcpServer(
        "127.0.0.1",
        0,
        on_event=lambda _event: None,
        ssl_context=server_context(default_server_certificate()),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
        assert not thread.is_alive()


def shown(panel: Any) -> list[str]:
    texts = [panel.status.text()]
    log = getattr(panel, "log", None)
    if log is not None:
        texts += [log.model.data_text(entry) for entry in log.model.entries()]
    return texts


def test_tcp_client_names_its_own_controls_for_an_untrusted_certificate(
    qtbot: QtBot, self_signed_server: int
) -> None:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.security.tls_check.setChecked(True)
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(self_signed_server))
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error"
    assert "self-signed" in panel.status.text()
    assert "“Pin SHA-256 fingerprint”" in panel.status.text()
    assert "“Insecure (no verification)”" in panel.status.text()
    for text in shown(panel):
        assert not CLI_OPTION.search(text), text
    # What it names is there to click.
    modes = [
        panel.security.mode_combo.itemText(i) for i in range(panel.security.mode_combo.count())
    ]
    assert {"Pin SHA-256 fingerprint", "Insecure (no verification)"} <= set(modes)


def test_download_panel_names_its_own_controls_for_an_untrusted_certificate(
    qtbot: QtBot, self_signed_server: int, tmp_path: Path
) -> None:
    panel = DownloadPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.url_edit.setText(f"https://127.0.0.1:{self_signed_server}/f.bin")
    panel.folder_edit.setText(str(tmp_path))
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error"
    assert "“Pin SHA-256 fingerprint”" in panel.status.text(), panel.status.text()
    assert not CLI_OPTION.search(panel.status.text())


@pytest.mark.parametrize("kind", list(CLI_ADVICE))
def test_every_kind_of_command_line_advice_has_gui_words(kind: str) -> None:
    message = f"the certificate of x is not trusted; {CLI_ADVICE[kind]} (more)"
    worded = gui_wording(message)
    assert not CLI_OPTION.search(worded)
    assert worded.startswith("the certificate of x is not trusted; under Security")
    assert worded.endswith(" (more)")


def test_gui_words_come_in_chinese(chinese: list[str]) -> None:
    worded = gui_wording(f"x; {CLI_ADVICE['pin-or-insecure']}")
    assert "--" not in worded and "SHA-256" in worded
    assert re.search(r"[\u4e00-\u9fff]", worded), worded


def test_the_status_line_follows_the_fields_problem(qtbot: QtBot) -> None:
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.host.set_text("127.0.0.1")
    panel.port.set_text("")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error" and "empty" in panel.status.text()
    panel.port.edit.insert("70000")  # pasted: one change
    assert "out of range" in panel.port.error.text()
    assert panel.status.text() == panel.port.error.text()  # not "the port is empty" any more
    assert panel.status.kind == "error"
    panel.port.edit.clear()
    qtbot.keyClicks(panel.port.edit, "9")
    assert panel.port.error.isHidden()
    assert panel.status.text() == "" and panel.status.kind == "info"


def test_typing_a_port_never_leaves_the_old_problem_on_the_status_line(qtbot: QtBot) -> None:
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.host.set_text("127.0.0.1")
    panel.port.set_text("")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert "empty" in panel.status.text()
    qtbot.keyClicks(panel.port.edit, "70000")  # 7, 70, ... are fine; 70000 is out of range
    assert "out of range" in panel.port.error.text()
    assert "empty" not in panel.status.text()
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert panel.status.text() == panel.port.error.text()


def test_an_unrelated_error_is_left_alone_when_a_field_changes(qtbot: QtBot) -> None:
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.status.show_error("the network is down")
    qtbot.keyClicks(panel.port.edit, "70000")
    assert panel.status.text() == "The network is down"


@pytest.mark.parametrize("factory", [TcpServerPanel, UdpReceivePanel])
def test_an_empty_listening_port_means_any_free_port(qtbot: QtBot, factory: type) -> None:
    panel = factory()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.port.edit.placeholderText() == "0 = any free port"
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    opened = "server" if factory is TcpServerPanel else "receiver"
    qtbot.waitUntil(lambda: getattr(panel, opened) is not None, timeout=TIMEOUT)
    port = getattr(panel, opened).port
    assert 0 < port < 65536
    assert panel.status.kind != "error"
    kind = socket.SOCK_STREAM if factory is TcpServerPanel else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe, pytest.raises(OSError):
        probe.bind(("127.0.0.1", port))  # it is really listening there
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the port is empty", "The port is empty"),
        ("port 70000 is out of range", "Port 70000 is out of range"),
        ("zz:// URLs are not supported", "zz:// URLs are not supported"),
        ("example.org cannot be reached", "example.org cannot be reached"),
        ("'4G' is not hex", "'4G' is not hex"),
        ("/tmp/x does not exist", "/tmp/x does not exist"),
        ("Already a sentence", "Already a sentence"),
        ("端口为空", "端口为空"),
    ],
)
def test_only_the_messages_own_first_word_is_capitalised(message: str, expected: str) -> None:
    assert sentence(message) == expected


def test_the_users_url_scheme_is_shown_as_typed(qtbot: QtBot, tmp_path: Path) -> None:
    panel = DownloadPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.url_edit.setText("zz://127.0.0.1:1/f")
    panel.folder_edit.setText(str(tmp_path))
    qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error"
    assert panel.status.text().startswith("zz://"), panel.status.text()
