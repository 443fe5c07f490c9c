"""Relay: stand between a client and its target (TCP or UDP), see both directions, and make the
network misbehave on purpose (delay, bandwidth, loss, duplication, reordering, slicing, resets,
stalls, "down"), changing the faults while the conversation runs (net.relay, issue 19)."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import QGridLayout, QTabWidget, QToolButton, QVBoxLayout, QWidget

from gui.panels.base import LoopPanel, scrolling_settings, server_tls, set_tab_chain
from gui.panels.relay_form import ConnectionsPage, FaultsPage, RelayBox, RelayCounters
from gui.runner import ReceivedRun
from gui.widgets import LogEntry, TrafficLog
from gui.widgets.forms import stack
from gui.widgets.security import ClientSecurityBox, ServerSecurityBox
from gui.widgets.traffic_log import StreamRows
from net.errors import AddressError, NetError
from net.events import Received, RelayClosed, RelayData, RelayOpened
from net.relay import TO_CLIENT, TO_TARGET, Faults, TcpRelay, UdpRelay

__all__ = ["RelayPanel"]

# Forwarded TCP chunks travel to the GUI as Received events keyed by connection and direction, so
# the runner merges a fast stream into one event per batch: key = conn_id * 2 + direction.
_DIRECTION_OF_KEY = (TO_TARGET, TO_CLIENT)


def _stream_key(conn_id: int, direction: str) -> int:
    return conn_id * 2 + (0 if direction == TO_TARGET else 1)


class RelayPanel(LoopPanel):
    """A TCP or UDP relay with live faults, a traffic log both ways and a connection list."""

    CONN, CLIENT, TARGET, SINCE, UP, DOWN = range(6)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "relay")
        self.setObjectName("relayPanel")
        self.relay: Any = None
        self._address = ""
        self._opened_tls: dict[str, str] = {}
        self._streams: dict[int, StreamRows] = {}
        self._build()
        self._tick = self.ticker(self._refresh)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        where = RelayBox(self)
        self.where = where
        self.bind, self.port, self.protocol = where.bind, where.port, where.protocol
        self.target_host, self.target_port = where.target_host, where.target_port
        self.start_button, self.stop_button = where.start_button, where.stop_button
        self.protocol.currentIndexChanged.connect(self._on_protocol)

        self.faults_page = FaultsPage(self)
        page = self.faults_page
        self.fault_direction, self.delay, self.jitter = (
            page.fault_direction,
            page.delay,
            page.jitter,
        )
        self.rate, self.loss, self.duplicate = page.rate, page.loss, page.duplicate
        self.reorder, self.slice, self.slice_pause = page.reorder, page.slice, page.slice_pause
        self.reset_after, self.stall, self.down = page.reset_after, page.stall, page.down
        page.changed.connect(self._apply_faults)

        self.connections_page = ConnectionsPage(
            self, lambda reset: self.close_selected(reset=reset)
        )
        self.connections = self.connections_page.connections
        self.close_button = self.connections_page.close_button
        self.reset_button = self.connections_page.reset_button
        self.connections.itemSelectionChanged.connect(self._update_buttons)

        # TCP only: TLS towards the clients and towards the target, so TLS is seen in clear here.
        self.listen_security = ServerSecurityBox(self)
        self.listen_security.setTitle(self.tr("TLS to clients"))
        self.target_security = ClientSecurityBox(self)
        self.target_security.setTitle(self.tr("TLS to the target"))
        # Alt+T is Stop here, and two boxes share the words: each gets a letter of its own.
        self.listen_security.tls_check.setText(self.tr("Us&e TLS"))
        self.target_security.tls_check.setText(self.tr("&Use TLS"))

        tls = QVBoxLayout()
        tls.addWidget(self.listen_security)
        tls.addWidget(self.target_security)
        tls.addStretch(1)
        top = QGridLayout()
        top.addWidget(where, 0, 0)
        top.addLayout(tls, 0, 1)
        # Faults and Connections share one place as tabs: one above the other they made the
        # panel taller than an 800x600 window.
        self.pages = QTabWidget(self)
        self.pages.setObjectName("relayPages")
        self.pages.tabBar().setUsesScrollButtons(False)  # two tabs always fit
        for scroll in self.pages.tabBar().findChildren(QToolButton):  # Qt's own, never shown
            scroll.setToolTip(self.tr("Show more tabs"))
        self.pages.addTab(self.faults_page, self.tr("Faults (applied at once)"))
        self.pages.addTab(self.connections_page, self.tr("Connections"))
        top.addWidget(self.pages, 1, 0, 1, 2)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)

        self.counters = RelayCounters(self)
        self.log = TrafficLog(self)
        self.log.encoding_combo.currentTextChanged.connect(lambda _text: self._streams.clear())

        # The settings scroll in a short window: at 800x600 the fields and buttons were squashed.
        self.settings_area = scrolling_settings(self, top, "relaySettings")
        stack(self, self.settings_area, self.counters, self.log, self.status, stretch=(2, 0, 1, 0))
        set_tab_chain(
            *where.focus_chain(),
            *self.listen_security.focus_chain(),
            *self.target_security.focus_chain(),
            self.pages,
            *self.faults_page.focus_chain(),
            *self.connections_page.focus_chain(),
        )
        self._on_protocol()
        self._show_counters()

    # -- actions -------------------------------------------------------------------------------

    def faults(self) -> Faults:
        """The faults the controls describe now."""
        return self.faults_page.faults()

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        checks = (self.bind, self.port, self.target_host, self.target_port)
        if not self.inputs_ok(*(field.check() for field in checks)):
            return
        host, port = self.bind.address(), self.port.port()
        target, target_port = self.target_host.host(), self.target_port.port()
        udp = self.where.udp()
        try:
            target_tls = None if udp else self.target_security.client_tls()
            plan = None if udp else self.listen_security.plan()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        opened: dict[str, str] = {}
        self._opened_tls = opened
        push = self.runner.push

        def forward(event: Any) -> None:
            # Runs on the relay's thread: forwarded TCP chunks become mergeable Received events.
            if type(event) is RelayData and event.action == "forwarded" and not udp:
                key = _stream_key(event.conn_id, event.direction)
                push(Received(event.time, key, event.peer, event.data))
            else:
                push(event)

        def open_relay() -> TcpRelay | UdpRelay:
            if udp:
                return UdpRelay(host, port, target, target_port, on_event=forward)
            context = server_tls(plan, opened)
            return TcpRelay(
                host,
                port,
                target,
                target_port,
                on_event=forward,
                target_tls=target_tls,
                ssl_context=context,
            )

        self.relay = None
        self._streams.clear()
        self.connections.setRowCount(0)
        self.target_host.remember(target)
        self.runner.start(open_relay, lambda relay: relay.run())
        self._set_running(True)
        self.status.show_info(self.tr("Opening port {port}…").format(port=port))

    def close_selected(self, *, reset: bool) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status.show_error(self.tr("Select one or more connections in the list first"))
            return
        if self.relay is not None:
            for conn_id in ids:
                self.relay.close_connection(conn_id, reset=reset)

    def selected_ids(self) -> list[int]:
        return self.connections.selected_ids()

    def _apply_faults(self) -> None:
        relay = self.relay
        if relay is None or not self.runner.running:
            return
        try:
            self.faults_page.apply_to(relay)
        except NetError as exc:
            self.status.show_error(str(exc))

    def _on_protocol(self) -> None:
        udp = self.where.udp()
        self.listen_security.setEnabled(not udp)
        self.target_security.setEnabled(not udp)
        self.faults_page.set_protocol(udp)

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, relay: Any) -> None:
        self.relay = relay
        self._address = str(relay.address)
        self.listen_security.set_running(True, self._opened_tls.get("fingerprint", ""))
        self._apply_faults()  # what the controls said while it was opening
        self.status.show_info(
            self.tr("Relaying {address} to {target}").format(
                address=self._address, target=relay.target
            )
        )
        self._tick.start()
        self._show_counters()

    def _on_events(self, events: list[Any]) -> None:
        rows: list[LogEntry] = []
        membership = False
        for event in events:
            kind = type(event)
            if kind is Received or kind is ReceivedRun:
                conn_id, direction = divmod(event.conn_id, 2)
                stream = self._streams.get(event.conn_id)
                if stream is None:
                    stream = self._streams[event.conn_id] = StreamRows(self.log.model.encoding)
                entry = stream.row(event)
                peer = f"#{conn_id} {event.peer}"
                rows.append(
                    dataclasses.replace(entry, direction=_DIRECTION_OF_KEY[direction], peer=peer)
                )
            elif kind is RelayData:
                peer = f"#{event.conn_id} {event.peer}"
                if event.action == "forwarded":
                    rows.append(LogEntry(event.time, event.direction, peer, event.data))
                else:
                    note = (
                        self.tr("dropped") if event.action == "dropped" else self.tr("duplicated")
                    )
                    label = f"{event.direction} {note}"
                    rows.append(LogEntry(event.time, label, peer, event.data))
            elif kind is RelayOpened:
                membership = True
                if event.side == "client":
                    text = self.tr("client connected")
                else:
                    text = self.tr("target connected")
                if event.tls is not None:
                    text += f" ({event.tls.version})"
                rows.append(
                    LogEntry(event.time, "info", f"#{event.conn_id} {event.peer}", b"", text)
                )
            elif kind is RelayClosed:
                membership = True
                for key in (
                    _stream_key(event.conn_id, TO_TARGET),
                    _stream_key(event.conn_id, TO_CLIENT),
                ):
                    self._streams.pop(key, None)
                side = self.tr("client") if event.side == "client" else self.tr("target")
                text = self.tr("{side} closed: {reason}").format(side=side, reason=event.reason)
                rows.append(
                    LogEntry(
                        event.time,
                        "error" if event.error else "info",
                        f"#{event.conn_id} {event.peer}",
                        b"",
                        text,
                    )
                )
        self.log.append(rows)
        if membership:
            self._refresh()
        else:
            self._show_counters()

    def _on_finished(self) -> None:
        self._tick.stop()
        self._show_counters()
        self.connections.setRowCount(0)
        if self.relay is not None:
            self.show_stopped(self.tr("Stopped relaying {address}").format(address=self._address))
        self._set_running(False)

    def _refresh(self) -> None:
        self.connections_page.show_connections(self.relay if self.runner.running else None)
        self._update_buttons()
        self._show_counters()

    # -- helpers -------------------------------------------------------------------------------

    def _show_counters(self) -> None:
        relay = self.relay
        self.counters.show_counts(relay)
        if relay is not None and self.runner.running:
            self.set_activity(
                self.tr("Relay {address} → {target}").format(
                    address=self._address, target=relay.target
                )
            )

    def _update_buttons(self) -> None:
        self.connections_page.enable_actions(self.runner.running)

    def _set_running(self, running: bool) -> None:
        self.show_running(running, *self.where.inputs())
        self.listen_security.set_running(running, self._opened_tls.get("fingerprint", ""))
        self.target_security.set_enabled_inputs(not running)
        if not running:
            self._on_protocol()
        self._update_buttons()
