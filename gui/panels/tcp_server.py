"""TCP Server: listen, list the clients, send to one or all, disconnect one, reply automatically."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, SettingsArea, first_problem, set_tab_chain
from gui.runner import ReceivedRun
from gui.widgets import (
    BindAddressPicker,
    LogEntry,
    PayloadEditor,
    PortField,
    TrafficLog,
    format_bytes,
    format_count,
)
from gui.widgets.connection_table import selected_ids, set_rows
from gui.widgets.forms import add_rows, button_row, push_button, start_stop_buttons
from gui.widgets.rules_table import RulesTable
from gui.widgets.security import ServerSecurityBox
from gui.widgets.traffic_log import CELL_BYTES, StreamRows
from net._loop import raise_file_limit
from net.errors import AddressError, NetError
from net.events import Connected, Disconnected, FileSent, Received, Sent
from net.rules import Responder
from net.tcp import TcpServer
from net.tls import server_context

__all__ = ["TcpServerPanel"]

# Received bytes decoded per batch (what the cells show); beyond it rows are rendered when shown.
_DECODE_BUDGET = 32 * 1024
#: Clients served at once unless the user says otherwise (design.md, "Limits").
DEFAULT_MAX_CLIENTS = 256
_MOST_CLIENTS = 100_000
_LONGEST_IDLE = 86_400  # seconds


class TcpServerPanel(Panel):
    """A TCP server with a live client table; replies none / echo / fixed, switchable live."""

    PEER, SINCE, IN, OUT = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tcpServerPanel")
        self.runner = self.make_runner("TCP server")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.server: Any = None
        self._responder: Responder | None = None  # the rules answering, while running
        self._fingerprint = ""
        self._opened_tls: dict[str, str] = {}
        self._address = ""
        self._totals = (0, 0, 0)  # connections, bytes in, bytes out of the last run
        self._refused = (0, 0)  # clients refused, and the cap in force, in the last run
        self._refusals_told = 0  # refusals the status line has reported
        self._decoders: dict[int, StreamRows] = {}  # per connection: its stream's rows
        self._build()
        self._refresh = QTimer(self)
        self._refresh.setInterval(500)
        self._refresh.timeout.connect(self._refresh_clients)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.bind = BindAddressPicker(self)
        self.port = PortField(self, allow_zero=True)
        self.start_button, self.stop_button = start_stop_buttons(
            self,
            (self.tr("&Start"), self.tr("Start listening (Ctrl+R)")),
            (self.tr("St&op"), self.tr("Stop the server and close every connection (Ctrl+.)")),
        )

        self.max_clients = QSpinBox(self)
        self.max_clients.setObjectName("maxClientsSpin")
        self.max_clients.setRange(1, _MOST_CLIENTS)
        self.max_clients.setValue(DEFAULT_MAX_CLIENTS)
        self.max_clients.setAccessibleName(self.tr("Maximum clients at once"))
        self.max_clients.setToolTip(
            self.tr(
                "Clients served at once; more are refused. Lowered when the system cannot hold "
                "that many (the status line then says why)"
            )
        )
        self.idle_timeout = QSpinBox(self)
        self.idle_timeout.setObjectName("idleTimeoutSpin")
        self.idle_timeout.setRange(0, _LONGEST_IDLE)
        self.idle_timeout.setSuffix(self.tr(" s"))
        self.idle_timeout.setSpecialValueText(self.tr("Never"))
        self.idle_timeout.setAccessibleName(self.tr("Idle timeout"))
        self.idle_timeout.setToolTip(
            self.tr("Close a client after this many seconds with nothing sent or received")
        )
        self.keepalive = QCheckBox(self.tr("&Keepalive probes"), self)
        self.keepalive.setObjectName("keepaliveCheck")
        self.keepalive.setChecked(True)
        self.keepalive.setToolTip(
            self.tr(
                "Probe quiet clients (TCP keepalive), so a client whose computer vanished is "
                "disconnected within about 2 minutes instead of holding its slot forever"
            )
        )

        listen = QGroupBox(self.tr("Listen"), self)
        form = QFormLayout(listen)
        add_rows(
            form,
            (self.tr("Add&ress:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Max clients:"), self.max_clients),
            (self.tr("&Idle timeout:"), self.idle_timeout),
            ("", self.keepalive),
        )
        form.addRow("", button_row(self.start_button, self.stop_button))

        self.reply_mode = QComboBox(self)
        self.reply_mode.setObjectName("replyModeCombo")
        self.reply_mode.addItem(self.tr("No automatic reply"), "none")
        self.reply_mode.addItem(self.tr("Echo what each client sends"), "echo")
        self.reply_mode.addItem(self.tr("Reply with a fixed text"), "fixed")
        self.reply_mode.setToolTip(
            self.tr("What the server sends back on its own; changes apply at once")
        )
        self.reply_mode.setAccessibleName(self.tr("Reply mode"))
        self.fixed_reply = PayloadEditor(
            self, compact=True, name="fixedReplyEdit", label=self.tr("Fixed reply")
        )
        self.reply_mode.currentIndexChanged.connect(self._on_reply_changed)
        self.fixed_reply.changed.connect(self._on_reply_changed)
        reply_box = QGroupBox(self.tr("Automatic reply"), self)
        reply_layout = QVBoxLayout(reply_box)
        reply_layout.addWidget(self.reply_mode)
        reply_layout.addWidget(self.fixed_reply)
        # Rules answer first; the reply mode above answers what no rule matches.
        self.rules = RulesTable(self, framing=True)
        self.rules.changed.connect(self._on_reply_changed)
        reply_layout.addWidget(self.rules, 1)

        self.security = ServerSecurityBox(self)
        self.options_row = QGridLayout()
        self.options_row.addWidget(listen, 0, 0)
        self.options_row.addWidget(reply_box, 0, 1)
        self.options_row.setColumnStretch(0, 1)
        self.options_row.setColumnStretch(1, 1)

        self.clients = QTableWidget(0, 4, self)
        self.clients.setObjectName("clientTable")
        self.clients.setHorizontalHeaderLabels(
            [self.tr("Client"), self.tr("Connected"), self.tr("In"), self.tr("Out")]
        )
        self.clients.setAccessibleName(self.tr("Connected clients"))
        self.clients.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.clients.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.clients.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.clients.verticalHeader().setVisible(False)
        header = self.clients.horizontalHeader()
        header.setSectionResizeMode(self.PEER, QHeaderView.ResizeMode.Stretch)
        metrics = self.clients.fontMetrics()
        header.setMinimumSectionSize(metrics.horizontalAdvance("0000") + 8)
        titles = header.fontMetrics()
        for column, sample in (
            (self.SINCE, "00:00:00"),
            (self.IN, "999.9 KiB"),
            (self.OUT, "999.9 KiB"),
        ):
            heading = self.clients.horizontalHeaderItem(column)
            title = heading.text() if heading is not None else ""
            width = max(metrics.horizontalAdvance(sample), titles.horizontalAdvance(title) + 8)
            header.resizeSection(column, width + 16)
        self.clients.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        self.clients.setMinimumHeight(60)
        self.clients.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.clients.setMaximumHeight(metrics.height() * 10)
        self.clients.itemSelectionChanged.connect(self._update_buttons)
        self.disconnect_button = push_button(
            self,
            self.tr("&Disconnect selected"),
            "disconnectClientButton",
            self.disconnect_selected,
            tip=self.tr("Close the connection of the selected clients"),
        )
        clients_box = QGroupBox(self.tr("Clients"), self)
        clients_layout = QVBoxLayout(clients_box)
        clients_layout.addWidget(self.clients, 1)
        clients_layout.addLayout(button_row(self.disconnect_button))

        self.payload = PayloadEditor(self)
        self.send_button = push_button(
            self,
            self.tr("Send to s&elected"),
            "sendButton",
            self.send_to_selected,
            tip=self.tr("Send the payload to the selected clients (Ctrl+Return)"),
        )
        self.send_all_button = push_button(
            self,
            self.tr("Send to a&ll"),
            "sendAllButton",
            self.send_to_all,
            tip=self.tr("Send the payload to every connected client"),
        )
        send_box = QGroupBox(self.tr("Pa&yload"), self)
        self.payload.take_mnemonic(send_box)
        send_layout = QVBoxLayout(send_box)
        send_layout.addWidget(self.payload, 1)
        send_layout.addLayout(button_row(self.send_button, self.send_all_button))
        # Security sits above Clients, beside the taller Payload box: in a row of its own it
        # made the panel taller than a 1024x768 screen holds, and under Listen it made the first
        # row the tallest.
        left = QVBoxLayout()
        left.addWidget(self.security)
        left.addWidget(clients_box, 1)
        self.options_row.addLayout(left, 1, 0)
        self.options_row.addWidget(send_box, 1, 1)

        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.log = TrafficLog(self)

        # The settings scroll in a short window: at 800x600 the buttons were squashed and
        # Disconnect selected covered the Clients table.
        settings = QWidget(self)
        settings.setLayout(self.options_row)
        self.options_row.setContentsMargins(0, 0, 0, 0)
        self.settings_area = SettingsArea(self, settings, "serverSettings")

        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 2)
        layout.addWidget(self.counters)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.status)

        set_tab_chain(
            self.bind.combo,
            self.port.edit,
            self.max_clients,
            self.idle_timeout,
            self.keepalive,
            self.start_button,
            self.stop_button,
            self.reply_mode,
            self.fixed_reply.edit,
            self.fixed_reply.mode_combo,
            self.fixed_reply.encoding_combo,
            self.fixed_reply.ending_combo,
            self.rules,
            *self.security.focus_chain(),
            self.clients,
            self.disconnect_button,
            self.payload,
            self.send_button,
            self.send_all_button,
        )
        self._on_reply_changed()
        self._show_counters()

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        mode = str(self.reply_mode.currentData())
        reply_problem = self.fixed_reply.check() if mode == "fixed" else None
        problem = first_problem(self.bind.check(), self.port.check(), reply_problem)
        if problem:
            self.status.show_error(problem)
            return
        try:
            plan = self.security.plan()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        host, port = self.bind.address(), self.port.port()
        fixed = self.fixed_reply.payload() if mode == "fixed" else b""
        max_clients = self.max_clients.value()
        idle = self.idle_timeout.value() or None
        keepalive = self.keepalive.isChecked()
        try:
            responder = self.rules.responder(mode, fixed, self.log.model.encoding)
        except NetError as exc:
            self.status.show_error(str(exc))
            return
        self._responder = responder
        self._totals = (0, 0, 0)
        self._refused = (0, 0)
        self._refusals_told = 0
        push = self.runner.push
        self._fingerprint = ""
        opened: dict[str, str] = {}
        self._opened_tls = opened

        def open_server() -> TcpServer:
            # Generating the self-signed certificate (first use) takes a moment: not on the GUI.
            raise_file_limit()  # as `swb serve` does, so the clients asked for can be held
            context = None
            if plan is not None:
                cert = plan.certificate()
                context = server_context(cert)
                opened["fingerprint"] = cert.fingerprint
            return TcpServer(
                host,
                port,
                on_event=push,
                reply_mode=mode,
                fixed_reply=fixed,
                ssl_context=context,
                max_clients=max_clients,
                keepalive=keepalive,
                idle_timeout=idle,
                responder=responder,
            )

        self.server = None
        self._decoders.clear()
        self.clients.setRowCount(0)
        self.runner.start(open_server, lambda server: server.serve_forever())
        self._set_running(True)
        self.status.show_info(self.tr("Opening port {port}…").format(port=port))

    def trigger_send(self) -> None:
        self.send_to_selected()

    def selected_ids(self) -> list[int]:
        return selected_ids(self.clients, self.PEER)

    def send_to_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status.show_error(self.tr("Select one or more clients in the list first"))
            return
        data = self._payload()
        if data is None:
            return
        for conn_id in ids:
            if not self._call(lambda conn_id=conn_id: self.server.send(conn_id, data)):
                return
        self.status.show_info(
            self.tr("Sent {size} to {clients}").format(
                size=format_bytes(len(data)), clients=self._clients_text(len(ids))
            )
        )

    def send_to_all(self) -> None:
        data = self._payload()
        if data is None:
            return
        result: list[int] = []
        if not self._call(lambda: result.append(int(self.server.send_all(data)))):
            return
        count = result[0] if result else 0
        if count == 0:
            self.status.show_warning(self.tr("No client is connected, so nothing was sent"))
        else:
            self.status.show_info(
                self.tr("Sent {size} to {clients}").format(
                    size=format_bytes(len(data)), clients=self._clients_text(count)
                )
            )

    def disconnect_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status.show_error(self.tr("Select one or more clients in the list first"))
            return
        for conn_id in ids:
            self._call(lambda conn_id=conn_id: self.server.disconnect(conn_id))

    def _payload(self) -> bytes | None:
        if self.server is None or not self.runner.running:
            self.status.show_error(self.tr("The server is not running: start it first"))
            return None
        message = self.payload.check()
        if message:
            self.status.show_error(message)
            return None
        return self.payload.payload()

    def _call(self, action: Any) -> bool:
        try:
            action()
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        return True

    def _on_reply_changed(self) -> None:
        mode = str(self.reply_mode.currentData())
        # Shown only when it is used: the rules table below needs the height at 800x600.
        self.fixed_reply.setVisible(mode == "fixed")
        if self.server is None or not self.runner.running:
            return
        if mode == "fixed":
            try:
                data = self.fixed_reply.payload()
            except NetError:
                return  # the editor shows what is wrong; keep the previous reply meanwhile
        else:
            data = b""
        self.server.set_reply(mode, data)
        # A bad rule: the table says which; the previous rules answer meanwhile.
        with contextlib.suppress(NetError):
            # The running responder is kept when it can be: its rules' {{counter}} go on.
            self._responder = self.rules.responder(
                mode, data, self.log.model.encoding, current=self._responder
            )
            self.server.set_responder(self._responder)

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, server: Any) -> None:
        self.server = server
        self._address = str(server.address)
        self.log.set_local(self._address)
        self._fingerprint = self._opened_tls.get("fingerprint", "")
        self.security.set_running(True, self._fingerprint)
        if self._fingerprint:
            self.status.show_info(
                self.tr("Listening on {address} with TLS; certificate {fingerprint}").format(
                    address=self._address, fingerprint=self._fingerprint
                )
            )
        else:
            self.status.show_info(self.tr("Listening on {address}").format(address=self._address))
        if server.limit_reason:
            self.status.show_warning(
                self.tr("Serving at most {cap} clients at once, not {asked}: {reason}").format(
                    cap=format_count(server.max_clients),
                    asked=format_count(server.requested_max_clients),
                    reason=server.limit_reason,
                )
            )
        self._on_reply_changed()  # the mode may have changed while it was opening
        self._refresh.start()
        self._show_counters()

    def _on_events(self, events: list[Any]) -> None:
        rows: list[LogEntry] = []
        membership_changed = False
        decoded = 0
        for event in events:
            if isinstance(event, Received | ReceivedRun):
                stream = self._decoders.get(event.conn_id)
                if stream is None:
                    stream = self._decoders[event.conn_id] = StreamRows(self.log.model.encoding)
                # Past a budget per batch (many clients at once), rows are decoded when shown.
                rows.append(stream.row(event, decode=decoded < _DECODE_BUDGET))
                decoded += min(len(event.data), CELL_BYTES)
            elif isinstance(event, Sent):
                rows.append(LogEntry(event.time, "out", event.peer, event.data))
            elif isinstance(event, FileSent):
                note = self.tr("Sent the file {path} ({size})").format(
                    path=event.path, size=format_bytes(event.size)
                )
                rows.append(LogEntry(event.time, "info", event.peer, b"", note))
            elif isinstance(event, Connected):
                membership_changed = True
                self.log.set_local(event.local, event.peer)
                note = self.tr("Client connected")
                rows.append(LogEntry(event.time, "info", event.peer, b"", note))
            elif isinstance(event, Disconnected):
                membership_changed = True
                stream = self._decoders.pop(event.conn_id, None)
                if stream is not None:
                    rows.append(stream.finish(event.time, event.peer))
                note = self.tr("Client disconnected: {reason}").format(reason=event.reason)
                kind = "error" if event.error else "info"
                rows.append(LogEntry(event.time, kind, event.peer, b"", note))
        self.log.append(rows)
        if membership_changed:
            self._refresh_clients()
        self._show_counters()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, error=True)

    def _on_finished(self) -> None:
        self._refresh.stop()
        self._keep_totals()
        self.clients.setRowCount(0)
        if self.status.kind != "error" and self.server is not None:
            self.status.show_info(
                self.tr("Stopped listening on {address}").format(address=self._address)
            )
        self.server = None
        self._set_running(False)
        self._show_counters()

    def live_work(self) -> list[str]:
        count = len(list(self.server.clients())) if self.server is not None else 0
        if not count:
            return []
        return [
            self.tr("{count} clients connected to the TCP server", "", count).format(count=count)
        ]

    def _refresh_clients(self) -> None:
        server = self.server
        infos = list(server.clients()) if server is not None else []
        rows = [
            (
                info.conn_id,
                [
                    info.peer,
                    time.strftime("%H:%M:%S", time.localtime(info.since)),
                    format_bytes(info.bytes_in),
                    format_bytes(info.bytes_out),
                ],
            )
            for info in infos
        ]
        set_rows(self.clients, rows, self.PEER, right_aligned=(self.IN, self.OUT))
        self._update_buttons()
        self._show_counters(len(infos))

    # -- helpers -------------------------------------------------------------------------------

    def _clients_text(self, count: int) -> str:
        return self.tr("{count} clients", "", count).format(count=format_count(count))

    def _keep_totals(self) -> None:
        server = self.server
        if server is not None:
            self._totals = (server.total_clients, server.bytes_in, server.bytes_out)
            self._refused = (server.refused, server.max_clients)

    def _show_counters(self, clients: int | None = None) -> None:
        if clients is None:
            clients = self.clients.rowCount()
        self._keep_totals()
        connections, bytes_in, bytes_out = self._totals
        text = self.tr("{clients} connected · {total} in all · received {received} · sent {sent}")
        text = text.format(
            clients=self._clients_text(clients),
            total=format_count(connections),
            received=format_bytes(bytes_in),
            sent=format_bytes(bytes_out),
        )
        refused, cap = self._refused
        if refused:
            text += self.tr(" · {refused} refused: limit {cap}").format(
                refused=format_count(refused), cap=format_count(cap)
            )
            if refused > self._refusals_told and self.runner.running:
                self._refusals_told = refused
                self.status.show_warning(
                    self.tr(
                        "{refused} refused: {cap} clients are connected, the most this server "
                        "takes at once (Max clients)"
                    ).format(refused=format_count(refused), cap=format_count(cap))
                )
        if self.runner.running and self.server is not None:
            text += self.tr(" · listening on {address}").format(address=self._address)
        self.counters.setText(text)
        if self.runner.running and self.server is not None:
            self.set_activity(
                self.tr("TCP server {address}: {clients}").format(
                    address=self._address, clients=self._clients_text(clients)
                )
            )

    def _update_buttons(self) -> None:
        running = self.runner.running
        has_clients = self.clients.rowCount() > 0
        selected = bool(self.clients.selectionModel().selectedRows())
        self.send_button.setEnabled(running and selected)
        self.disconnect_button.setEnabled(running and selected)
        self.send_all_button.setEnabled(running and has_clients)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for field in (self.bind, self.port, self.max_clients, self.idle_timeout, self.keepalive):
            field.setEnabled(not running)
        self.security.set_running(running, self._fingerprint if running else "")
        self._update_buttons()
        if not running:
            self.set_activity("")
