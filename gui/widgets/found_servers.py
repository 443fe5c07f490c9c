"""The shares found on the local network (mDNS, net.discovery), live, as a list to pick from.

While the widget is visible a :class:`net.discovery.ServerBrowser` runs on a worker; found and
lost shares arrive in the runner's batches. A click emits :attr:`FoundServers.chosen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.runner import Runner
from gui.widgets.style import set_text_role
from gui.widgets.tables import fit_rows, monospace_list
from net.discovery import FoundServer, ServerBrowser, mdns_disabled

__all__ = ["FoundServers"]


@dataclass(frozen=True, slots=True)
class _Lost:
    name: str


class FoundServers(QWidget):
    """A list of the shares found on the local network, updated while it is shown.

    Signals:
        chosen(object): the :class:`FoundServer` a user clicked.
        activated(object): the one a user double-clicked (or pressed Return on).
    """

    chosen = Signal(object)
    activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("foundServers")
        tip = self.tr(
            "Shares that announce themselves on the local network; click one to fill in its "
            "address (and the certificate fingerprint to pin), double-click to list its files"
        )
        name = self.tr("Shares found on the network")
        self.list = monospace_list(self, "foundList", accessible=name, tip=tip)
        fit_rows(self.list, 2, 3)
        self.list.itemClicked.connect(lambda item: self.chosen.emit(self._server(item)))
        self.list.itemActivated.connect(lambda item: self.activated.emit(self._server(item)))
        self.hint = QLabel(self)
        self.hint.setObjectName("foundHint")
        self.hint.setWordWrap(True)
        set_text_role(self.hint, "dim")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.title = QLabel(self.tr("Found on the networ&k:"), self)
        self.title.setBuddy(self.list)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title)
        title_row.addWidget(self.hint, 1)  # beside the title: the panel stays short
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(title_row)
        layout.addWidget(self.list)
        self.runner = Runner(self, name="discovery")
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self._wanted = False
        self._failed = False
        self._update_hint()

    # -- the public side -----------------------------------------------------------------------

    def servers(self) -> list[FoundServer]:
        """The shares in the list, top to bottom."""
        return [self._server(self.list.item(row)) for row in range(self.list.count())]

    def start(self) -> None:
        """Look for shares until :meth:`stop` (or until hidden); nothing while SWB_NO_MDNS."""
        self._wanted = True
        self._failed = False
        if not mdns_disabled() and not self.runner.running:
            # What was found before may have left unseen (no goodbye reaches a stopped search);
            # whatever is still there answers again within about a second.
            self.list.clear()
            push = self.runner.push

            def open_browser() -> ServerBrowser:
                return ServerBrowser(push, lambda name: push(_Lost(name)))

            self.runner.start(open_browser, lambda browser: browser.run())
        self._update_hint()

    def stop(self) -> None:
        """Stop looking (the list keeps what was found until the next :meth:`start`)."""
        self._wanted = False
        self.runner.stop()
        self._update_hint()

    @Slot(object)
    def server_found(self, server: FoundServer) -> None:
        """Show a share (or update it, found again with other records)."""
        item = self._item(server.name)
        if item is None:
            item = QListWidgetItem(self.list)
        item.setData(Qt.ItemDataRole.UserRole, server)
        url = server.url
        if server.tls:
            item.setText(self.tr("{name}  {url}  (TLS)").format(name=server.name, url=url))
            item.setToolTip(
                self.tr("{urls}\nCertificate SHA-256 fingerprint: {fingerprint}").format(
                    urls="\n".join(server.urls), fingerprint=server.fingerprint
                )
            )
        else:
            item.setText(self.tr("{name}  {url}").format(name=server.name, url=url))
            item.setToolTip("\n".join(server.urls))
        self._update_hint()

    @Slot(str)
    def server_lost(self, name: str) -> None:
        """Take away a share that said goodbye."""
        item = self._item(name)
        if item is not None:
            self.list.takeItem(self.list.row(item))
        self._update_hint()

    # -- internals -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.stop()

    def _item(self, name: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if self._server(item).name == name:
                return item
        return None

    @staticmethod
    def _server(item: QListWidgetItem) -> FoundServer:
        server: FoundServer = item.data(Qt.ItemDataRole.UserRole)
        return server

    def _on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, FoundServer):
                self.server_found(event)
            elif isinstance(event, _Lost):
                self.server_lost(event.name)

    def _on_failed(self, message: str) -> None:
        self._failed = True
        self.hint.setText(self.tr("Cannot look for shares: {reason}").format(reason=message))

    def _on_finished(self) -> None:
        if self._wanted and not self._failed and self.isVisible():
            self.start()  # stopped (hidden) and shown again while it was finishing
        else:
            self._update_hint()

    def _update_hint(self) -> None:
        if self._failed:
            return
        if mdns_disabled():
            text = self.tr("Looking for shares on the network is turned off (SWB_NO_MDNS).")
        elif self.list.count():
            text = ""
        elif self._wanted:
            text = self.tr("Looking for shares on the local network…")
        else:
            text = ""
        self.hint.setText(text)
