"""The main window's panels, in the order of its side list.

Adding a panel is one line in :data:`PANELS`: where its class lives (``"module:Class"``, imported
the first time the panel is shown, so that starting the window loads no other panel's code), its
objectName, its title (marked for translation) and its icon name.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from gui.panels.base import ComingSoonPanel, Panel

__all__ = ["PANELS", "ComingSoonPanel", "Panel", "PanelEntry"]


class PanelEntry(NamedTuple):
    """One panel of the main window.

    ``cls`` is ``"package.module:ClassName"``, a :class:`Panel` subclass built without arguments;
    ``name`` is the objectName it gives itself ("udpSendPanel"); ``title`` is the untranslated
    text (translated at display time in the "Panels" context); ``icon`` names
    ``resources/icons/<icon>.svg`` if that exists, else a built-in Qt icon.
    """

    cls: str
    name: str
    title: str
    icon: str

    def display_title(self) -> str:
        return QCoreApplication.translate("Panels", self.title)

    def build(self) -> Panel:
        """Import the panel's module and construct it (no socket is opened)."""
        module_name, _, class_name = self.cls.partition(":")
        panel = getattr(importlib.import_module(module_name), class_name)()
        if not isinstance(panel, Panel) or panel.objectName() != self.name:
            raise TypeError(f"{self.cls} did not build a Panel named {self.name}")
        return panel


PANELS: list[PanelEntry] = [
    PanelEntry(
        "gui.panels.udp_send:UdpSendPanel",
        "udpSendPanel",
        str(QT_TRANSLATE_NOOP("Panels", "UDP Send")),
        "udp-send",
    ),
    PanelEntry(
        "gui.panels.udp_receive:UdpReceivePanel",
        "udpReceivePanel",
        str(QT_TRANSLATE_NOOP("Panels", "UDP Receive")),
        "udp-receive",
    ),
    PanelEntry(
        "gui.panels.tcp_client:TcpClientPanel",
        "tcpClientPanel",
        str(QT_TRANSLATE_NOOP("Panels", "TCP Client")),
        "tcp-client",
    ),
    PanelEntry(
        "gui.panels.tcp_server:TcpServerPanel",
        "tcpServerPanel",
        str(QT_TRANSLATE_NOOP("Panels", "TCP Server")),
        "tcp-server",
    ),
    PanelEntry(
        "gui.panels.file_server:FileServerPanel",
        "fileServerPanel",
        str(QT_TRANSLATE_NOOP("Panels", "File Server")),
        "file-server",
    ),
    PanelEntry(
        "gui.panels.download:DownloadPanel",
        "downloadPanel",
        str(QT_TRANSLATE_NOOP("Panels", "Download")),
        "download",
    ),
    PanelEntry(
        "gui.panels.scripts:ScriptsPanel",
        "scriptsPanel",
        str(QT_TRANSLATE_NOOP("Panels", "Scripts")),
        "scripts",
    ),
    PanelEntry(
        "gui.panels.relay:RelayPanel",
        "relayPanel",
        str(QT_TRANSLATE_NOOP("Panels", "Relay")),
        "relay",
    ),
]
