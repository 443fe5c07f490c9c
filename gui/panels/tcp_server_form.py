"""The TCP Server's boxes: where it listens and how many it serves (Listen), what it answers on
its own (Automatic reply), the table of connected clients (Clients) and what is sent to them
(Payload)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QGroupBox, QLabel, QSizePolicy, QSpinBox, QWidget

from gui.panels.base import Panel
from gui.widgets import PayloadEditor, format_bytes, format_count
from gui.widgets.connection_table import ConnectionTable, clock
from gui.widgets.forms import (
    FieldsBox,
    LiveBox,
    button_row,
    check_box,
    listen_fields,
    option_combo,
    push_button,
    spin_box,
    stack,
    start_stop_buttons,
)
from gui.widgets.payload import PayloadGroup
from gui.widgets.rules_table import RulesTable
from gui.widgets.status import StatusLine
from net.errors import NetError
from net.rules import Responder

__all__ = [
    "DEFAULT_MAX_CLIENTS",
    "ClientsBox",
    "ListenBox",
    "ReplyBox",
    "SendBox",
    "ServerCounters",
]

#: Clients served at once unless the user says otherwise (design.md, "Limits").
DEFAULT_MAX_CLIENTS = 256
_MOST_CLIENTS = 100_000
_LONGEST_IDLE = 86_400  # seconds


class ListenBox(FieldsBox):
    """Where the server listens (address, port), how many clients it serves at once, when it
    drops a quiet one, and the Start / Stop pair."""

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.setTitle(self.tr("Listen"))
        self.bind, self.port = listen_fields(self)
        start = (self.tr("&Start"), self.tr("Start listening (Ctrl+R)"))
        stop = (self.tr("St&op"), self.tr("Stop the server and close every connection (Ctrl+.)"))
        self.start_button, self.stop_button = start_stop_buttons(panel, start, stop)
        what, tip = (
            self.tr("Maximum clients at once"),
            self.tr(
                "Clients served at once; more are refused. Lowered when the system cannot hold "
                "that many (the status line then says why)"
            ),
        )
        self.max_clients = spin_box(
            QSpinBox(self), "maxClientsSpin", what, (1, _MOST_CLIENTS), tip=tip
        )
        self.max_clients.setValue(DEFAULT_MAX_CLIENTS)
        what, tip = (
            self.tr("Idle timeout"),
            self.tr("Close a client after this many seconds with nothing sent or received"),
        )
        self.idle_timeout = spin_box(
            QSpinBox(self),
            "idleTimeoutSpin",
            what,
            (0, _LONGEST_IDLE),
            suffix=self.tr(" s"),
            tip=tip,
        )
        self.idle_timeout.setSpecialValueText(self.tr("Never"))
        tip = self.tr(
            "Probe quiet clients (TCP keepalive), so a client whose computer vanished is "
            "disconnected within about 2 minutes instead of holding its slot forever"
        )
        self.keepalive = check_box(self, self.tr("&Keepalive probes"), "keepaliveCheck", tip)
        self.keepalive.setChecked(True)
        self.add_rows(
            (self.tr("Add&ress:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Max clients:"), self.max_clients),
            (self.tr("&Idle timeout:"), self.idle_timeout),
            ("", self.keepalive),
        )
        self.add_buttons(self.start_button, self.stop_button)

    def server_options(self) -> dict[str, Any]:
        """What a :class:`net.tcp.TcpServer` takes from this box besides the address:
        max_clients, keepalive, and idle_timeout (seconds; None: never)."""
        return {
            "max_clients": self.max_clients.value(),
            "keepalive": self.keepalive.isChecked(),
            "idle_timeout": self.idle_timeout.value() or None,
        }


class ReplyBox(LiveBox):
    """What the server sends back on its own: none, an echo or a fixed text, and the rules that
    answer first. Every change applies at once to a running server."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(self.tr("Automatic reply"), parent)
        modes = [
            (self.tr("No automatic reply"), "none"),
            (self.tr("Echo what each client sends"), "echo"),
            (self.tr("Reply with a fixed text"), "fixed"),
        ]
        tip = self.tr("What the server sends back on its own; changes apply at once")
        self.reply_mode = option_combo(self, "replyModeCombo", tip, self.tr("Reply mode"), modes)
        self.fixed_reply = PayloadEditor(
            self, compact=True, name="fixedReplyEdit", label=self.tr("Fixed reply")
        )
        # Rules answer first; the reply mode above answers what no rule matches.
        self.rules = RulesTable(self, framing=True)
        stack(self, self.reply_mode, self.fixed_reply, self.rules, stretch=2)
        self.watch(
            self.reply_mode.currentIndexChanged, self.fixed_reply.changed, self.rules.changed
        )
        self.changed.connect(self.refresh)

    def refresh(self) -> None:
        """Show the fixed text's editor only in the mode that uses it."""
        # Shown only when it is used: the rules table below needs the height at 800x600.
        self.fixed_reply.setVisible(self.mode() == "fixed")

    def mode(self) -> str:
        """ "none", "echo" or "fixed"."""
        return str(self.reply_mode.currentData())

    def check(self) -> str | None:
        """What is wrong with the fixed text, when it is used (also shown under it)."""
        return self.fixed_reply.check() if self.mode() == "fixed" else None

    def fixed(self) -> bytes:
        """The fixed reply's bytes (empty unless the mode is "fixed").

        Raises:
            PayloadError: the text does not parse (the editor shows why).
        """
        return self.fixed_reply.payload() if self.mode() == "fixed" else b""

    def responder(self, encoding: str, current: Responder | None = None) -> Responder | None:
        """The rules with the reply mode as their fallback (see RulesTable.responder).

        Raises:
            NetError: a bad rule or fixed text (the table or the editor says which).
        """
        return self.rules.responder(self.mode(), self.fixed(), encoding, current=current)

    def focus_chain(self) -> list[QWidget]:
        return [self.reply_mode, *self.fixed_reply.focus_chain(), self.rules]


