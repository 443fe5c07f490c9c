"""The main window's panels, in the order of its side list.

Adding a panel is one line in :data:`PANELS`: its module and its title (marked for translation).
The module is imported the first time the panel is shown, so that starting the window loads no
other panel's code.
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


def _entry(module: str, title: object) -> PanelEntry:
    """The entry of gui/panels/<module>.py, whose class, objectName and icon follow its name:
    ``udp_send`` is UdpSendPanel, named "udpSendPanel", with resources/icons/udp-send.svg."""
    words = module.split("_")
    cls = "".join(word.capitalize() for word in words) + "Panel"
    return PanelEntry(
        f"gui.panels.{module}:{cls}", cls[0].lower() + cls[1:], str(title), "-".join(words)
    )


PANELS: list[PanelEntry] = [
    _entry("udp_send", QT_TRANSLATE_NOOP("Panels", "UDP Send")),
    _entry("udp_receive", QT_TRANSLATE_NOOP("Panels", "UDP Receive")),
    _entry("tcp_client", QT_TRANSLATE_NOOP("Panels", "TCP Client")),
    _entry("tcp_server", QT_TRANSLATE_NOOP("Panels", "TCP Server")),
    _entry("file_server", QT_TRANSLATE_NOOP("Panels", "File Server")),
    _entry("download", QT_TRANSLATE_NOOP("Panels", "Download")),
    _entry("scripts", QT_TRANSLATE_NOOP("Panels", "Scripts")),
    _entry("relay", QT_TRANSLATE_NOOP("Panels", "Relay")),
]
