"""The main window's menus and help: File, Actions (send, start, stop: to the shown panel), View
(a panel each, the language), Help (the guide, the keyboard shortcuts, about).

:class:`WindowMenus` is one half of :class:`~gui.main_window.MainWindow`; the other hosts the
panels (built when first shown), the settings and closing.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QMenu,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
)

from gui.panels import Panel
from gui.resources import app_icon
from net._version import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    class _Window(QMainWindow):
        """What the menus use of :class:`~gui.main_window.MainWindow`."""

        settings: QSettings
        panel_list: QListWidget

        @property
        def panels(self) -> list[Panel]: ...

        def current_panel(self) -> Panel: ...

        def show_panel(self, which: int | str) -> Panel: ...

        def _build_language_menu(self, menu: QMenu) -> None: ...

else:
    _Window = object

__all__ = ["WindowMenus"]


class WindowMenus(_Window):
    """The menus, shortcuts and help windows of the main window (see the module)."""

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.quit_action = quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setObjectName("quitAction")
        # The platform's key (Ctrl+Q on Linux, Cmd+Q on macOS); some platforms define none.
        quit_action.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        )
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        actions = self.menuBar().addMenu(self.tr("&Actions"))
        self.send_action = self._action(
            self.tr("&Send"), "sendAction", ["Ctrl+Return", "Ctrl+Enter"], "trigger_send"
        )
        self.start_action = self._action(
            self.tr("S&tart / Connect"), "startAction", ["Ctrl+R"], "trigger_start"
        )
        self.stop_action = self._action(
            self.tr("St&op / Disconnect"), "stopAction", ["Ctrl+."], "trigger_stop"
        )
        for action in (self.send_action, self.start_action, self.stop_action):
            actions.addAction(action)

        view = self.menuBar().addMenu(self.tr("&View"))
        for row in range(self.panel_list.count()):
            action = QAction(self.panel_list.item(row).text(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, row=row: self.show_panel(row))
            view.addAction(action)
            self.addAction(action)
        view.addSeparator()
        self._build_language_menu(view.addMenu(self.tr("&Language")))

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.guide_action = QAction(self.tr("&Guide"), self)
        self.guide_action.setObjectName("guideAction")
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.guide_action.triggered.connect(self.show_guide)
        help_menu.addAction(self.guide_action)
        self.shortcuts_action = QAction(self.tr("&Keyboard shortcuts"), self)
        self.shortcuts_action.setObjectName("shortcutsAction")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        about = QAction(self.tr("&About Socket Workbench"), self)
        about.setObjectName("aboutAction")
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        about_qt = QAction(self.tr("About &Qt"), self)
        about_qt.setObjectName("aboutQtAction")
        about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
        about_qt.triggered.connect(QApplication.aboutQt)
        help_menu.addAction(about_qt)

    def _action(self, text: str, name: str, keys: list[str], method: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: getattr(self.current_panel(), method)())
        self.addAction(action)
        return action

    def about_text(self) -> str:
        return self.tr(
            "<h3>Socket Workbench {version}</h3>"
            "<p>Send and receive UDP, talk TCP as a client or a server, and share files.</p>"
            "<p>The same engine runs headless as the <code>swb</code> command.</p>"
        ).format(version=__version__)

    def guide_text(self) -> str:
        """The short user guide (HTML), in the app's language."""
        return self.tr(
            "<h3>Socket Workbench in five minutes</h3>"
            "<p>Pick a panel on the left (Ctrl+1 to Ctrl+8). Every panel remembers its fields.</p>"
            "<ul>"
            "<li><b>UDP Send</b>: type the host and port, write the payload as Text, Hex "
            "(<code>48 65 6C</code>) or Escapes (<code>\\r\\n</code>, <code>\\x00</code>), "
            "and press Send (Ctrl+Return). Count and Interval repeat it; Wait for reply shows "
            "the answer; Keep open keeps listening for late replies.</li>"
            "<li><b>UDP Receive</b>: choose the address and port (empty = any free port) and "
            "press Start (Ctrl+R). Every datagram appears in the log; Auto-reply and the rules "
            "answer them, and Send from this port talks back.</li>"
            "<li><b>TCP Client</b>: connect to a server, send text, hex or a file, and read what "
            "comes back. New connection opens another tab; Connect many opens N for a load test. "
            "For TLS tick Use TLS; a self-signed server needs Pin SHA-256 fingerprint (or "
            "Insecure).</li>"
            "<li><b>TCP Server</b>: listen on a port, see each client, send to one or all, or "
            "reply automatically (echo, a fixed text or rules).</li>"
            "<li><b>File Server</b>: drop files or folders into the list and press Start; others "
            "download them with the Download panel, a browser or curl, from the addresses shown.</li>"
            "<li><b>Download</b>: paste a share address, list the files, pick some and "
            "download; an interrupted download resumes. Drop files on it to upload them.</li>"
            "<li><b>Scripts</b> runs send/expect conversations; <b>Relay</b> sits between a client "
            "and a server and can slow, drop or cut the traffic.</li>"
            "</ul>"
            "<p>Packets… in every send box (Ctrl+Shift+P) keeps named packets. In every log, "
            "Framing splits a stream into lines or messages, Find (Ctrl+F) searches and filters, "
            "the pane below shows the selected rows as hex, and More copies, exports (also "
            "pcapng for Wireshark) or saves what arrives to a file. Ctrl+. stops what the panel "
            "runs. The same engine runs headless as the <code>swb</code> command "
            "(<code>swb --help</code>).</p>"
        )

    def shortcuts_text(self) -> str:
        """Every keyboard shortcut of the window (HTML table), read from its actions."""
        rows = []
        _ = self.panels  # built now if not yet: each panel's own shortcuts are listed too
        for action in self.findChildren(QAction):
            keys = [
                key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
            ]
            if keys and action.text():
                name = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
                rows.append((name, " / ".join(keys)))
        rows = list(dict.fromkeys(rows))  # every panel's log has its own Copy
        rows.append((self.tr("Next or previous control"), self.tr("Tab / Shift+Tab")))
        rows.append(
            (self.tr("Go to a labelled field or button"), self.tr("Alt + underlined letter"))
        )
        cells = "".join(
            f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
            for name, keys in rows
        )
        return f"<h3>{html.escape(self.tr('Keyboard shortcuts'))}</h3><table>{cells}</table>"

    def _text_window(self, name: str, title: str, text: str) -> QDialog:
        dialog = QDialog(self)
        dialog.setObjectName(name)
        dialog.setWindowTitle(title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser = QTextBrowser(dialog)
        browser.setObjectName(f"{name}Text")
        browser.setHtml(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        dialog.resize(560, 480)
        dialog.show()
        return dialog

    def show_guide(self) -> QDialog:
        """Help > Guide: the short user guide, in a window of its own."""
        return self._text_window("guideDialog", self.tr("Guide"), self.guide_text())

    def show_shortcuts(self) -> QDialog:
        """Help > Keyboard shortcuts."""
        return self._text_window(
            "shortcutsDialog", self.tr("Keyboard shortcuts"), self.shortcuts_text()
        )

    def about_box(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle(self.tr("About Socket Workbench"))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.setIconPixmap(app_icon().pixmap(QSize(64, 64)))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        return box

    def show_about(self) -> None:
        box = self.about_box()
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