class ClientsBox(QGroupBox):
    """The connected clients, one row each (peer, since, bytes in and out), and Disconnect
    selected."""

    PEER, SINCE, IN, OUT = range(4)

    def __init__(self, parent: QWidget, disconnect: Callable[[], object]) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Clients"))
        self.table = ConnectionTable(
            self,
            "clientTable",
            self.tr("Connected clients"),
            [self.tr("Client"), self.tr("Connected"), self.tr("In"), self.tr("Out")],
            id_column=self.PEER,
            stretch=self.PEER,
            rows_shown=10,
            right_aligned=(self.IN, self.OUT),
        )
        table = self.table
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        header.setMinimumSectionSize(metrics.horizontalAdvance("0000") + 8)
        titles = header.fontMetrics()
        for column_, sample in (
            (self.SINCE, "00:00:00"),
            (self.IN, "999.9 KiB"),
            (self.OUT, "999.9 KiB"),
        ):
            heading = table.horizontalHeaderItem(column_)
            title = heading.text() if heading is not None else ""
            width = max(metrics.horizontalAdvance(sample), titles.horizontalAdvance(title) + 8)
            header.resizeSection(column_, width + 16)
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        table.setMinimumHeight(60)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.disconnect_button = push_button(
            self,
            self.tr("&Disconnect selected"),
            "disconnectClientButton",
            disconnect,
            tip=self.tr("Close the connection of the selected clients"),
        )
        stack(self, table, button_row(self.disconnect_button), stretch=0)

    def show_clients(self, server: Any) -> int:
        """Show ``server``'s clients (none without a server); returns how many there are."""
        return self.table.show_infos(
            server.clients() if server is not None else [],
            lambda info: [
                info.peer,
                clock(info.since),
                format_bytes(info.bytes_in),
                format_bytes(info.bytes_out),
            ],
        )


