"""TCP Client: several connections at once, one tab each, and N clients at once for load tests.

Each tab is a :class:`ClientConnection`: its own server, security options, send box, counters,
log and worker, so two servers (or two sessions with one) are talked to side by side. "Connect
N clients" opens a :class:`LoadTest` tab: N connections to the current tab's target, counted
(connected, failed, closed), with one send box for all of them.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, SettingsArea, first_problem
from gui.panels.udp_send import rtt_text
from gui.runner import ReceivedRun, Runner
from gui.widgets import (
    HostField,
    LogEntry,
    PayloadEditor,
    PortField,
    TrafficLog,
    format_bytes,
    format_count,
)
from gui.widgets.security import ClientSecurityBox, ConnectionOptionsBox
from gui.widgets.send_tools import save_script_button
from gui.widgets.traffic_log import StreamRows
from net._loop import DESCRIPTOR_RESERVE, raise_file_limit
from net.errors import AddressError, ConnectError, NetError, PayloadError
from net.events import Connected, Disconnected, FileSent, Received, Reconnecting, Sent
from net.rtt import RoundTrips
from net.tcp import TcpClient

__all__ = ["ClientConnection", "ClientGroup", "LoadTest", "TcpClientPanel"]

#: Most clients one "Connect N clients" opens: each is a thread and four descriptors (its socket,
#: its selector and the two ends of its wake-up pair).
MAX_LOAD_CLIENTS = 1000
_DESCRIPTORS_PER_CLIENT = 4
# Connection ids of a load test's clients: client k's connection c is k * _ID_SPAN + c, so the
# hand-over buffer, which merges received chunks by connection id, never mixes two clients.
_ID_SPAN = 1 << 20


class ClientConnection(QWidget):
    """One tab of the TCP Client: one connection, with everything a connection has.

    A fast stream reaches the tab as one merged run per batch (see :mod:`gui.runner`), of which
    the log keeps and decodes only the end: the counters come from the client itself.

    Signals:
        state_changed(): connected, disconnected or retargeted (the panel updates the tab title
            and its activity line).
    """

    state_changed = Signal()

    def __init__(self, panel: TcpClientPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.status = panel.status
        self.runner = Runner(self, name="TCP client")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.client: Any = None
        self._target = ""
        self._connected = False
        self._state = "idle"
        self._heartbeats = 0
        self._stream = StreamRows()
        self._rtt = RoundTrips()
        self._last_rtt: float | None = None
        self._built: list[TcpClient] = []
        # Send tools the Packets view attaches to each tab (gui.panels.packets).
        self.repeat_send: Any = None
        self.payload_history: Any = None
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

        self.connect_button = QPushButton(self.tr("&Connect"), self)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setDefault(True)
        self.connect_button.setToolTip(self.tr("Connect to the server (Ctrl+R)"))
        self.connect_button.clicked.connect(self.trigger_start)
        self.disconnect_button = QPushButton(self.tr("&Disconnect"), self)
        self.disconnect_button.setObjectName("disconnectButton")
        self.disconnect_button.setToolTip(self.tr("Close the connection (Ctrl+.)"))
        self.disconnect_button.clicked.connect(self.trigger_stop)

        server = QGroupBox(self.tr("Server"), self)
        form = QFormLayout(server)
        form.addRow(self.tr("H&ost:"), self.host)
        form.addRow(self.tr("&Port:"), self.port)
        form.addRow(self.tr("T&imeout:"), self.timeout_spin)
        for field, buddy in (
            (self.host, self.host.combo),
            (self.port, self.port.edit),
            (self.timeout_spin, self.timeout_spin),
        ):
            label = form.labelForField(field)
            if isinstance(label, QLabel):
                label.setBuddy(buddy)
        connect_row = QHBoxLayout()
        connect_row.addWidget(self.connect_button)
        connect_row.addWidget(self.disconnect_button)
        connect_row.addStretch(1)
        form.addRow("", connect_row)

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
        self.send_button = QPushButton(self.tr("&Send"), self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip(self.tr("Send the payload (Ctrl+Return)"))
        self.send_button.clicked.connect(self.trigger_send)
        self.send_file_button = QPushButton(self.tr("Send fi&le…"), self)
        self.send_file_button.setObjectName("sendFileButton")
        self.send_file_button.setToolTip(self.tr("Send the contents of a file, as is"))
        self.send_file_button.clicked.connect(self._choose_file)
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

        # The settings scroll in a short window: at 800x600 the fields and buttons were squashed
        # to a third of their height.
        settings = QWidget(self)
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addLayout(self.options_row)
        settings_layout.addLayout(self.security_row)
        self.settings_area = SettingsArea(self, settings, "clientSettings")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.settings_area, 2)
        layout.addWidget(self.counters)
        layout.addWidget(self.log, 1)
        self._show_counters()

    def tab_order(self) -> list[QWidget]:
        """This tab's inputs in the order Tab visits them."""
        return [
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
        ]

    def copy_target(self, other: ClientConnection) -> None:
        """Start from ``other``'s server, timeout and recent hosts (a new tab to the same place)."""
        self.host.set_recent(other.host.recent())
        self.host.set_text(other.host.text())
        self.port.set_text(other.port.text())
        self.timeout_spin.setValue(other.timeout_spin.value())

    # -- what the tab shows about itself -------------------------------------------------------

    def title(self) -> str:
        """The tab's title: its target once it has one."""
        return self._target or self.tr("New connection")

    @property
    def state(self) -> str:
        """ "idle", "connecting" or "connected"."""
        return self._state

    @property
    def target(self) -> str:
        return self._target

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
        problem = first_problem(self.host.check(), self.port.check())
        if problem:
            self.status.show_error(problem)
            return None
        try:
            tls = self.security.client_tls()
            options = self.connection.client_kwargs()
        except (AddressError, PayloadError) as exc:
            self.status.show_error(str(exc))
            return None
        return {
            "host": self.host.host(),
            "port": self.port.port(),
            "tls": tls,
            "connect_timeout": self.timeout_spin.value(),
            **options,
        }

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        settings = self.client_settings()
        if settings is None:
            return
        host, port = settings["host"], settings["port"]
        self.host.remember(self.host.text())
        self._target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        push = self.runner.push
        built: list[TcpClient] = []
        self._built = built

        def open_client() -> TcpClient:
            client = TcpClient(on_event=push, **settings)
            built.append(client)
            return client

        self.client = None
        self._connected = False
        self._heartbeats = 0
        self._rtt.reset()
        self._last_rtt = None
        self._reset_decoder()
        self.runner.start(open_client, lambda client: client.run())
        self._set_state("connecting")
        self.status.show_info(self.tr("Connecting to {peer}…").format(peer=self._target))

    def trigger_stop(self) -> None:
        self.runner.stop()

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
        replied: float | None = None
        for event in events:
            if isinstance(event, Received | ReceivedRun):
                row = self._stream.row(event)
                rtt = self._rtt.replied(event.time)
                if rtt is not None:
                    replied = self._last_rtt = rtt
                    row = dataclasses.replace(row, rtt_ms=rtt)  # the log shows it in the row
                rows.append(row)
            elif isinstance(event, Sent):
                if event.heartbeat:
                    self._heartbeats += 1
                else:
                    self._rtt.sent(event.time)  # a heartbeat's answer is no reply to a send
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
                self._target = event.peer or self._target
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
                    peer=self._target, ms=f"{replied:.3f}"
                )
            )
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

    @property
    def connected(self) -> bool:
        return self._connected

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
        self.counters.setText(text + rtt_text(self._rtt, self._last_rtt))

    def _set_state(self, state: str) -> None:
        self._state = state
        idle = state == "idle"
        self.connect_button.setEnabled(idle)
        self.disconnect_button.setEnabled(not idle)
        self.send_button.setEnabled(state == "connected")
        self.send_file_button.setEnabled(state == "connected")
        for widget in (self.host, self.port, self.timeout_spin):
            widget.setEnabled(idle)
        self.security.set_enabled_inputs(idle)
        self.connection.set_enabled_inputs(idle)
        self.state_changed.emit()


