"""The main window: panels, menus, shortcuts, remembered settings, and closing promptly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui import runner
from gui.app import create_app, version
from gui.main_window import MainWindow
from gui.panels import PANELS
from resources import translations
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)
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


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_every_panel_is_one_click_away(window: MainWindow) -> None:
    assert [p.objectName() for p in window.panels] == PANEL_NAMES
    titles = [window.panel_list.item(i).text() for i in range(window.panel_list.count())]
    assert titles == [
        "UDP Send",
        "UDP Receive",
        "TCP Client",
        "TCP Server",
        "File Server",
        "Download",
        "Scripts",
        "Relay",
    ]
    assert len(PANELS) == 8
    window.panel_list.setCurrentRow(3)
    assert window.current_panel().objectName() == "tcpServerPanel"
    file_server = window.show_panel("fileServerPanel")
    assert window.stack.currentWidget() is file_server
    for name in ("shareList", "urlList", "hostEdit", "portEdit", "startButton", "stopButton"):
        assert file_server.findChild(object, name) is not None
    download = window.panel("downloadPanel")
    for name in ("urlEdit", "folderEdit", "downloadButton", "cancelButton", "progressBar"):
        assert download.findChild(object, name) is not None
    for name in PANEL_NAMES[:4]:
        panel = window.panel(name)
        assert panel.findChild(object, "logView") is not None
        assert panel.findChild(object, "hostEdit") is not None
        assert panel.findChild(object, "portEdit") is not None


def test_menus_and_about(window: MainWindow) -> None:
    menus = [action.text() for action in window.menuBar().actions()]
    # Packets is in File (Alt+F, P): each letter of "Packets" is a control's in some panel, so a
    # menu bar title could have no Alt letter (test_keyboard).
    assert menus == ["&File", "&Actions", "&View", "&Help"]
    file_menu = window.menuBar().actions()[0].menu()
    assert [a.text() for a in file_menu.actions() if a.text()] == ["&Packets", "&Quit"]
    assert window.findChild(object, "quitAction") is not None
    assert version() in window.about_text()
    assert version() != "unknown"  # the package is installed (editable) in the venv
    shortcuts = {a.objectName(): [k.toString() for k in a.shortcuts()] for a in window.actions()}
    assert "Ctrl+Return" in shortcuts["sendAction"]
    assert shortcuts["startAction"] == ["Ctrl+R"]
    assert shortcuts["stopAction"] == ["Ctrl+."]


def test_shortcuts_act_on_the_current_panel(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.show_panel("udpReceivePanel")
    panel.bind.set_address("127.0.0.1")  # type: ignore[attr-defined]
    panel.port.set_text("0")  # type: ignore[attr-defined]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    qtbot.keyClick(window.panel_list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert panel.is_running()
    qtbot.waitUntil(lambda: "UDP 127.0.0.1:" in window.activity_label.text(), timeout=TIMEOUT)
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):  # type: ignore[attr-defined]
        qtbot.keyClick(window.panel_list, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert window.activity_label.text() == "Idle"

    sender = window.show_panel("udpSendPanel")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(WAIT)
        sender.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
        sender.port.set_text(str(sink.getsockname()[1]))  # type: ignore[attr-defined]
        sender.payload.set_text("via shortcut")  # type: ignore[attr-defined]
        sender.payload.edit.setFocus()  # type: ignore[attr-defined]
        qtbot.keyClick(
            sender.payload.edit,  # type: ignore[attr-defined]
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.ControlModifier,
        )
        assert sink.recv(100) == b"via shortcut"
    assert sender.payload.text() == "via shortcut"  # type: ignore[attr-defined]


def test_fields_and_geometry_are_remembered(qtbot: QtBot, settings: QSettings) -> None:
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    sender = first.panel("udpSendPanel")
    sender.host.set_text("192.0.2.7")  # type: ignore[attr-defined]
    sender.host.remember("192.0.2.7")  # type: ignore[attr-defined]
    sender.port.set_text("5005")  # type: ignore[attr-defined]
    sender.payload.set_mode("hex")  # type: ignore[attr-defined]
    sender.payload.set_text("DE AD BE EF")  # type: ignore[attr-defined]
    sender.wait_check.setChecked(True)  # type: ignore[attr-defined]
    sender.count_spin.setValue(7)  # type: ignore[attr-defined]
    server = first.panel("tcpServerPanel")
    server.reply_mode.setCurrentIndex(2)  # type: ignore[attr-defined]
    server.log.set_hex(True)  # type: ignore[attr-defined]
    first.show_panel("tcpClientPanel")
    first.resize(792, 700)  # the offscreen screen is 800x800; geometry is kept within it
    first.close()

    second = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    sender2 = second.panel("udpSendPanel")
    assert sender2.host.text() == "192.0.2.7"  # type: ignore[attr-defined]
    assert sender2.host.recent() == ["192.0.2.7"]  # type: ignore[attr-defined]
    assert sender2.port.text() == "5005"  # type: ignore[attr-defined]
    assert sender2.payload.mode() == "hex"  # type: ignore[attr-defined]
    assert sender2.payload.payload() == b"\xde\xad\xbe\xef"  # type: ignore[attr-defined]
    assert sender2.wait_check.isChecked()  # type: ignore[attr-defined]
    assert sender2.count_spin.value() == 7  # type: ignore[attr-defined]
    server2 = second.panel("tcpServerPanel")
    assert server2.reply_mode.currentData() == "fixed"  # type: ignore[attr-defined]
    assert server2.log.model.hex_mode  # type: ignore[attr-defined]
    assert second.current_panel().objectName() == "tcpClientPanel"
    assert (second.width(), second.height()) == (792, 700)


def test_default_settings_use_the_app_names(qtbot: QtBot, settings_dir: Path) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    win.save_settings()
    assert win.settings.organizationName() == "SocketWorkbench"
    assert win.settings.applicationName() == "Socket Workbench"
    assert Path(win.settings.fileName()).is_relative_to(settings_dir)


def test_close_stops_blocked_workers_within_two_seconds(qtbot: QtBot, window: MainWindow) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never sends: a client in recv
    try:
        server = window.panel("tcpServerPanel")
        server.bind.set_address("127.0.0.1")  # type: ignore[attr-defined]
        server.port.set_text("0")  # type: ignore[attr-defined]
        server.trigger_start()  # a server blocked waiting for clients
        receiver = window.panel("udpReceivePanel")
        receiver.bind.set_address("127.0.0.1")  # type: ignore[attr-defined]
        receiver.port.set_text("0")  # type: ignore[attr-defined]
        receiver.trigger_start()
        client = window.panel("tcpClientPanel")
        client.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
        client.port.set_text(str(listener.getsockname()[1]))  # type: ignore[attr-defined]
        client.trigger_start()
        sender = window.panel("udpSendPanel")
        sender.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
        sender.port.set_text(str(listener.getsockname()[1]))  # type: ignore[attr-defined]
        sender.payload.set_text("x")  # type: ignore[attr-defined]
        sender.count_spin.setValue(1000)  # type: ignore[attr-defined]
        sender.interval_spin.setValue(60_000)  # type: ignore[attr-defined]
        sender.trigger_send()
        qtbot.waitUntil(
            lambda: (
                server.server is not None  # type: ignore[attr-defined]
                and receiver.receiver is not None  # type: ignore[attr-defined]
                and client.send_button.isEnabled()  # type: ignore[attr-defined]
                and sender.log.model.rowCount() == 1
            ),  # type: ignore[attr-defined]
            timeout=TIMEOUT,
        )
        assert len(runner.active_runners()) == 4
        assert window.activity_label.text().count("|") == 3
        started = time.monotonic()
        assert window.close()
        assert time.monotonic() - started < 3.0  # 2 s is the promise; allow a noisy machine
        assert window.close_seconds is not None and window.close_seconds <= 2.1
        assert runner.unfinished_threads() == []
    finally:
        listener.close()


def test_create_app_reuses_the_app_and_sets_names(qapp: QApplication) -> None:
    app = create_app([])
    assert app is qapp
    assert app.organizationName() == "SocketWorkbench"
    assert app.applicationName() == "Socket Workbench"
    assert not app.windowIcon().isNull()


def test_the_process_exits_after_closing_with_workers_running(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QTimer
        from gui.app import create_app
        from gui.main_window import MainWindow

        app = create_app([])
        window = MainWindow()
        window.show()
        for name in ("udpReceivePanel", "tcpServerPanel"):
            panel = window.panel(name)
            panel.bind.set_address("127.0.0.1")
            panel.port.set_text("0")
            panel.trigger_start()
        QTimer.singleShot(300, window.close)
        code = app.exec()
        print("closed in", round(window.close_seconds, 3))
        sys.exit(code)
        """
    )
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path)
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=WAIT * 3
    )
    assert result.returncode == 0, result.stderr
    assert "closed in" in result.stdout
    assert time.monotonic() - started < WAIT * 3
    assert "Traceback" not in result.stderr
    assert list(tmp_path.rglob("*.conf")) or list(tmp_path.rglob("*.ini"))  # settings were saved