class SendBox(PayloadGroup):
    """The payload and what sends it: to the selected clients or to all of them; also closes
    the selected clients' connections (the Clients box's button).

    ``server`` gives the running server (None while none runs), ``selected`` the connection
    ids chosen in the Clients table; the outcome is said on ``status``.
    """

    def __init__(
        self,
        parent: QWidget,
        status: StatusLine,
        server: Callable[[], Any],
        selected: Callable[[], list[int]],
    ) -> None:
        super().__init__(self.tr("Pa&yload"), parent)
        self.status, self._server, self._selected = status, server, selected
        all_tip = self.tr("Send the payload to every connected client")
        self.send_button, self.send_all_button = self.add_buttons(
            (
                self.tr("Send to s&elected"),
                "sendButton",
                self.send_to_selected,
                self.tr("Send the payload to the selected clients (Ctrl+Return)"),
            ),
            (self.tr("Send to a&ll"), "sendAllButton", self.send_to_all, all_tip),
        )

    def clients_text(self, count: int) -> str:
        """ "3 clients", in the user's language."""
        return self.tr("{count} clients", "", count).format(count=format_count(count))

    def send_to_selected(self) -> None:
        ids = self._chosen()
        data = self._payload() if ids else None
        if data is None:
            return
        server = self._server()
        if all(self._call(lambda conn_id=conn_id: server.send(conn_id, data)) for conn_id in ids):
            self._sent(len(data), len(ids))

    def send_to_all(self) -> None:
        data = self._payload()
        if data is None:
            return
        server = self._server()
        result: list[int] = []
        if not self._call(lambda: result.append(int(server.send_all(data)))):
            return
        count = result[0] if result else 0
        if count == 0:
            self.status.show_warning(self.tr("No client is connected, so nothing was sent"))
        else:
            self._sent(len(data), count)

    def disconnect_selected(self) -> None:
        server = self._server()
        for conn_id in self._chosen():
            self._call(lambda conn_id=conn_id: server.disconnect(conn_id))

    def _chosen(self) -> list[int]:
        """The selected clients' ids; none after saying to select some."""
        ids = self._selected()
        if not ids:
            self.status.show_error(self.tr("Select one or more clients in the list first"))
        return ids

    def _sent(self, size: int, clients: int) -> None:
        self.status.show_info(
            self.tr("Sent {size} to {clients}").format(
                size=format_bytes(size), clients=self.clients_text(clients)
            )
        )

    def _payload(self) -> bytes | None:
        if self._server() is None:
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


class ServerCounters(QLabel):
    """The server's counters in one line: clients now and in all, bytes each way, refusals and
    where it listens. They outlive a run (the last run's totals stay shown)."""

    def __init__(self, parent: QWidget, send_box: SendBox) -> None:
        super().__init__(parent)
        self.setObjectName("countersLabel")
        self._clients_text = send_box.clients_text
        self._totals = (0, 0, 0)  # connections, bytes in, bytes out of the last run
        self._refused = (0, 0)  # clients refused, and the cap in force, in the last run
        self._refusals_told = 0  # refusals a warning has reported

    def reset(self) -> None:
        """A new run counts from zero."""
        self._totals, self._refused, self._refusals_told = (0, 0, 0), (0, 0), 0

    def keep(self, server: Any) -> None:
        """Take ``server``'s totals (while it exists: a stopped server's stay)."""
        if server is not None:
            self._totals = (server.total_clients, server.bytes_in, server.bytes_out)
            self._refused = (server.refused, server.max_clients)

    def show_counts(self, clients: int, address: str | None) -> str | None:
        """Show the counters with ``clients`` connected now, and ``address`` while listening.

        Returns:
            A warning for the status line when clients were refused since the last one, while
            listening; else None.
        """
        connections, bytes_in, bytes_out = self._totals
        text = self.tr("{clients} connected · {total} in all · received {received} · sent {sent}")
        text = text.format(
            clients=self._clients_text(clients),
            total=format_count(connections),
            received=format_bytes(bytes_in),
            sent=format_bytes(bytes_out),
        )
        refused, cap = self._refused
        warning = None
        if refused:
            text += self.tr(" · {refused} refused: limit {cap}").format(
                refused=format_count(refused), cap=format_count(cap)
            )
            if refused > self._refusals_told and address is not None:
                self._refusals_told = refused
                warning = self.tr(
                    "{refused} refused: {cap} clients are connected, the most this server "
                    "takes at once (Max clients)"
                ).format(refused=format_count(refused), cap=format_count(cap))
        if address is not None:
            text += self.tr(" · listening on {address}").format(address=address)
        self.setText(text)
        return warning
