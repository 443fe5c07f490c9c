"""The main window's panels, in the order of its side list.

Adding a panel is one line in :data:`PANELS`: a factory that builds it (a :class:`Panel` subclass
or any callable returning one), its title (marked for translation) and its icon name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from gui.panels.base import ComingSoonPanel, Panel
from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from gui.panels.relay import RelayPanel
from gui.panels.scripts import ScriptsPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel

__all__ = ["PANELS", "ComingSoonPanel", "Panel", "PanelEntry"]


@dataclass(frozen=True, slots=True)
class PanelEntry:
    """One panel of the main window.

    ``title`` is the untranslated text (translated at display time in the "Panels" context);
    ``icon`` names ``resources/icons/<icon>.svg`` if that exists, else a built-in Qt icon.
    """

    factory: Callable[[], Panel]
    title: str
    icon: str

    def display_title(self) -> str:
        return QCoreApplication.translate("Panels", self.title)


def _coming_soon(name: str, title: str) -> Panel:
    return ComingSoonPanel(
        name,
        QCoreApplication.translate("Panels", "{title} is coming soon.").format(
            title=QCoreApplication.translate("Panels", title)
        ),
    )


PANELS: list[PanelEntry] = [
    PanelEntry(UdpSendPanel, QT_TRANSLATE_NOOP("Panels", "UDP Send"), "udp-send"),
    PanelEntry(UdpReceivePanel, QT_TRANSLATE_NOOP("Panels", "UDP Receive"), "udp-receive"),
    PanelEntry(TcpClientPanel, QT_TRANSLATE_NOOP("Panels", "TCP Client"), "tcp-client"),
    PanelEntry(TcpServerPanel, QT_TRANSLATE_NOOP("Panels", "TCP Server"), "tcp-server"),
    PanelEntry(FileServerPanel, QT_TRANSLATE_NOOP("Panels", "File Server"), "file-server"),
    PanelEntry(DownloadPanel, QT_TRANSLATE_NOOP("Panels", "Download"), "download"),
    PanelEntry(ScriptsPanel, QT_TRANSLATE_NOOP("Panels", "Scripts"), "scripts"),
    PanelEntry(RelayPanel, QT_TRANSLATE_NOOP("Panels", "Relay"), "relay"),
]