TS_SOURCE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context><name>Panels</name>
<message><source>UDP Send</source><translation>UDP 发送</translation></message>
</context>
<context><name>UdpSendPanel</name>
<message><source>&amp;Send</source><translation>发送(&amp;S)</translation></message>
</context>
<context><name>PayloadEditor</name>
<message><source>Hex</source><translation>十六进制</translation></message>
</context>
<context><name>MainWindow</name>
<message><source>&amp;File</source><translation>文件(&amp;F)</translation></message>
</context>
</TS>
"""


def test_translations_for_the_locale_are_loaded_and_used(
    qtbot: QtBot, qapp: QApplication, settings: QSettings, tmp_path: Path
) -> None:
    """What the zh_CN translation will go through: lrelease output, loaded by locale, shown."""
    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

    from gui.resources import install_translations

    source = tmp_path / "socket_workbench_zh_CN.ts"
    source.write_text(TS_SOURCE, encoding="utf-8")
    lrelease = translations.tool("pyside6-lrelease")
    subprocess.run([lrelease, str(source)], check=True, capture_output=True, timeout=WAIT * 3)
    assert install_translations(qapp, QLocale("fr_FR"), [tmp_path]) == []
    loaded = install_translations(qapp, QLocale("zh_CN"), [tmp_path])
    try:
        assert loaded and loaded[0].endswith("socket_workbench_zh_CN.qm")
        win = MainWindow(settings)
        qtbot.addWidget(win)
        assert win.panel_list.item(0).text() == "UDP 发送"
        assert win.panel("udpSendPanel").send_button.text() == "发送(&S)"  # type: ignore[attr-defined]
        assert win.menuBar().actions()[0].text() == "文件(&F)"
        editor = win.panel("udpSendPanel").payload  # type: ignore[attr-defined]
        assert editor.mode_combo.itemText(1) == "十六进制"
    finally:
        for translator in qapp.findChildren(QTranslator):
            QCoreApplication.removeTranslator(translator)
            translator.deleteLater()


def test_every_panel_has_an_icon_of_its_own(window: MainWindow) -> None:
    images = []
    for row in range(window.panel_list.count()):
        icon = window.panel_list.item(row).icon()
        assert not icon.isNull(), window.panel_list.item(row).text()
        images.append(icon.pixmap(32, 32).toImage())
    # No two panels share a picture (a panel without its own falls back to the generic file icon).
    assert all(a != b for i, a in enumerate(images) for b in images[i + 1 :])
