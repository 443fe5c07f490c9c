"""The Packets view: the saved-packet library beside every send panel (issue 17).

Packets are listed by name in a Qt item view (objectName ``packetLibrary``) with search; a double
click or Enter sends one through the panel that speaks its protocol (UDP Send, TCP Client, or the
TCP Server's send box for packets without a host), so it shows in that panel's traffic log. The
library is net.packets' JSON file in the user's data folder, saved after every change.

This module sends packets (:class:`PacketDispatcher`) and joins the library to the main window
(:func:`install_packet_library`); the library panel is :mod:`~gui.panels.packet_library` (its
file :mod:`~gui.panels.packet_library_file`), its table :mod:`~gui.panels.packet_model` and the
packet dialog :mod:`~gui.panels.packet_dialog`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolButton

from gui.panels.base import Panel
from gui.panels.packet_dialog import PacketDialog
from gui.panels.packet_library import VISIBLE_KEY, PacketLibraryPanel
from gui.panels.packet_model import PacketModel
from gui.widgets.payload import PayloadEditor, SendCount
from gui.widgets.send_tools import PayloadHistory, RepeatSend
from net.codec import PayloadSpec
from net.packets import Packet

__all__ = [
    "PacketDialog",
    "PacketLibraryPanel",
    "PacketModel",
    "install_packet_library",
]


_SHOW_KEYS = "Ctrl+Shift+P"
# The Packets menu: (objectName, the library panel's method, text).
_MENU = (
    ("newPacketAction", "new_packet", QT_TRANSLATE_NOOP("PacketLibraryPanel", "&New packet…")),
    (
        "importPacketsAction",
        "choose_import",
        QT_TRANSLATE_NOOP("PacketLibraryPanel", "&Import (Packet Sender or library)…"),
    ),
    ("openLibraryAction", "choose_open", QT_TRANSLATE_NOOP("PacketLibraryPanel", "&Open library…")),
    (
        "saveLibraryAction",
        "choose_save_as",
        QT_TRANSLATE_NOOP("PacketLibraryPanel", "&Save library as…"),
    ),
)


class PacketDispatcher(QObject):
    """Sends a library packet through the panel that speaks its protocol, so that it shows in
    that panel's traffic log: UDP Send, TCP Client (connecting first when idle), or the TCP
    Server's clients for a packet without a host. Reports problems on the library's status."""

    def __init__(self, window: Any, library: PacketLibraryPanel) -> None:
        super().__init__(library)
        self.window = window
        self.library = library
        self._pending: Packet | None = None
        self._watching = False
        self._repeat = QTimer(self)
        self._repeat.timeout.connect(self._repeat_tcp)
        self._repeats_left = 0
        # {{counter}} counts each packet's sends (issue 17), whichever panel sends it.
        self._counts: dict[str, SendCount] = {}

    def _panel(self, name: str) -> Panel | None:
        try:
            panel: Panel = self.window.panel(name)
        except KeyError:
            return None
        return panel

    def send(self, packet: Packet) -> None:
        if packet.protocol == "udp":
            self._send_udp(packet)
        elif packet.host:
            self._send_tcp_client(packet)
        else:
            self._send_tcp_server(packet)

    def _show(self, panel: Panel) -> None:
        self.window.show_panel(panel.objectName())

    def _load_payload(self, editor: PayloadEditor, packet: Packet) -> None:
        if editor.spec() != packet.spec:
            editor.set_spec(packet.spec)
        editor.set_checksum(packet.checksum)
        count = self._counts.get(packet.name)
        if count is None or count.text != packet.payload:  # a new or edited packet
            count = self._counts[packet.name] = SendCount(packet.payload)
        editor.use_send_count(count)

    def _send_udp(self, packet: Packet) -> None:
        panel: Any = self._panel("udpSendPanel")
        if panel is None:
            return
        if panel.runner.running:
            self.library.status.show_error(
                self.tr("UDP Send is still sending: stop it first, then send {name}").format(
                    name=packet.name
                )
            )
            return
        panel.host.set_text(packet.host)
        panel.port.set_text(str(packet.port) if packet.port else "")
        panel.bind_port.set_text(str(packet.local_port) if packet.local_port else "")
        self._load_payload(panel.payload, packet)
        panel.count_spin.setValue(packet.repeat_count or panel.count_spin.maximum())
        panel.interval_spin.setValue(int(packet.repeat_interval_ms))
        self._show(panel)
        panel.trigger_send()
        self.library.status.show_info(self.tr("Sent {name} from UDP Send").format(name=packet.name))

    def _send_tcp_client(self, packet: Packet) -> None:
        panel: Any = self._panel("tcpClientPanel")
        if panel is None:
            return
        tls = packet.protocol == "tls"
        same = (
            panel.host.text().strip() == packet.host
            and panel.port.text().strip() == str(packet.port)
            and panel.security.tls_check.isChecked() == tls
        )
        self._show(panel)
        if panel.runner.running:
            if not panel.send_button.isEnabled() or not same:
                self.library.status.show_error(
                    self.tr(
                        "The TCP Client is busy with another connection: disconnect it to send {name}"
                    ).format(name=packet.name)
                )
                return
            self._send_now(panel, packet)
            return
        panel.host.set_text(packet.host)
        panel.port.set_text(str(packet.port))
        panel.security.tls_check.setChecked(tls)
        self._pending = packet
        if not self._watching:
            # Once: the pending packet goes out when the connection is up, or is dropped.
            # The client object and the Connected event reach the panel on separate signals,
            # in either order: try after each.
            panel.runner.events.connect(self._maybe_send_pending)
            panel.runner.opened.connect(self._maybe_send_pending)
            panel.runner.finished.connect(self._drop_pending)
            self._watching = True
        panel.trigger_start()
        if not panel.runner.running:  # bad input: the panel shows why
            self._drop_pending()

    def _maybe_send_pending(self, _events: object = None) -> None:
        panel: Any = self._panel("tcpClientPanel")
        packet = self._pending
        ready = panel is not None and panel.client is not None and panel.send_button.isEnabled()
        if packet is None or not ready:
            return
        self._drop_pending()
        self._send_now(panel, packet)

    def _drop_pending(self) -> None:
        self._pending = None

    def _send_now(self, panel: Any, packet: Packet) -> None:
        self._load_payload(panel.payload, packet)
        panel.trigger_send()
        self.library.status.show_info(
            self.tr("Sent {name} from the TCP Client").format(name=packet.name)
        )
        self._repeat.stop()
        if packet.repeat_count != 1:
            self._repeats_left = packet.repeat_count - 1 if packet.repeat_count else -1
            self._repeat.start(max(1, int(packet.repeat_interval_ms)))

    def _repeat_tcp(self) -> None:
        panel: Any = self._panel("tcpClientPanel")
        if panel is None or not panel.send_button.isEnabled() or self._repeats_left == 0:
            self._repeat.stop()
            return
        panel.trigger_send()
        if self._repeats_left > 0:
            self._repeats_left -= 1
            if self._repeats_left == 0:
                self._repeat.stop()

    def stop(self) -> None:
        self._repeat.stop()
        self._drop_pending()

    def _send_tcp_server(self, packet: Packet) -> None:
        panel: Any = self._panel("tcpServerPanel")
        if panel is None:
            return
        self._show(panel)
        self._load_payload(panel.payload, packet)
        panel.send_to_all()


def _client_send(panel: Any) -> Callable[[bytes], object]:
    def send(data: bytes) -> object:
        return panel.client.send(data)

    return send


def _client_ready(panel: Any) -> Callable[[], bool]:
    def ready() -> bool:
        return panel.client is not None and bool(panel.send_button.isEnabled())

    return ready


def _server_ready(panel: Any) -> Callable[[], bool]:
    def ready() -> bool:
        return panel.server is not None and bool(panel.runner.running)

    return ready


def _server_send(panel: Any) -> Callable[[bytes], object]:
    def send(data: bytes) -> object:
        ids = panel.selected_ids()
        if not ids:
            return panel.server.send_all(data)
        for conn_id in ids:
            panel.server.send(conn_id, data)
        return None

    return send


def install_packet_library(window: QMainWindow, path: Path | None = None) -> PacketLibraryPanel:
    """Add the Packets dock and the Packets menu (in the File menu) to ``window`` (a
    gui.main_window.MainWindow), and "Packets…" and "Save as packet…" buttons to the UDP Send,
    TCP Client and TCP Server send boxes.

    The dock starts hidden the first time: beside the widest panel it does not fit an 800x600
    window. The "Packets…" button in every send box (and Ctrl+Shift+P) shows it; from then on it
    is as the user left it. The library file is read at once (``path``, default: the user's
    library).
    """
    library = PacketLibraryPanel(window, path=path)
    dock = QDockWidget(QCoreApplication.translate("PacketLibraryPanel", "Packets"), window)
    dock.setObjectName("packetLibraryDock")
    dock.setWidget(library)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    settings = getattr(window, "settings", None)
    shown = settings is not None and settings.value(VISIBLE_KEY, False, type=bool)
    dock.setVisible(bool(shown))
    dispatcher = PacketDispatcher(window, library)
    library.send_requested.connect(dispatcher.send)
    library.dispatcher = dispatcher  # type: ignore[attr-defined]
    library.dock = dock  # type: ignore[attr-defined]

    # In the File menu: a menu bar title needs an Alt letter no panel uses, and every letter of
    # "Packets" is some panel's (tests/gui/test_keyboard.py).
    menu = QMenu(QCoreApplication.translate("PacketLibraryPanel", "&Packets"), window)
    menu.setObjectName("packetsMenu")
    toggle = dock.toggleViewAction()
    toggle.setText(QCoreApplication.translate("PacketLibraryPanel", "Show the &packet library"))
    toggle.setObjectName("packetLibraryAction")
    toggle.setShortcut(QKeySequence(_SHOW_KEYS))
    window.addAction(toggle)  # the shortcut works whichever panel has the focus
    menu.addAction(toggle)
    if settings is not None:
        library.visibility_settings = settings
        dock.visibilityChanged.connect(
            lambda shown: library.remember_visibility(shown) if window.isVisible() else None
        )
    menu.addSeparator()
    for name, method, text in _MENU:
        slot = getattr(library, method)
        action = QAction(QCoreApplication.translate("PacketLibraryPanel", str(text)), window)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False, slot=slot: slot())
        menu.addAction(action)
    bar_actions = window.menuBar().actions()
    file_menu = bar_actions[0].menu() if bar_actions else None
    if isinstance(file_menu, QMenu) and file_menu.actions():  # before Quit, which stays last
        quit_action = file_menu.actions()[-1]
        file_menu.insertMenu(quit_action, menu)
        file_menu.insertSeparator(quit_action)
    else:
        window.menuBar().addMenu(menu)

    def attach(panel: Any) -> None:
        name = panel.objectName()
        if name not in ("udpSendPanel", "tcpClientPanel", "tcpServerPanel"):
            return
        if name == "tcpClientPanel":
            # One set per connection tab, for that tab's connection (tabs opened later too).
            for page in panel.connections():
                _attach_to_client_tab(library, dock, panel, page, settings)
            panel.connection_added.connect(
                lambda page, panel=panel: _attach_to_client_tab(
                    library, dock, panel, page, settings
                )
            )
            return
        editor: PayloadEditor = panel.payload
        # One button for both (two made the TCP Client's send box too wide for 800x600):
        # a click shows the library, its menu saves the payload as a packet.
        editor.add_tool(_packets_button(editor, dock, library))
        editor.save_as_packet.connect(lambda panel=panel: save_from_panel(library, panel))
        if settings is not None:
            panel.payload_history = PayloadHistory(editor, settings, f"history/{name}")
        if name == "tcpServerPanel":
            panel.repeat_send = RepeatSend(panel, _server_send(panel), _server_ready(panel))

    # The window builds each panel when it is first shown (issue 22): attach to it then.
    window.panel_built.connect(attach)  # type: ignore[attr-defined]
    for panel in window.built_panels():  # type: ignore[attr-defined]
        attach(panel)
    library.load()
    return library


def _packets_button(
    editor: PayloadEditor, dock: QDockWidget, library: PacketLibraryPanel
) -> QToolButton:
    """The "Packets…" button of a send box: a click shows the library (the dock starts hidden);
    its menu has "Save as packet…" (the editor's save_as_packet signal)."""
    button = QToolButton(editor)
    button.setObjectName("showPacketsButton")
    button.setText(QCoreApplication.translate("PacketLibraryPanel", "Packets…"))
    keys = QKeySequence(_SHOW_KEYS).toString(QKeySequence.SequenceFormat.NativeText)
    button.setToolTip(
        QCoreApplication.translate(
            "PacketLibraryPanel",
            "Show the packet library: saved packets, sent with a double click ({keys})",
        ).format(keys=keys)
    )

    def show() -> None:
        dock.show()
        dock.raise_()
        library.view.setFocus(Qt.FocusReason.OtherFocusReason)

    button.clicked.connect(show)
    menu = QMenu(button)
    save = menu.addAction(QCoreApplication.translate("PayloadEditor", "Save as packet…"))
    save.setObjectName("savePacketAction")
    save.setToolTip(editor.save_packet_button.toolTip())
    save.triggered.connect(lambda _checked=False: editor.save_as_packet.emit())
    show_action = menu.addAction(
        QCoreApplication.translate("PacketLibraryPanel", "Show the packet library")
    )
    show_action.triggered.connect(lambda _checked=False: show())
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return button


def _attach_to_client_tab(
    library: PacketLibraryPanel,
    dock: QDockWidget,
    panel: Any,
    page: Any,
    settings: QSettings | None,
) -> None:
    """The Packets button (with Save as packet), the payload history and Repeat on one TCP
    Client connection tab."""
    editor: PayloadEditor = page.payload
    editor.add_tool(_packets_button(editor, dock, library))
    editor.save_as_packet.connect(lambda: save_from_panel(library, panel))
    if settings is not None:
        page.payload_history = PayloadHistory(editor, settings, "history/tcpClientPanel")
    page.repeat_send = RepeatSend(page, _client_send(page), _client_ready(page))


def save_from_panel(library: PacketLibraryPanel, panel: Any) -> PacketDialog:
    """Open the packet dialog filled in from a send panel (its destination and payload)."""
    editor: PayloadEditor = panel.payload
    spec: PayloadSpec = editor.spec()
    name = panel.objectName()
    fields: dict[str, Any] = {}
    if name == "udpSendPanel":
        fields = {
            "protocol": "udp",
            "host": panel.host.text().strip(),
            "port": _port(panel.port.text()),
            "local_port": _port(panel.bind_port.text()),
            "repeat_count": panel.count_spin.value(),
            "repeat_interval_ms": float(panel.interval_spin.value()),
        }
    elif name == "tcpClientPanel":
        fields = {
            "protocol": "tls" if panel.security.tls_check.isChecked() else "tcp",
            "host": panel.host.text().strip(),
            "port": _port(panel.port.text()),
        }
    else:  # the TCP Server's send box: no destination, it goes to the server's clients
        fields = {"protocol": "tcp", "host": "", "port": 0}
    template = Packet(
        QCoreApplication.translate("PacketLibraryPanel", "New packet"),
        payload=spec.text,
        mode=spec.mode,
        encoding=spec.encoding,
        line_ending=spec.line_ending,
        checksum=editor.checksum(),
        **fields,
    )
    dock = getattr(library, "dock", None)
    if dock is not None:
        dock.show()
    return library.new_packet(template)


def _port(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) <= 65535 else 0
