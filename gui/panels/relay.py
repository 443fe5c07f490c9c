"""Relay: stand between a client and its target (TCP or UDP), see both directions, and make the
network misbehave on purpose (delay, bandwidth, loss, duplication, reordering, slicing, resets,
stalls, "down"), changing the faults while the conversation runs (net.relay, issue 19)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, SettingsArea, first_problem, set_tab_chain
from gui.runner import ReceivedRun
from gui.widgets import (
    BindAddressPicker,
    HostField,
    LogEntry,
    PortField,
    TrafficLog,
    format_bytes,
    format_count,
)
from gui.widgets.connection_table import selected_ids, set_rows
from gui.widgets.forms import add_rows, button_row, push_button, start_stop_buttons
from gui.widgets.security import ClientSecurityBox, ServerSecurityBox
from gui.widgets.traffic_log import StreamRows
from net.errors import AddressError, NetError
from net.events import Received, RelayClosed, RelayData, RelayOpened
from net.relay import TO_CLIENT, TO_TARGET, Faults, TcpRelay, UdpRelay
from net.tls import server_context

__all__ = ["RelayPanel"]

SpinBox = TypeVar("SpinBox", QSpinBox, QDoubleSpinBox)

# Forwarded TCP chunks travel to the GUI as Received events keyed by connection and direction, so
# the runner merges a fast stream into one event per batch: key = conn_id * 2 + direction.
_DIRECTION_OF_KEY = (TO_TARGET, TO_CLIENT)


def _stream_key(conn_id: int, direction: str) -> int:
    return conn_id * 2 + (0 if direction == TO_TARGET else 1)


class RelayPanel(Panel):
    """A TCP or UDP relay with live faults, a traffic log both ways and a connection list."""

    CONN, CLIENT, TARGET, SINCE, UP, DOWN = range(6)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("relayPanel")
        self.runner = self.make_runner("relay")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.relay: Any = None
        self._address = ""
        self._opened_tls: dict[str, str] = {}
        self._streams: dict[int, StreamRows] = {}
        self._build()
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._refresh)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.bind = BindAddressPicker(self)
        self.port = PortField(self, allow_zero=True)
        self.target_host = HostField(self, name="targetHostEdit")
        self.target_port = PortField(self, name="targetPortEdit")
        self.protocol = QComboBox(self)
        self.protocol.setObjectName("protocolCombo")
        self.protocol.addItem("TCP", "tcp")
        self.protocol.addItem("UDP", "udp")
        self.protocol.setAccessibleName(self.tr("Protocol"))
        self.protocol.setToolTip(self.tr("Relay TCP connections or UDP datagrams"))
        self.protocol.currentIndexChanged.connect(self._on_protocol)
        self.start_button, self.stop_button = start_stop_buttons(
            self,
            (self.tr("&Start"), self.tr("Start relaying (Ctrl+R)")),
            (self.tr("S&top"), self.tr("Stop the relay and close every connection (Ctrl+.)")),
        )

        where = QGroupBox(self.tr("Relay"), self)
        form = QFormLayout(where)
        add_rows(
            form,
            (self.tr("&Listen on:"), self.bind, self.bind.combo),
            (self.tr("Listen &port:"), self.port, self.port.edit),
            (self.tr("Tar&get host:"), self.target_host, self.target_host.combo),
            (self.tr("Target p&ort:"), self.target_port, self.target_port.edit),
            (self.tr("Protocol:"), self.protocol),
        )
        form.addRow("", button_row(self.start_button, self.stop_button))

        faults = QWidget(self)
        faults.setObjectName("faultsPage")
        grid = QGridLayout(faults)
        self.fault_direction = QComboBox(self)
        self.fault_direction.setObjectName("faultDirectionCombo")
        self.fault_direction.addItem(self.tr("Both directions"), "both")
        self.fault_direction.addItem(self.tr("-> to the target"), TO_TARGET)
        self.fault_direction.addItem(self.tr("<- to the client"), TO_CLIENT)
        self.fault_direction.setAccessibleName(self.tr("Faults apply to"))
        self.fault_direction.setToolTip(
            self.tr("The direction the faults below apply to; the other one flows untouched")
        )
        self.delay = self._ms_spin("delaySpin", self.tr("Delay"))
        self.jitter = self._ms_spin("jitterSpin", self.tr("Jitter"))
        self.rate = self._int_spin("rateSpin", self.tr("Bandwidth limit"), self.tr(" B/s"))
        self.rate.setSpecialValueText(self.tr("unlimited"))
        self.loss = self._percent_spin("lossSpin", self.tr("Loss (UDP)"))
        self.duplicate = self._percent_spin("duplicateSpin", self.tr("Duplication (UDP)"))
        self.reorder = self._percent_spin("reorderSpin", self.tr("Reordering (UDP)"))
        self.slice = self._int_spin("sliceSpin", self.tr("Slice size (TCP)"), self.tr(" B"))
        self.slice.setSpecialValueText(self.tr("off"))
        self.slice_pause = self._ms_spin("slicePauseSpin", self.tr("Pause after each slice"))
        self.reset_after = self._int_spin("resetAfterSpin", self.tr("Reset after (TCP)"), " B")
        self.reset_after.setSpecialValueText(self.tr("never"))
        self.stall = QCheckBox(self.tr("Stall"), self)
        self.stall.setObjectName("stallCheck")
        self.stall.setToolTip(self.tr("Forward nothing, but keep the connections open"))
        self.down = QCheckBox(self.tr("Down"), self)
        self.down.setObjectName("downCheck")
        self.down.setToolTip(self.tr("Refuse new connections and drop every datagram"))
        for momentary in (self.stall, self.down):
            momentary.setProperty("persist", False)  # a new session starts with traffic flowing
        rows: list[tuple[str, QWidget]] = [
            (self.tr("Apply to:"), self.fault_direction),
            (self.tr("Delay:"), self.delay),
            (self.tr("Jitter:"), self.jitter),
            (self.tr("Bandwidth:"), self.rate),
            (self.tr("Loss:"), self.loss),
            (self.tr("Duplicate:"), self.duplicate),
            (self.tr("Reorder:"), self.reorder),
            (self.tr("Slice:"), self.slice),
            (self.tr("Slice pause:"), self.slice_pause),
            (self.tr("Reset after:"), self.reset_after),
        ]
        # Three pairs a row across the panel's whole width: two a row beside the Relay box did
        # not fit an 800x600 window. Stall and Down end the last row.
        for index, (text, widget) in enumerate(rows):
            row, column = divmod(index, 3)
            label = QLabel(text, faults)
            label.setBuddy(widget)
            grid.addWidget(label, row, column * 2)
            grid.addWidget(widget, row, column * 2 + 1)
        last, column = divmod(len(rows), 3)
        grid.addWidget(self.stall, last, column * 2, 1, 2)
        grid.addWidget(self.down, last, column * 2 + 2, 1, 2)
        self._fault_spins = (
            self.delay,
            self.jitter,
            self.rate,
            self.loss,
            self.duplicate,
            self.reorder,
            self.slice,
            self.slice_pause,
            self.reset_after,
        )
        for spin in self._fault_spins:
            spin.valueChanged.connect(self._apply_faults)
        self.fault_direction.currentIndexChanged.connect(self._apply_faults)
        self.stall.toggled.connect(self._apply_faults)
        self.down.toggled.connect(self._apply_faults)

        self.connections = QTableWidget(0, 6, self)
        self.connections.setObjectName("connectionTable")
        self.connections.setHorizontalHeaderLabels(
            [
                "#",
                self.tr("Client"),
                self.tr("Target"),
                self.tr("Since"),
                TO_TARGET,
                TO_CLIENT,
            ]
        )
        self.connections.setAccessibleName(self.tr("Relayed connections"))
        self.connections.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.connections.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.connections.verticalHeader().setVisible(False)
        self.connections.horizontalHeader().setSectionResizeMode(
            self.CLIENT, QHeaderView.ResizeMode.Stretch
        )
        self.connections.setMaximumHeight(self.connections.fontMetrics().height() * 9)
        self.connections.itemSelectionChanged.connect(self._update_buttons)
        self.close_button = push_button(
            self,
            self.tr("&Close selected"),
            "closeConnectionButton",
            lambda: self.close_selected(reset=False),
            tip=self.tr("Close the selected connections in order (FIN)"),
        )
        self.reset_button = push_button(
            self,
            self.tr("&Reset selected"),
            "resetConnectionButton",
            lambda: self.close_selected(reset=True),
            tip=self.tr("Reset the selected connections (RST)"),
        )
        conn_box = QWidget(self)
        conn_box.setObjectName("connectionsPage")
        conn_layout = QVBoxLayout(conn_box)
        conn_layout.addWidget(self.connections, 1)
        conn_layout.addLayout(button_row(self.close_button, self.reset_button))

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
        self.pages.addTab(faults, self.tr("Faults (applied at once)"))
        self.pages.addTab(conn_box, self.tr("Connections"))
        top.addWidget(self.pages, 1, 0, 1, 2)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)

        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.counters.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log = TrafficLog(self)
        self.log.encoding_combo.currentTextChanged.connect(lambda _text: self._streams.clear())

        # The settings scroll in a short window: at 800x600 the fields and buttons were squashed.
        settings = QWidget(self)
        settings.setLayout(top)
        top.setContentsMargins(0, 0, 0, 0)
        self.settings_area = SettingsArea(self, settings, "relaySettings")

        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 2)
        layout.addWidget(self.counters)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.status)
        set_tab_chain(
            self.bind.combo,
            self.port.edit,
            self.target_host.combo,
            self.target_port.edit,
            self.protocol,
            self.start_button,
            self.stop_button,
            *self.listen_security.focus_chain(),
            *self.target_security.focus_chain(),
            self.pages,
            self.fault_direction,
            *self._fault_spins,
            self.stall,
            self.down,
            self.connections,
            self.close_button,
            self.reset_button,
        )
        self._on_protocol()
        self._show_counters()

    def _ms_spin(self, name: str, what: str) -> QDoubleSpinBox:
        return self._spin(QDoubleSpinBox(self), name, what, 600_000, self.tr(" ms"))

    def _percent_spin(self, name: str, what: str) -> QDoubleSpinBox:
        return self._spin(QDoubleSpinBox(self), name, what, 100, " %")

    def _int_spin(self, name: str, what: str, suffix: str) -> QSpinBox:
        spin = self._spin(QSpinBox(self), name, what, 2_000_000_000, suffix)
        spin.setSingleStep(1024)
        return spin

    def _spin(self, spin: SpinBox, name: str, what: str, maximum: int, suffix: str) -> SpinBox:
        spin.setObjectName(name)
        spin.setRange(0, maximum)
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(1)
        spin.setSuffix(suffix)
        spin.setAccessibleName(what)
        spin.setToolTip(what)
        return spin

    # -- actions -------------------------------------------------------------------------------

    def faults(self) -> Faults:
        """The faults the controls describe now."""
        return Faults(
            delay_ms=self.delay.value(),
            jitter_ms=self.jitter.value(),
            rate=self.rate.value(),
            loss=self.loss.value(),
            duplicate=self.duplicate.value(),
            reorder=self.reorder.value(),
            slice_bytes=self.slice.value(),
            slice_pause_ms=self.slice_pause.value(),
            reset_after=self.reset_after.value(),
            stall=self.stall.isChecked(),
        )

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        problem = first_problem(
            self.bind.check(), self.port.check(), self.target_host.check(), self.target_port.check()
        )
        if problem:
            self.status.show_error(problem)
            return
        host, port = self.bind.address(), self.port.port()
        target, target_port = self.target_host.host(), self.target_port.port()
        udp = self.protocol.currentData() == "udp"
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
            context = None
            if plan is not None:
                # Generating the self-signed certificate (first use) takes a moment: not on the GUI.
                certificate = plan.certificate()
                context = server_context(certificate)
                opened["fingerprint"] = certificate.fingerprint
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
        return selected_ids(self.connections, self.CONN)

    def _apply_faults(self) -> None:
        relay = self.relay
        if relay is None or not self.runner.running:
            return
        try:
            faults = self.faults()
        except NetError as exc:
            self.status.show_error(str(exc))
            return
        direction = self.fault_direction.currentData()
        if direction == "both":
            relay.set_faults(faults)
        else:
            other = TO_CLIENT if direction == TO_TARGET else TO_TARGET
            relay.set_faults(faults, direction)
            relay.set_faults(Faults(), other)
        relay.set_down(self.down.isChecked())

    def _on_protocol(self) -> None:
        udp = self.protocol.currentData() == "udp"
        self.listen_security.setEnabled(not udp)
        self.target_security.setEnabled(not udp)
        for spin in (self.loss, self.duplicate, self.reorder):
            spin.setEnabled(udp)
        for tcp_only in (self.slice, self.slice_pause, self.reset_after):
            tcp_only.setEnabled(not udp)

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

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, error=True)

    def _on_finished(self) -> None:
        self._tick.stop()
        self._show_counters()
        self.connections.setRowCount(0)
        if self.status.kind != "error" and self.relay is not None:
            self.status.show_info(
                self.tr("Stopped relaying {address}").format(address=self._address)
            )
        self._set_running(False)

    def _refresh(self) -> None:
        relay = self.relay
        infos = list(relay.connections()) if relay is not None and self.runner.running else []
        rows = [
            (
                info.conn_id,
                [
                    str(info.conn_id),
                    info.client,
                    info.target,
                    time.strftime("%H:%M:%S", time.localtime(info.since)),
                    format_bytes(info.bytes_to_target),
                    format_bytes(info.bytes_to_client),
                ],
            )
            for info in infos
        ]
        set_rows(self.connections, rows, self.CONN)
        self._update_buttons()
        self._show_counters()

    # -- helpers -------------------------------------------------------------------------------

    def _show_counters(self) -> None:
        relay = self.relay
        if relay is None:
            self.counters.setText(self.tr("Not relaying"))
            return
        udp = isinstance(relay, UdpRelay)
        parts = []
        for direction, counters in relay.counters().items():
            if udp:
                units = self.tr("{count} datagrams", "", counters.chunks)
            else:
                units = self.tr("{count} chunks", "", counters.chunks)
            parts.append(
                self.tr(
                    "{direction} {units}, {size}, {dropped} dropped, {duplicated} duplicated"
                ).format(
                    direction=direction,
                    units=units.format(count=format_count(counters.chunks)),
                    size=format_bytes(counters.bytes),
                    dropped=format_count(counters.dropped),
                    duplicated=format_count(counters.duplicated),
                )
            )
        self.counters.setText("   ".join(parts))
        if self.runner.running:
            self.set_activity(
                self.tr("Relay {address} → {target}").format(
                    address=self._address, target=relay.target
                )
            )

    def _update_buttons(self) -> None:
        selected = self.runner.running and bool(self.connections.selectionModel().selectedRows())
        self.close_button.setEnabled(selected)
        self.reset_button.setEnabled(selected)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.bind, self.port, self.target_host, self.target_port, self.protocol):
            widget.setEnabled(not running)
        self.listen_security.set_running(running, self._opened_tls.get("fingerprint", ""))
        self.target_security.set_enabled_inputs(not running)
        if not running:
            self._on_protocol()
        self._update_buttons()
        if not running:
            self.set_activity("")
