"""Under zh_CN, Qt's own dialogs and net's sentences in the panels are Chinese (issue 15 item 1).

Qt's file dialog takes its words from qtbase_zh_CN.qm (PySide6's translations folder), and the
two it lacks ("&Look in:", "Files of &type:") from our catalogue (gui.app.QT_DIALOG_TEXTS).
net's errors are made in the language View > Language chose (net._i18n, gettext).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo, Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QTreeView
from pytestqt.qtbot import QtBot

from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets.status import gui_wording
from net import _i18n
from net.errors import CLI_ADVICE
from tests.conftest import WAIT
from tests.gui.test_i18n import untranslated

TIMEOUT = 5000
ROOT = Path(__file__).resolve().parent.parent.parent


def _file_dialog(qtbot: QtBot) -> QFileDialog:
    dialog = QFileDialog(None, "x")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own widgets, as on Linux
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _texts(dialog: QFileDialog) -> dict[str, str]:
    labels = {
        name: label.text()
        for name in ("lookInLabel", "fileNameLabel", "fileTypeLabel")
        if (label := dialog.findChild(QLabel, name)) is not None
    }
    box = dialog.findChild(QDialogButtonBox, "buttonBox")
    assert box is not None
    for button in box.buttons():
        labels[f"button {box.buttonRole(button).name}"] = button.text()
    tree = dialog.findChild(QTreeView, "treeView")
    assert tree is not None
    header = tree.model().headerData(0, Qt.Orientation.Horizontal)
    labels["name column"] = str(header)
    return labels


def test_the_file_dialog_speaks_english_without_a_translation(qtbot: QtBot) -> None:
    texts = _texts(_file_dialog(qtbot))
    assert texts["lookInLabel"] == "&Look in:"
    assert texts["fileTypeLabel"] == "Files of &type:"


def test_the_file_dialog_is_chinese_under_zh_cn(qtbot: QtBot, chinese: list[str]) -> None:
    qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    assert any(path.startswith(qt_folder) for path in chinese), chinese  # PySide6's qtbase
    texts = _texts(_file_dialog(qtbot))
    assert texts["lookInLabel"] == "查找范围(&L)："
    assert texts["fileTypeLabel"] == "文件类型(&T)："
    assert texts["fileNameLabel"] == "文件名称(&N)："
    assert texts["button AcceptRole"] == "打开(&O)"
    assert texts["button RejectRole"] == "取消"
    assert texts["name column"] == "名称"
    english = {kind: text for kind, text in texts.items() if untranslated(text)}
    assert not english, english


def test_a_bad_port_in_udp_send_is_said_in_chinese(qtbot: QtBot, chinese: list[str]) -> None:
    assert _i18n.language() == "zh_CN"  # the GUI's language choice reached net
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.host.set_text("127.0.0.1")
    panel.port.set_text("70000")
    panel.payload.set_text("x")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert not panel.runner.running
    assert panel.status.kind == "error"
    assert "端口 70000 超出范围" in panel.status.text()
    assert "端口 70000 超出范围" in panel.port.error.text()
    assert not untranslated(panel.status.text())


def test_a_port_in_use_reported_by_the_worker_is_chinese(qtbot: QtBot, chinese: list[str]) -> None:
    """The sentence is made in the worker's thread, by net's BindError: still Chinese."""
    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    panel.show()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        panel.bind.set_address("127.0.0.1")
        panel.port.set_text(str(port))
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error"
    assert f"端口 {port} 已被其他程序占用" in panel.status.text()


def test_net_speaks_english_again_after_a_chinese_test(qtbot: QtBot) -> None:
    """The autouse fixture of tests/gui/conftest.py put net back to the environment's language."""
    assert _i18n.language() == "en"
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.host.set_text("127.0.0.1")
    panel.port.set_text("70000")
    panel.payload.set_text("x")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert "out of range" in panel.status.text()


def test_net_s_chinese_tls_advice_becomes_what_to_click(chinese: list[str]) -> None:
    """The CLI's "--fingerprint or --insecure" advice, made in Chinese by net, is still replaced
    by the panel's own choices (issue 15 item 3)."""
    advice = _i18n._(CLI_ADVICE["pin-or-insecure"])
    assert "--fingerprint" in advice and "固定" in advice
    message = _i18n._("{subject} is self-signed and not trusted; {cli_advice}{shown}").format(
        subject="127.0.0.1:443 的证书", cli_advice=advice, shown=""
    )
    worded = gui_wording(message)
    assert "--" not in worded, worded
    assert "“固定 SHA-256 指纹”" in worded, worded


@pytest.mark.parametrize(
    ("lang", "language", "expected"),
    [
        ("en_US.UTF-8", "zh_CN", "端口 70000 超出范围：端口范围是 1 到 65535"),
        ("zh_CN.UTF-8", "en", "port 70000 is out of range: ports go from 1 to 65535"),
        ("zh_CN.UTF-8", "system", "端口 70000 超出范围：端口范围是 1 到 65535"),
        ("C.UTF-8", "system", "port 70000 is out of range: ports go from 1 to 65535"),
    ],
)
def test_the_language_picked_in_the_window_is_net_s_too(
    tmp_path: Path, lang: str, language: str, expected: str
) -> None:
    """View > Language wins over the environment for net's sentences, as for the window's."""
    folder = tmp_path / "config" / "SocketWorkbench"
    folder.mkdir(parents=True)
    (folder / "Socket Workbench.conf").write_text(f"[ui]\nlanguage={language}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"), LANG=lang)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT * 3,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


SCRIPT = """
from gui.app import create_app
from net.address import parse_port

app = create_app([])
try:
    parse_port("70000")
except ValueError as exc:
    print(exc)
"""


def test_a_401_in_chinese_still_asks_for_the_password(
    qtbot: QtBot, tmp_path: Path, chinese: list[str]
) -> None:
    """The Download panel recognises net's 401 sentence by its "(401" mark: the Chinese one
    keeps it, so the password dialog still opens and the download then completes."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from gui.panels.download import DownloadPanel
    from net.fileserver import FileServer
    from net.share import ShareTable
    from tests.net.test_fileserver import running

    (tmp_path / "locked.txt").write_bytes(b"behind a password")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    panel = DownloadPanel()
    qtbot.addWidget(panel)
    panel.show()
    asked: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        asked.append(dialog.labelText())
        dialog.setTextValue("open sesame")
        dialog.accept()

    with ShareTable() as table:
        table.add(tmp_path / "locked.txt")
        server = FileServer(table, "127.0.0.1", 0, password="open sesame")
        with server, running(server):
            QTimer.singleShot(0, answer)
            panel.url_edit.setText(f"http://127.0.0.1:{server.port}/locked.txt")
            panel.folder_edit.setText(str(downloads))
            qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: bool(asked), timeout=TIMEOUT)
            qtbot.waitUntil(lambda: (downloads / "locked.txt").exists(), timeout=TIMEOUT)
    assert (downloads / "locked.txt").read_bytes() == b"behind a password"
