"""The window builds a panel the first time it is needed (issue 22): it paints without loading what
no visible panel uses, and everything that reads every panel still sees them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.panels import PANELS
from tests.conftest import WAIT

# Starts the app as `python -m gui` does, and at the window's first paint writes sorted(sys.modules)
# to the file argv[1], then closes the window (which saves the settings and quits).
FIRST_PAINT = """\
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget
from gui.app import create_app

app = create_app(sys.argv[:1])
from gui.main_window import MainWindow

window = MainWindow()


class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.window() is window
        ):
            app.removeEventFilter(self)
            with open(sys.argv[1], "w", encoding="utf-8") as out:
                out.write("\\n".join(sorted(sys.modules)))
            QTimer.singleShot(0, window.close)
        return False


first_paint = FirstPaint()
app.installEventFilter(first_paint)
window.show()
QTimer.singleShot(int(sys.argv[2]), lambda: app.exit(3))  # never painted: fail, do not hang
sys.exit(app.exec())
"""

#: What the first panel (UDP Send) does not need to paint: TLS, hashing, HTTP, QR codes, plots,
#: the script engine and the regex engine of rules, interface listing, and the other panels' code.
NOT_BEFORE_FIRST_PAINT = (
    "hashlib",
    "_hashlib",
    "h11",
    "ssl",
    "_ssl",
    "cryptography",
    "segno",
    "numpy",
    "pyqtgraph",
    "regex",
    "psutil",
    "email",
    "http.client",
    "importlib.metadata",
    "net.tls",
    "net.download",
    "net.fileserver",
    "net.relay",
    "net.script",
    "net.rules",
    "tomllib",
    *(entry.cls.partition(":")[0] for entry in PANELS[1:]),
)


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (a package counts with its submodules) are among ``modules``."""
    return sorted(
        module
        for module in modules
        for name in names
        if module == name or module.startswith(name + ".")
    )


def test_first_paint_loads_only_what_the_shown_panel_needs(tmp_path: Path) -> None:
    modules_file = tmp_path / "modules.txt"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # fresh settings: UDP Send is shown
        "SWB_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, str(modules_file), str(int(WAIT * 1000))],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = set(modules_file.read_text(encoding="utf-8").split("\n"))
    assert {"gui.main_window", "gui.panels.udp_send", "net.udp"} <= modules  # it did paint it
    assert loaded(modules, NOT_BEFORE_FIRST_PAINT) == []


def test_a_panel_is_built_once_when_first_shown(qtbot: QtBot, settings: QSettings) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert [panel.objectName() for panel in window.built_panels()] == ["udpSendPanel"]
    assert window.stack.count() == len(PANELS)

    window.panel_list.setCurrentRow(3)  # a click in the side list
    server = window.current_panel()
    assert server.objectName() == "tcpServerPanel"
    assert window.stack.currentWidget() is server and server.isVisible()
    assert window.panel("tcpServerPanel") is server  # built once, the same one from then on
    assert window.show_panel(3) is server
    assert [panel.objectName() for panel in window.built_panels()] == [
        "udpSendPanel",
        "tcpServerPanel",
    ]

    everything = window.panels  # what reads every panel builds the rest, in the list's order
    assert [panel.objectName() for panel in everything] == [entry.name for entry in PANELS]
    assert [window.stack.widget(row) for row in range(window.stack.count())] == everything
    assert window.stack.currentWidget() is server  # building the others changed no page


def test_a_panel_never_shown_keeps_its_settings(qtbot: QtBot, settings: QSettings) -> None:
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.panel("tcpClientPanel").host.set_text("first.example")  # type: ignore[attr-defined]
    first.close()  # saves every built panel

    second = MainWindow(settings)  # shows UDP Send only
    qtbot.addWidget(second)
    assert "tcpClientPanel" not in [panel.objectName() for panel in second.built_panels()]
    second.close()  # saves again: the client's stored fields must survive it

    third = MainWindow(settings)
    qtbot.addWidget(third)
    assert third.panel("tcpClientPanel").host.text() == "first.example"  # type: ignore[attr-defined]
    third.close()


def test_packet_tools_join_a_panel_built_later(qtbot: QtBot, settings: QSettings) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert "tcpServerPanel" not in [panel.objectName() for panel in window.built_panels()]
    server = window.show_panel("tcpServerPanel")
    assert server.repeat_send is not None  # type: ignore[attr-defined]
    packets = server.findChild(QToolButton, "showPacketsButton")  # the Packets… button joined it
    assert packets is not None and not packets.isHidden()
