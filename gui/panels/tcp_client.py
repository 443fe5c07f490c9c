"""TCP Client: several connections at once, one tab each, and N clients at once for load tests.

Each tab is a :class:`~gui.panels.tcp_connection.ClientConnection`: its own server, security
options, send box, counters, log and worker, so two servers (or two sessions with one) are talked
to side by side. "Connect N clients" opens a :class:`~gui.panels.tcp_load_test.LoadTest` tab: N
connections to the current tab's target, counted (connected, failed, closed), with one send box
for all of them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel
from gui.panels.tcp_connection import ClientConnection
from gui.panels.tcp_load_test import (
    DESCRIPTORS_PER_CLIENT,
    MAX_LOAD_CLIENTS,
    ClientGroup,
    LoadTest,
)
from gui.widgets import format_count
from gui.widgets.forms import push_buttons
from net._loop import DESCRIPTOR_RESERVE, raise_file_limit

__all__ = ["MAX_LOAD_CLIENTS", "ClientConnection", "ClientGroup", "LoadTest", "TcpClientPanel"]


class _Current:
    """An attribute of the connection in the current tab (what callers of the one-connection
    panel used: ``panel.host``, ``panel.log``, ``panel.client``...)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, panel: TcpClientPanel | None, owner: type | None = None) -> Any:
        if panel is None:
            return self
        return getattr(panel.current_connection(), self.name)


