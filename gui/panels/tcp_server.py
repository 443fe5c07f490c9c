"""TCP Server: listen, list the clients, send to one or all, disconnect one, reply automatically."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from gui.panels.base import LoopPanel, scrolling_settings, server_tls, set_tab_chain
from gui.panels.tcp_server_form import (
    DEFAULT_MAX_CLIENTS,
    ClientsBox,
    ListenBox,
    ReplyBox,
    SendBox,
    ServerCounters,
)
from gui.runner import ReceivedRun
from gui.widgets import LogEntry, TrafficLog, format_bytes, format_count
from gui.widgets.forms import stack
from gui.widgets.security import ServerSecurityBox
from gui.widgets.traffic_log import CELL_BYTES, StreamRows
from net._loop import raise_file_limit
from net.errors import AddressError, NetError
from net.events import Connected, Disconnected, FileSent, Received, Sent
from net.rules import Responder
from net.tcp import TcpServer

__all__ = ["DEFAULT_MAX_CLIENTS", "TcpServerPanel"]

# Received bytes decoded per batch (what the cells show); beyond it rows are rendered when shown.
_DECODE_BUDGET = 32 * 1024


class TcpServerPanel(LoopPanel):
    """A TCP server with a live client table; replies none / echo / fixed, switchable live."""

    PEER, SINCE, IN, OUT = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "TCP server")
        self.setObjectName("tcpServerPanel")
        self.server: Any = None
        self._responder: Responder | None = None  # the rules answering, while running
        self._fingerprint = ""
        self._opened_tls: dict[str, str] = {}
        self._address = ""
        self._decoders: dict[int, StreamRows] = {}  # per connection: its stream's rows
        self._build()
        self._refresh = self.ticker(self._refresh_clients)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.listen = ListenBox(self)
        self.bind, self.port = self.listen.bind, self.listen.port
        self.start_button, self.stop_button = self.listen.start_button, self.listen.stop_button
        self.max_clients, self.idle_timeout = self.listen.max_clients, self.listen.idle_timeout
        self.keepalive = self.listen.keepalive
        self.reply_box = ReplyBox(self)
        self.reply_mode, self.fixed_reply = self.reply_box.reply_mode, self.reply_box.fixed_reply
        self.rules = self.reply_box.rules
        self.reply_box.changed.connect(self._on_reply_changed)
        self.security = ServerSecurityBox(self)
        self.send_box = SendBox(self, self.status, self.running_server, self.selected_ids)
        self.payload, self.send_button = self.send_box.payload, self.send_box.send_button
        self.send_all_button = self.send_box.send_all_button
        self.clients_box = ClientsBox(self, self.send_box.disconnect_selected)
        self.clients = self.clients_box.table
        self.disconnect_button = self.clients_box.disconnect_button
        self.clients.itemSelectionChanged.connect(self._update_buttons)
        # Security sits above Clients, beside the taller Payload box: in a row of its own it
        # made the panel taller than a 1024x768 screen holds, and under Listen it made the first
        # row the tallest.
        left = QVBoxLayout()
        left.addWidget(self.security)
        left.addWidget(self.clients_box, 1)
        self.options_row = QGridLayout()
        self.options_row.addWidget(self.listen, 0, 0)
        self.options_row.addWidget(self.reply_box, 0, 1)
        self.options_row.setColumnStretch(0, 1)
        self.options_row.setColumnStretch(1, 1)
        self.options_row.addLayout(left, 1, 0)
        self.options_row.addWidget(self.send_box, 1, 1)

        self.counters = ServerCounters(self, self.send_box)
        self.log = TrafficLog(self)

        # The settings scroll in a short window: at 800x600 the buttons were squashed and
        # Disconnect selected covered the Clients table.
        self.settings_area = scrolling_settings(self, self.options_row, "serverSettings")
        below = (self.counters, self.log, self.status)
        stack(self, self.settings_area, *below, stretch=(2, 0, 1, 0))

        set_tab_chain(
            *self.listen.focus_chain(),
            *self.reply_box.focus_chain(),
            *self.security.focus_chain(),
            self.clients,
            self.disconnect_button,
            self.payload,
            self.send_button,
            self.send_all_button,
        )
        self.reply_box.refresh()
        self._show_counters()

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        if not self.inputs_ok(self.bind.check(), self.port.check(), self.reply_box.check()):
            return
        try:
            plan = self.security.plan()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        host, port = self.bind.address(), self.port.port()
        try:
            responder = self.reply_box.responder(self.log.model.encoding)
        except NetError as exc:
            self.status.show_error(str(exc))
            return
        self._responder = responder
        options = self.listen.server_options()
        options.update(
            reply_mode=self.reply_box.mode(),
            fixed_reply=self.reply_box.fixed(),
            responder=responder,
        )
        self.counters.reset()
        push = self.runner.push
        self._fingerprint = ""
        opened: dict[str, str] = {}
        self._opened_tls = opened

        def open_server() -> TcpServer:
            raise_file_limit()  # as `swb serve` does, so the clients asked for can be held
            context = server_tls(plan, opened)
            return TcpServer(host, port, on_event=push, ssl_context=context, **options)

        self.server = None
        self._decoders.clear()
        self.clients.setRowCount(0)
        self.runner.start(open_server, lambda server: server.serve_forever())
        self._set_running(True)
        self.status.show_info(self.tr("Opening port {port}…").format(port=port))

    def trigger_send(self) -> None:
        self.send_to_selected()

    def selected_ids(self) -> list[int]:
        return self.clients.selected_ids()

    def running_server(self) -> Any:
        """The server while it runs, else None."""
        return self.server if self.runner.running else None

    def send_to_selected(self) -> None:
        self.send_box.send_to_selected()

    def send_to_all(self) -> None:
        self.send_box.send_to_all()

    def disconnect_selected(self) -> None:
        self.send_box.disconnect_selected()

    def _on_reply_changed(self) -> None:
        if self.server is None or not self.runner.running:
            return
        mode = self.reply_box.mode()
        try:
            data = self.reply_box.fixed()
        except NetError:
            return  # the editor shows what is wrong; keep the previous reply meanwhile
        self.server.set_reply(mode, data)
        # A bad rule: the table says which; the previous rules answer meanwhile.
        with contextlib.suppress(NetError):
            # The running responder is kept when it can be: its rules' {{counter}} go on.
            self._responder = self.reply_box.responder(
                self.log.model.encoding, current=self._responder
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

    def _on_finished(self) -> None:
        self._refresh.stop()
        self.counters.keep(self.server)
        self.clients.setRowCount(0)
        if self.server is not None:
            self.show_stopped(
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
        count = self.clients_box.show_clients(self.server)
        self._update_buttons()
        self._show_counters(count)

    # -- helpers -------------------------------------------------------------------------------

    def _show_counters(self, clients: int | None = None) -> None:
        if clients is None:
            clients = self.clients.rowCount()
        self.counters.keep(self.server)
        listening = self.runner.running and self.server is not None
        warning = self.counters.show_counts(clients, self._address if listening else None)
        if warning:
            self.status.show_warning(warning)
        if listening:
            self.set_activity(
                self.tr("TCP server {address}: {clients}").format(
                    address=self._address, clients=self.send_box.clients_text(clients)
                )
            )

    def _update_buttons(self) -> None:
        running = self.runner.running
        has_clients = self.clients.rowCount() > 0
        selected = self.clients.has_selection()
        self.send_button.setEnabled(running and selected)
        self.disconnect_button.setEnabled(running and selected)
        self.send_all_button.setEnabled(running and has_clients)

    def _set_running(self, running: bool) -> None:
        self.show_running(running, *self.listen.inputs())
        self.security.set_running(running, self._fingerprint if running else "")
        self._update_buttons()