class _ClientFailed:
    """A load test client whose run ended with an error (it never connected, or broke)."""

    __slots__ = ("index", "message", "time")

    def __init__(self, index: int, message: str, time: float) -> None:
        self.index, self.message, self.time = index, message, time


class ClientGroup:
    """N :class:`~net.tcp.TcpClient` connections to one target, each on its own thread, run
    and stopped together (the runner's net object for a load test).

    Events reach ``on_event`` with the connection id of client k as ``k * 2**20 + id`` and
    ``peer`` "#k" (k from 1), so that each client's stream stays its own.
    """

    def __init__(
        self, count: int, settings: dict[str, Any], on_event: Callable[[Any], None]
    ) -> None:
        """Build the clients (no network yet: :meth:`run` connects them).

        Raises:
            AddressError: the settings are not usable (as TcpClient).
        """
        self._on_event = on_event
        self.clients = [
            TcpClient(on_event=self._relay(index), **settings) for index in range(count)
        ]

    def _relay(self, index: int) -> Callable[[Any], None]:
        on_event, base, peer = self._on_event, (index + 1) * _ID_SPAN, f"#{index + 1}"

        def relay(event: Any) -> None:
            conn_id = getattr(event, "conn_id", None)
            if conn_id is not None:
                event = event.replace(conn_id=base + conn_id, peer=peer)
            on_event(event)

        return relay

    def run(self) -> None:
        """Run every client until each has ended (refused, closed, or :meth:`shutdown`)."""

        def run_one(index: int, client: TcpClient) -> None:
            try:
                client.run()
            except NetError as exc:
                self._on_event(_ClientFailed(index, str(exc), time.time()))

        threads = [
            threading.Thread(target=run_one, args=(index, client), name=f"load client {index}")
            for index, client in enumerate(self.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def send_all(self, data: bytes) -> tuple[int, int]:
        """Queue ``data`` on every connected client; thread-safe.

        Returns:
            (clients it was queued on, clients whose queue refused it).
        """
        sent = refused = 0
        for client in self.clients:
            if not client.connected:
                continue
            try:
                client.send(data)
                sent += 1
            except ConnectError:
                refused += 1
        return sent, refused

    @property
    def bytes_in(self) -> int:
        return sum(client.bytes_in for client in self.clients)

    @property
    def bytes_out(self) -> int:
        return sum(client.bytes_out for client in self.clients)

    def shutdown(self) -> None:
        for client in self.clients:
            client.shutdown()

    def close(self) -> None:
        for client in self.clients:
            client.close()


class LoadTest(QWidget):
    """A tab of N connections to one target: how many connected, failed and closed, the bytes,
    one send box for all of them, and a log whose peer column says which client ("#3")."""

    state_changed = Signal()

    def __init__(self, panel: TcpClientPanel, target: str, count: int) -> None:
        super().__init__(panel)
        self.panel = panel
        self.status = panel.status
        self.target = target
        self.count = count
        self.group: Any = None
        self.runner = Runner(self, name="TCP load test")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.ever_connected: set[int] = set()
        self.connected_now: set[int] = set()
        self.failed: set[int] = set()
        self.closed = 0
        self._streams: dict[int, StreamRows] = {}
        self._built: list[ClientGroup] = []
        self._settled = False

        self.summary = QLabel(self)
        self.summary.setObjectName("loadSummaryLabel")
        self.summary.setWordWrap(True)
        self.payload = PayloadEditor(self, name="loadPayloadEdit")
        self.send_all_button = QPushButton(self.tr("&Send to all"), self)
        self.send_all_button.setObjectName("sendAllButton")
        self.send_all_button.setToolTip(self.tr("Send the payload on every connected client"))
        self.send_all_button.clicked.connect(self.trigger_send)
        self.disconnect_button = QPushButton(self.tr("&Disconnect all"), self)
        self.disconnect_button.setObjectName("disconnectAllButton")
        self.disconnect_button.setToolTip(self.tr("Close every connection of this test"))
        self.disconnect_button.clicked.connect(self.trigger_stop)
        send_box = QGroupBox(self.tr("Pa&yload"), self)
        self.payload.take_mnemonic(send_box)
        send_layout = QVBoxLayout(send_box)
        send_layout.addWidget(self.payload)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_all_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        send_layout.addLayout(buttons)
        self.log = TrafficLog(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(send_box)
        layout.addWidget(self.log, 1)
        self._show_summary()

    def tab_order(self) -> list[QWidget]:
        return [self.payload, self.send_all_button, self.disconnect_button]

    def title(self) -> str:
        return self.tr("{count} × {target}").format(
            count=format_count(self.count), target=self.target
        )

    @property
    def state(self) -> str:
        if not self.runner.running:
            return "idle"
        return "connected" if self.connected_now else "connecting"

    def start(self, settings: dict[str, Any]) -> None:
        count, push, built = self.count, self.runner.push, self._built

        def open_group() -> ClientGroup:
            group = ClientGroup(count, settings, push)
            built.append(group)
            return group

        self.runner.start(open_group, lambda group: group.run())
        self.status.show_info(
            self.tr("Connecting {count} clients to {peer}…").format(
                count=format_count(count), peer=self.target
            )
        )
        self._show_summary()

    def trigger_start(self) -> None:
        """Ctrl+R on a load test: nothing; its clients start with the tab."""

    def trigger_stop(self) -> None:
        self.runner.stop()

    def trigger_send(self) -> None:
        group = self.group
        if group is None or not self.connected_now:
            self.status.show_error(self.tr("No client is connected"))
            return
        if self.payload.check():
            self.status.show_error(self.payload.error.message)
            return
        sent, refused = group.send_all(self.payload.payload())
        message = self.tr("Sent to {count} clients", "", sent).format(count=format_count(sent))
        if refused:
            message = self.tr("{message}; {count} did not take it (their queue is full)").format(
                message=message, count=format_count(refused)
            )
            self.status.show_warning(message)
        else:
            self.status.show_info(message)

    @property
    def connected(self) -> bool:
        return bool(self.connected_now)

    def _on_opened(self, group: Any) -> None:
        self.group = group

    def _on_events(self, events: list[Any]) -> None:
        if self.group is None and self._built:
            self.group = self._built[-1]  # the batch may come before the opened signal
        rows: list[LogEntry] = []
        for event in events:
            if isinstance(event, _ClientFailed):
                self.failed.add(event.index)
                peer = f"#{event.index + 1}"
                rows.append(LogEntry(event.time, "error", peer, b"", event.message))
                continue
            client = getattr(event, "conn_id", 0) // _ID_SPAN - 1
            if isinstance(event, Received | ReceivedRun):
                stream = self._streams.setdefault(client, StreamRows())
                rows.append(stream.row(event))
            elif isinstance(event, Sent):
                rows.append(LogEntry(event.time, "out", event.peer, event.data))
            elif isinstance(event, Connected):
                self.ever_connected.add(client)
                self.connected_now.add(client)
                self.log.set_local(event.local, event.peer)
                message = self.tr("Connected")
                rows.append(LogEntry(event.time, "info", event.peer, b"", message))
            elif isinstance(event, Disconnected):
                self.connected_now.discard(client)
                self.closed += 1
                ended = self._streams.pop(client) if client in self._streams else None
                if ended is not None:
                    rows.append(ended.finish(event.time, event.peer))
                rows.append(
                    LogEntry(
                        event.time,
                        "error" if event.error else "info",
                        event.peer,
                        b"",
                        self.tr("Disconnected: {reason}").format(reason=event.reason),
                    )
                )
        self.log.append(rows)
        self._show_summary()
        if not self._settled and len(self.ever_connected | self.failed) >= self.count:
            # Every client has connected or failed: the "Connecting…" line is over.
            self._settled = True
            if self.failed:
                self.status.show_warning(self.summary.text())
            else:
                self.status.show_info(self.summary.text())
        self.state_changed.emit()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, self.target, error=True)

    def _on_finished(self) -> None:
        self.connected_now.clear()
        self._show_summary()
        self.status.show_info(self.summary.text())
        self.send_all_button.setEnabled(False)
        self.disconnect_button.setEnabled(False)
        self.state_changed.emit()

    def _show_summary(self) -> None:
        group = self.group
        received = group.bytes_in if group is not None else 0
        sent = group.bytes_out if group is not None else 0
        self.summary.setText(
            self.tr(
                "{count} clients to {peer}: {connected} connected, {now} still up, "
                "{failed} failed, {closed} closed · received {received} · sent {sent}"
            ).format(
                count=format_count(self.count),
                peer=self.target,
                connected=format_count(len(self.ever_connected)),
                now=format_count(len(self.connected_now)),
                failed=format_count(len(self.failed)),
                closed=format_count(self.closed),
                received=format_bytes(received),
                sent=format_bytes(sent),
            )
        )


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

        self.new_button = QPushButton(self.tr("&New connection"), self)
        self.new_button.setObjectName("newConnectionButton")
        self.new_button.setToolTip(
            self.tr("Open another connection in a tab of its own (to the same server at first)")
        )
        self.new_button.clicked.connect(lambda: self.add_connection())
        self.load_count = QSpinBox(self)
        self.load_count.setObjectName("loadClientCountSpin")
        self.load_count.setRange(1, MAX_LOAD_CLIENTS)
        self.load_count.setValue(10)
        self.load_count.setAccessibleName(self.tr("Number of clients"))
        self.load_count.setToolTip(self.tr("How many connections a load test opens"))
        self.load_button = QPushButton(self.tr("Connect &many"), self)
        self.load_button.setObjectName("loadTestButton")
        self.load_button.setToolTip(
            self.tr(
                "Load test: open this many connections to the current tab's server, with its "
                "security and connection options, and count how many connect"
            )
        )
        self.load_button.clicked.connect(lambda: self.start_load_test())
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
        if limit is not None and count * _DESCRIPTORS_PER_CLIENT + DESCRIPTOR_RESERVE > limit:
            self.status.show_error(
                self.tr(
                    "This system lets the app open {limit} files and sockets: at most {count} "
                    "clients at once"
                ).format(
                    limit=format_count(limit),
                    count=format_count((limit - DESCRIPTOR_RESERVE) // _DESCRIPTORS_PER_CLIENT),
                )
            )
            return None
        host, port = settings["host"], settings["port"]
        source.host.remember(source.host.text())
        page = LoadTest(self, f"[{host}]:{port}" if ":" in host else f"{host}:{port}", count)
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
