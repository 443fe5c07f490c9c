"""One tab of the TCP Client: a connection with its own server, security options, send box,
counters, log and worker (:class:`ClientConnection`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, scrolling_settings, wire_runner
from gui.panels.tcp_connection_form import (
    ConnectionCounters,
    PayloadBox,
    ServerBox,
    connection_settings,
    script_options,
)
from gui.runner import ReceivedRun, Runner
from gui.widgets import LogEntry, TrafficLog, format_bytes
from gui.widgets.forms import stack
from gui.widgets.security import ClientSecurityBox, ConnectionOptionsBox
from gui.widgets.traffic_log import StreamRows
from net.errors import AddressError, PayloadError
from net.events import Connected, Disconnected, FileSent, Received, Reconnecting, Sent
from net.tcp import TcpClient

__all__ = ["ClientConnection"]


class ClientConnection(QWidget):
    """One tab of the TCP Client: one connection, with everything a connection has.

    A fast stream reaches the tab as one merged run per batch (see :mod:`gui.runner`), of which
    the log keeps and decodes only the end: the counters come from the client itself.

    Signals:
        state_changed(): connected, disconnected or retargeted (the panel updates the tab title
            and its activity line).
    """

    state_changed = Signal()

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.status = panel.status
        self.runner = wire_runner(Runner(self, name="TCP client"), self)
        self.client: Any = None
        self.target = ""
        self._connected = False
        self._state = "idle"
        self._stream = StreamRows()
        self._built: list[TcpClient] = []
        # Send tools the Packets view attaches to each tab (gui.panels.packets).
        self.repeat_send: Any = None
        self.payload_history: Any = None
        self._build()
        self._rtt = self.counters.trips  # the round trips, by the name callers used before
        self._set_state("idle")

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.server_box = ServerBox(self)
        self.host, self.port = self.server_box.host, self.server_box.port
        self.timeout_spin = self.server_box.timeout_spin
        self.connect_button = self.server_box.connect_button
        self.disconnect_button = self.server_box.disconnect_button
        self.security = ClientSecurityBox(self)
        self.connection = ConnectionOptionsBox(self)
        # Server and Security share the left column and Connection gets a row of its own: side
        # by side the three did not fit an 800x600 window.
        left = QVBoxLayout()
        left.addWidget(self.server_box)
        left.addWidget(self.security)
        left.addStretch(1)
        self.options_row = QHBoxLayout()
        self.options_row.addLayout(left, 3)
        self.security_row = QHBoxLayout()
        self.security_row.addWidget(self.connection, 1)

        self.send_box = PayloadBox(self, self.status, self._connected_client, self.save_as_script)
        self.payload, self.send_button = self.send_box.payload, self.send_box.send_button
        self.send_file_button = self.send_box.send_file_button
        self.save_script_button = self.send_box.save_script_button
        self.options_row.addWidget(self.send_box, 4)

        self.counters = ConnectionCounters(self)
        self.log = TrafficLog(self)

        # The settings scroll in a short window: at 800x600 the fields and buttons were squashed
        # to a third of their height.
        settings = QVBoxLayout()
        settings.addLayout(self.options_row)
        settings.addLayout(self.security_row)
        self.settings_area = scrolling_settings(self, settings, "clientSettings")
        layout = stack(self, self.settings_area, self.counters, self.log, stretch=(2, 0, 1))
        layout.setContentsMargins(0, 4, 0, 0)
        self._show_counters()

    def tab_order(self) -> list[QWidget]:
        """This tab's inputs in the order Tab visits them."""
        return [
            *self.server_box.focus_chain(),
            *self.send_box.focus_chain(),
            *self.security.focus_chain(),
            *self.connection.focus_chain(),
        ]

    def copy_target(self, other: ClientConnection) -> None:
        """Start from ``other``'s server, timeout and recent hosts (a new tab to the same place)."""
        self.server_box.copy_target(other.server_box)

    # -- what the tab shows about itself -------------------------------------------------------

    def title(self) -> str:
        """The tab's title: its target once it has one."""
        return self.target or self.tr("New connection")

    @property
    def state(self) -> str:
        """ "idle", "connecting" or "connected"."""
        return self._state

    # -- actions -------------------------------------------------------------------------------

    def save_as_script(self, path: str | None = None) -> bool:
        """Record -> script: what the log shows, against the host and port in the fields."""
        if not self.panel.inputs_ok(self.host.check(), self.port.check()):
            return False
        try:
            tls = self.security.client_tls()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return False
        protocol, extra = script_options(tls)
        from gui.panels.scripts import save_log_as_script  # the script engine, when first used

        return save_log_as_script(
            self,
            self.status,
            self.log,
            protocol,
            self.host.host(),
            self.port.port(),
            extra=extra,
            path=path,
        )

    def client_settings(self) -> dict[str, Any] | None:
        """What a TcpClient to this tab's target takes (host, port, tls, timeout, options);
        None after showing what is wrong with the fields."""
        try:
            return connection_settings(self.server_box, self.security, self.connection)
        except (AddressError, PayloadError) as exc:
            self.status.show_error(str(exc))
            return None

    def trigger_start(self) -> None:
        settings = None if self.runner.running else self.client_settings()
        if settings is None:
            return
        self.host.remember(self.host.text())
        self.target = self.server_box.target()
        push = self.runner.push
        built: list[TcpClient] = []
        self._built = built

        def open_client() -> TcpClient:
            client = TcpClient(on_event=push, **settings)
            built.append(client)
            return client

        self.client = None
        self._connected = False
        self.counters.reset()
        self._reset_decoder()
        self.runner.start(open_client, lambda client: client.run())
        self._set_state("connecting")
        self.status.show_info(self.tr("Connecting to {peer}…").format(peer=self.target))

    def trigger_stop(self) -> None:
        self.runner.stop()

    def trigger_send(self) -> None:
        self.send_box.send()

    def send_file(self, path: str) -> None:
        """Queue a file's bytes on the connection (what "Send file…" does after its dialog)."""
        self.send_box.send_file(path)

    def _connected_client(self) -> Any:
        return self.client if self._connected else None

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, client: Any) -> None:
        self.client = client
        if self._connected:  # "connected" may have been drained before this signal came
            self._set_state("connected")

    def _on_events(self, events: list[Any]) -> None:
        rows: list[LogEntry] = []
        replied: float | None = None
        for event in events:
            if isinstance(event, Received | ReceivedRun):
                row = self._stream.row(event)
                rtt = self.counters.received(event.time)
                if rtt is not None:
                    replied = rtt
                    row = dataclasses.replace(row, rtt_ms=rtt)  # the log shows it in the row
                rows.append(row)
            elif isinstance(event, Sent):
                self.counters.sent(event)
                rows.append(LogEntry(event.time, "out", event.peer, event.data))
            elif isinstance(event, Reconnecting):
                self._connected = False
                rows.append(self._stream.finish(event.time, event.peer))
                message = self.tr("{reason}; reconnecting in {delay} s, attempt {attempt}").format(
                    reason=event.reason,
                    delay=QLocale().toString(event.delay, "f", 1),
                    attempt=QLocale().toString(event.attempt),
                )
                rows.append(LogEntry(event.time, "info", event.peer, b"", message))
                self.status.show_warning(message)
                self._set_state("connecting")
            elif isinstance(event, FileSent):
                note = self.tr("Sent the file {path} ({size})").format(
                    path=event.path, size=format_bytes(event.size)
                )
                rows.append(LogEntry(event.time, "info", event.peer, b"", note))
                self.status.show_info(note)
            elif isinstance(event, Connected):
                self._connected = True
                if self.client is None and self._built:
                    # The batch may come before the opened signal: the worker built it already.
                    self.client = self._built[-1]
                self.target = event.peer or self.target
                self.log.set_local(event.local, event.peer)
                message = self.tr("Connected to {peer}").format(peer=event.peer)
                if event.tls is not None:
                    message = self.tr("{message} with {version} ({cipher})").format(
                        message=message, version=event.tls.version, cipher=event.tls.cipher
                    )
                    if event.tls.peer_fingerprint:
                        message = self.tr("{message}; server certificate {fingerprint}").format(
                            message=message, fingerprint=event.tls.peer_fingerprint
                        )
                rows.append(LogEntry(event.time, "info", event.peer, b"", message))
                self.status.show_info(message)
                # Sending needs the client object too, which the opened signal brings.
                self._set_state("connected" if self.client is not None else "connecting")
            elif isinstance(event, Disconnected):
                self._connected = False
                rows.append(self._stream.finish(event.time, event.peer))
                message = self.tr("Disconnected from {peer}: {reason}").format(
                    peer=event.peer, reason=event.reason
                )
                rows.append(
                    LogEntry(
                        event.time, "error" if event.error else "info", event.peer, b"", message
                    )
                )
                if event.error:
                    self.status.show_error(message)
                else:
                    self.status.show_info(message)
        self.log.append(rows)
        if replied is not None:
            self.status.show_info(
                self.tr("Reply from {peer} after {ms} ms").format(
                    peer=self.target, ms=f"{replied:.3f}"
                )
            )
        self._show_counters()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, self.target, error=True)

    def _on_finished(self) -> None:
        self._connected = False
        self._show_counters()
        self._set_state("idle")

    def _reset_decoder(self) -> None:
        # A new connection is a new stream; the log renders it in whatever encoding it shows.
        self._stream = StreamRows()

    @property
    def connected(self) -> bool:
        return self._connected

    # -- helpers -------------------------------------------------------------------------------

    def _show_counters(self) -> None:
        self.counters.show_counts(self.client, self.target if self._connected else None)

    def _set_state(self, state: str) -> None:
        self._state = state
        idle = state == "idle"
        self.connect_button.setEnabled(idle)
        self.disconnect_button.setEnabled(not idle)
        self.send_button.setEnabled(state == "connected")
        self.send_file_button.setEnabled(state == "connected")
        for widget in self.server_box.inputs():
            widget.setEnabled(idle)
        self.security.set_enabled_inputs(idle)
        self.connection.set_enabled_inputs(idle)
        self.state_changed.emit()