class TcpClientPanel(Panel):
    """Several TCP connections, one per tab, and load tests of N clients.

    The attributes of one connection (``host``, ``port``, ``security``, ``connection``,
    ``payload``, ``send_button``, ``log``, ``client``, ``runner``...) are those of the current
    tab's connection (the last connection tab shown, while a load test tab is current).
    """

    host = _Current()
    port = _Current()
    timeout_spin = _Current()
    connect_button = _Current()
    disconnect_button = _Current()
    security = _Current()
    connection = _Current()
    payload = _Current()
    send_button = _Current()
    send_file_button = _Current()
    save_script_button = _Current()
    counters = _Current()
    log = _Current()
    client = _Current()
    runner = _Current()
    repeat_send = _Current()
    payload_history = _Current()
    # Tests written for the one-connection panel wait on this.
    _connected = _Current()

    #: A connection tab was opened (the ClientConnection), after the one the panel starts with.
    connection_added = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tcpClientPanel")
        self._pages: list[ClientConnection | LoadTest] = []
        self._last_connection: ClientConnection | None = None

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("connectionTabs")
        # Fields keep the keys they had before there were tabs (the last tab's are remembered).
        self.tabs.setProperty("settings_group", False)
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        # Titles shrink first; past that, arrows scroll the tabs (they take no keyboard focus:
        # Ctrl+Tab and the arrow keys on the tab bar move between tabs).
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        for arrow in self.tabs.tabBar().findChildren(QToolButton):
            arrow.setToolTip(self.tr("Show more tabs"))
            # The bar gives each arrow 16 px; a 16 px icon would ask for 24 and be clipped.
            arrow.setIconSize(QSize(8, 8))
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)

        self.load_count = QSpinBox(self)
        self.load_count.setObjectName("loadClientCountSpin")
        self.load_count.setRange(1, MAX_LOAD_CLIENTS)
        self.load_count.setValue(10)
        self.load_count.setAccessibleName(self.tr("Number of clients"))
        self.load_count.setToolTip(self.tr("How many connections a load test opens"))
        tips = (
            self.tr("Open another connection in a tab of its own (to the same server at first)"),
            self.tr(
                "Load test: open this many connections to the current tab's server, with its "
                "security and connection options, and count how many connect"
            ),
        )
        self.new_button, self.load_button = push_buttons(
            self,
            (self.tr("&New connection"), "newConnectionButton", self.add_connection, tips[0]),
            (self.tr("Connect &many"), "loadTestButton", self.start_load_test, tips[1]),
        )
        corner = QWidget(self)
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 0)
        corner_layout.addWidget(self.new_button)
        corner_layout.addSpacing(8)
        corner_layout.addWidget(self.load_count)
        corner_layout.addWidget(self.load_button)
        self.tabs.setCornerWidget(corner)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        self._built = False
        self.add_connection()
        self._built = True

    # -- tabs ----------------------------------------------------------------------------------

    def connections(self) -> list[ClientConnection | LoadTest]:
        """Every tab's connection (or load test), in tab order."""
        return [self.tabs.widget(index) for index in range(self.tabs.count())]  # type: ignore[misc]

    def current_connection(self) -> ClientConnection:
        """The current tab's connection, or the last connection tab shown (a load test is
        current)."""
        page = self.tabs.currentWidget()
        if isinstance(page, ClientConnection):
            return page
        assert self._last_connection is not None  # the panel always has a connection tab
        return self._last_connection

    def add_connection(self) -> ClientConnection:
        """Open a new connection tab (to the current tab's server at first) and show it."""
        page = ClientConnection(self)
        if self._last_connection is not None:
            page.copy_target(self.current_connection())
        self._add_page(page)
        if self._built:
            self.connection_added.emit(page)
        return page

    def start_load_test(self, count: int | None = None) -> LoadTest | None:
        """Open ``count`` (default: the spin box) connections to the current tab's server.

        Returns:
            The load test's tab, or None when the fields are not usable (the status says why).
        """
        count = self.load_count.value() if count is None else max(1, min(count, MAX_LOAD_CLIENTS))
        source = self.current_connection()
        settings = source.client_settings()
        if settings is None:
            return None
        limit = raise_file_limit()
        if limit is not None and count * DESCRIPTORS_PER_CLIENT + DESCRIPTOR_RESERVE > limit:
            self.status.show_error(
                self.tr(
                    "This system lets the app open {limit} files and sockets: at most {count} "
                    "clients at once"
                ).format(
                    limit=format_count(limit),
                    count=format_count((limit - DESCRIPTOR_RESERVE) // DESCRIPTORS_PER_CLIENT),
                )
            )
            return None
        source.host.remember(source.host.text())
        page = LoadTest(self, source.server_box.target(), count)
        self._add_page(page)
        page.start(settings)
        return page

    def _add_page(self, page: ClientConnection | LoadTest) -> None:
        self._pages.append(page)
        for view in page.findChildren(QAbstractItemView):
            view.setTabKeyNavigation(False)  # as Panel.showEvent does for the first tab's
        page.state_changed.connect(self._refresh)
        index = self.tabs.addTab(page, page.title())
        self.tabs.setCurrentIndex(index)
        self._refresh()

    def _close_tab(self, index: int) -> None:
        """Closing a tab closes its connection; the last connection tab is never left empty."""
        page = self.tabs.widget(index)
        if not isinstance(page, ClientConnection | LoadTest):
            return
        self.tabs.removeTab(index)
        if page is self._last_connection:
            self._last_connection = None
        if not any(isinstance(p, ClientConnection) for p in self.connections()):
            self.add_connection()
        elif self._last_connection is None:
            self._last_connection = next(
                p for p in self.connections() if isinstance(p, ClientConnection)
            )
        page.hide()
        if page.runner.running:
            # Freed once its worker has ended: a page deleted first would leave the worker's
            # last signals nowhere to go.
            page.runner.finished.connect(lambda page=page: self._forget(page))
            page.runner.stop()
        else:
            self._forget(page)
        self._refresh()

    def _forget(self, page: ClientConnection | LoadTest) -> None:
        if page in self._pages:
            self._pages.remove(page)
        page.deleteLater()

    def _on_current_changed(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, ClientConnection):
            self._last_connection = page
        self._refresh()

    def _refresh(self) -> None:
        """Tab titles, the Tab order and the activity line, after any tab changed."""
        for index, page in enumerate(self.connections()):
            self.tabs.setTabText(index, page.title())
            self.tabs.setTabToolTip(index, page.title())
        current = self.tabs.currentWidget()
        # In reading order: the tabs and the buttons beside them, then the current tab.
        self._tab_order = [
            self.tabs.tabBar(),
            self.new_button,
            self.load_count,
            self.load_button,
            *(current.tab_order() if isinstance(current, ClientConnection | LoadTest) else []),
        ]
        live = [page for page in self._pages if page.state != "idle"]
        if not live:
            self.set_activity("")
        elif len(live) == 1 and isinstance(live[0], ClientConnection):
            page = live[0]
            text = (
                self.tr("TCP connected to {peer}")
                if page.state == "connected"
                else self.tr("TCP connecting to {peer}")
            )
            self.set_activity(text.format(peer=page.target))
        else:
            count = sum(
                len(p.connected_now) if isinstance(p, LoadTest) else int(p.connected) for p in live
            )
            self.set_activity(
                self.tr("{count} TCP connections", "", count).format(count=format_count(count))
            )

    # -- what the main window calls ------------------------------------------------------------

    def _current_page(self) -> Any:
        """The current tab: a ClientConnection or a LoadTest (both take the triggers)."""
        return self.tabs.currentWidget()

    def trigger_start(self) -> None:
        self._current_page().trigger_start()

    def trigger_send(self) -> None:
        self._current_page().trigger_send()

    def trigger_stop(self) -> None:
        """Ctrl+.: close the current tab's connection (the others stay)."""
        self._current_page().trigger_stop()

    def send_file(self, path: str) -> None:
        self.current_connection().send_file(path)

    def save_as_script(self, path: str | None = None) -> bool:
        return self.current_connection().save_as_script(path)

    def stop_workers(self) -> None:
        for page in self._pages:
            page.runner.stop()

    def is_running(self) -> bool:
        return any(page.runner.running for page in self._pages)

    def live_work(self) -> list[str]:
        count = sum(
            len(p.connected_now) if isinstance(p, LoadTest) else int(p.connected)
            for p in self._pages
        )
        if not count:
            return []
        connected = [p for p in self._pages if isinstance(p, ClientConnection) and p.connected]
        if count == 1 and connected:
            return [self.tr("1 TCP connection (to {peer})").format(peer=connected[0].target)]
        return [self.tr("{count} TCP connections", "", count).format(count=format_count(count))]
