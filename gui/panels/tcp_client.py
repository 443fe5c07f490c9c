"""TCP Client: connect to a server, send text, hex or a file, and read the stream as text or hex."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, first_problem, set_tab_chain
from gui.runner import ReceivedRun
from gui.widgets import HostField, LogEntry, PayloadEditor, PortField, TrafficLog, format_bytes
from gui.widgets.forms import add_rows, button_row, push_button, start_stop_buttons
from gui.widgets.security import ClientSecurityBox, ConnectionOptionsBox
from gui.widgets.send_tools import save_script_button
from gui.widgets.traffic_log import StreamRows
from net.errors import AddressError, NetError, PayloadError
from net.events import Connected, Disconnected, FileSent, Received, Reconnecting, Sent
from net.tcp import TcpClient

__all__ = ["TcpClientPanel"]


class TcpClientPanel(Panel):
    """One TCP connection at a time; received chunks are decoded as one stream per connection.

    A fast stream reaches the panel as one merged run per batch (see :mod:`gui.runner`), of
    which the log keeps and decodes only the end: the counters come from the client itself.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tcpClientPanel")
        self.runner = self.make_runner("TCP client")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.client: Any = None
        self._target = ""
        self._connected = False
        self._heartbeats = 0
        self._stream = StreamRows()
        self._build()
        self._set_state("idle")

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.host = HostField(self)
        self.port = PortField(self)
        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setObjectName("connectTimeoutSpin")
        self.timeout_spin.setRange(0.5, 600.0)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setValue(10.0)
        self.timeout_spin.setSuffix(self.tr(" s"))
        self.timeout_spin.setToolTip(self.tr("Give up connecting after this long"))
        self.timeout_spin.setAccessibleName(self.tr("Connect timeout"))

        self.connect_button, self.disconnect_button = start_stop_buttons(
            self,
            (self.tr("&Connect"), self.tr("Connect to the server (Ctrl+R)")),
            (self.tr("&Disconnect"), self.tr("Close the connection (Ctrl+.)")),
            names=("connectButton", "disconnectButton"),
        )

        server = QGroupBox(self.tr("Server"), self)
        form = QFormLayout(server)
        add_rows(
            form,
            (self.tr("H&ost:"), self.host, self.host.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("T&imeout:"), self.timeout_spin),
        )
        form.addRow("", button_row(self.connect_button, self.disconnect_button))

        self.security = ClientSecurityBox(self)
        self.connection = ConnectionOptionsBox(self)
        # Server and Security share the left column and Connection gets a row of its own: side
        # by side the three did not fit an 800x600 window.
        left = QVBoxLayout()
        left.addWidget(server)
        left.addWidget(self.security)
        left.addStretch(1)
        self.options_row = QHBoxLayout()
        self.options_row.addLayout(left, 3)
        self.security_row = QHBoxLayout()
        self.security_row.addWidget(self.connection, 1)

        self.payload = PayloadEditor(self)
        self.send_button = push_button(
            self,
            self.tr("&Send"),
            "sendButton",
            self.trigger_send,
            tip=self.tr("Send the payload (Ctrl+Return)"),
        )
        self.send_file_button = push_button(
            self,
            self.tr("Send fi&le…"),
            "sendFileButton",
            self._choose_file,
            tip=self.tr("Send the contents of a file, as is"),
        )
        send_box = QGroupBox(self.tr("Pa&yload"), self)
        self.payload.take_mnemonic(send_box)
        send_layout = QVBoxLayout(send_box)
        send_layout.addWidget(self.payload, 1)
        send_buttons = QHBoxLayout()
        send_buttons.addWidget(self.send_button)
        send_buttons.addWidget(self.send_file_button)
        send_buttons.addStretch(1)
        self.save_script_button = save_script_button(self, self.save_as_script)
        send_buttons.addWidget(self.save_script_button)
        send_layout.addLayout(send_buttons)
        self.options_row.addWidget(send_box, 4)

        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.log = TrafficLog(self)

        layout = QVBoxLayout(self)
        layout.addLayout(self.options_row)
        layout.addLayout(self.security_row)
        layout.addWidget(self.counters)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.status)

        set_tab_chain(
            self.host.combo,
            self.port.edit,
            self.timeout_spin,
            self.connect_button,
            self.disconnect_button,
            self.payload,
            self.send_button,
            self.send_file_button,
            self.save_script_button,
            *self.security.focus_chain(),
            *self.connection.focus_chain(),
        )
        self._show_counters()

    # -- actions -------------------------------------------------------------------------------

    def save_as_script(self, path: str | None = None) -> bool:
        """Record -> script: what the log shows, against the host and port in the fields."""
        problem = first_problem(self.host.check(), self.port.check())
        if problem:
            self.status.show_error(problem)
            return False
        extra: dict[str, str | bool] = {}
        try:
            tls = self.security.client_tls()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return False
        if tls is not None:
            if tls.fingerprint:
                extra["fingerprint"] = tls.fingerprint
            elif not tls.verify:
                extra["insecure"] = True
            if tls.cafile:
                extra["cafile"] = tls.cafile
        protocol = "tls" if tls is not None else "tcp"
        from gui.panels.scripts import save_log_as_script  # the script engine, when first used

        return save_log_as_script(
            self, self.log, protocol, self.host.host(), self.port.port(), extra=extra, path=path
        )

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        problem = first_problem(self.host.check(), self.port.check())
        if problem:
            self.status.show_error(problem)
            return
        try:
            tls = self.security.client_tls()
            options = self.connection.client_kwargs()
        except (AddressError, PayloadError) as exc:
            self.status.show_error(str(exc))
            return
        host, port = self.host.host(), self.port.port()
        timeout = self.timeout_spin.value()
        self.host.remember(self.host.text())
        self._target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        push = self.runner.push

        def open_client() -> TcpClient:
            return TcpClient(host, port, on_event=push, connect_timeout=timeout, tls=tls, **options)

        self.client = None
        self._connected = False
        self._heartbeats = 0
        self._reset_decoder()
        self.runner.start(open_client, lambda client: client.run())
        self._set_state("connecting")
        self.status.show_info(self.tr("Connecting to {peer}…").format(peer=self._target))

    def trigger_send(self) -> None:
        if not self._ready_to_send():
            return
        if self.payload.check():
            self.status.show_error(self.payload.error.message)
            return
        self._send(lambda: self.client.send(self.payload.payload()))

    def send_file(self, path: str) -> None:
        """Queue a file's bytes on the connection (what "Send file…" does after its dialog)."""
        if not self._ready_to_send():
            return
        if not Path(path).is_file():
            self.status.show_error(self.tr("{path} is not a readable file").format(path=path))
            return
        if self._send(lambda: self.client.send_file(path)):
            self.status.show_info(
                self.tr("Sending {name} ({size})…").format(
                    name=Path(path).name, size=format_bytes(Path(path).stat().st_size)
                )
            )

    def _choose_file(self) -> None:
        if not self._ready_to_send():
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Send a file"))
        if path:
            self.send_file(path)

    def _ready_to_send(self) -> bool:
        if self.client is None or not self._connected:
            self.status.show_error(self.tr("Not connected: connect to a server first"))
            return False
        return True

    def _send(self, action: Any) -> bool:
        try:
            action()
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        except OSError as exc:
            self.status.show_error(
                self.tr("Cannot send: {reason}").format(reason=exc.strerror or exc)
            )
            return False
        return True

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, client: Any) -> None:
        self.client = client
        if self._connected:  # "connected" may have been drained before this signal came
            self._set_state("connected")

    def _on_events(self, events: list[Any]) -> None:
        rows: list[LogEntry] = []
        for event in events:
            if isinstance(event, Received | ReceivedRun):
                rows.append(self._stream.row(event))
            elif isinstance(event, Sent):
                if event.heartbeat:
                    self._heartbeats += 1
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
                self._target = event.peer or self._target
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
        self._show_counters()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, self._target, error=True)

    def _on_finished(self) -> None:
        self._connected = False
        self._show_counters()
        self._set_state("idle")

    def _reset_decoder(self) -> None:
        # A new connection is a new stream; the log renders it in whatever encoding it shows.
        self._stream = StreamRows()

    def live_work(self) -> list[str]:
        if not self._connected:
            return []
        return [self.tr("1 TCP connection (to {peer})").format(peer=self._target)]

    # -- helpers -------------------------------------------------------------------------------

    def _show_counters(self) -> None:
        client = self.client
        received = int(getattr(client, "bytes_in", 0)) if client is not None else 0
        sent = int(getattr(client, "bytes_out", 0)) if client is not None else 0
        state = (
            self.tr("Connected to {peer}").format(peer=self._target)
            if self._connected
            else self.tr("Not connected")
        )
        text = self.tr("{state} · received {received} · sent {sent}").format(
            state=state, received=format_bytes(received), sent=format_bytes(sent)
        )
        if self._heartbeats:
            text = self.tr("{counters} · {count} heartbeats").format(
                counters=text, count=QLocale().toString(self._heartbeats)
            )
        self.counters.setText(text)

    def _set_state(self, state: str) -> None:
        idle = state == "idle"
        self.connect_button.setEnabled(idle)
        self.disconnect_button.setEnabled(not idle)
        self.send_button.setEnabled(state == "connected")
        self.send_file_button.setEnabled(state == "connected")
        for widget in (self.host, self.port, self.timeout_spin):
            widget.setEnabled(idle)
        self.security.set_enabled_inputs(idle)
        self.connection.set_enabled_inputs(idle)
        if state == "connected":
            self.set_activity(self.tr("TCP connected to {peer}").format(peer=self._target))
        elif state == "connecting":
            self.set_activity(self.tr("TCP connecting to {peer}").format(peer=self._target))
        else:
            self.set_activity("")
