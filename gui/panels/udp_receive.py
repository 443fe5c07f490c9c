"""UDP Receive: listen on an address and port, show every datagram and its sender, count exactly."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, first_problem, set_tab_chain
from gui.widgets import (
    DEFAULT_LOG_LIMIT,
    BindAddressPicker,
    HostField,
    InlineError,
    PayloadEditor,
    PortField,
    RateMeter,
    TrafficLog,
    format_bytes,
    format_count,
)
from gui.widgets.forms import add_rows, start_stop_buttons
from gui.widgets.rules_table import RulesTable
from gui.widgets.style import set_text_role
from gui.widgets.units import shorten
from net.errors import NetError
from net.events import Datagram
from net.rules import Responder
from net.udp import DatagramRow, UdpReceiver

__all__ = ["UdpReceivePanel", "bound_receiver"]

_row_data = itemgetter(2)

# The app's own bound UDP sockets by local port, so that UDP Send can send from a port a receive
# panel holds instead of failing with "in use by another program" (it is this program). Only
# touched on the GUI thread.
_bound: dict[int, UdpReceiver] = {}


def bound_receiver(port: int) -> UdpReceiver | None:
    """The running receiver of this app bound to local ``port``, if there is one."""
    return _bound.get(port)


def split_peer(peer: str) -> tuple[str, int]:
    """("::1", 5000) for "[::1]:5000", ("10.0.0.2", 5000) for "10.0.0.2:5000" (a log's peer).

    Raises:
        ValueError: not a host and port.
    """
    host, _, port = peer.rpartition(":")
    return host.strip("[]"), int(port)


class _SendFailed:
    """A hand send that failed on its helper thread, on its way to the GUI thread."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class UdpReceivePanel(Panel):
    """Listen for datagrams; counters come from the receiver's exact stats, the log is bounded."""

    def __init__(
        self, parent: QWidget | None = None, *, log_limit: int = DEFAULT_LOG_LIMIT
    ) -> None:
        super().__init__(parent)
        self.setObjectName("udpReceivePanel")
        # Events beyond the log's size would be dropped by the log anyway.
        self.runner = self.make_runner("UDP receive", buffer_limit=max(log_limit, 1000))
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.receiver: Any = None
        self._rate = RateMeter()
        self._rate_value = 0.0
        self._address = ""
        self._build(log_limit)
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_counters)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self, log_limit: int) -> None:
        self.bind = BindAddressPicker(self)
        self.port = PortField(self, allow_zero=True)
        self.group_edit = QLineEdit(self)
        self.group_edit.setObjectName("multicastEdit")
        self.group_edit.setPlaceholderText(self.tr("optional, e.g. 239.1.2.3 or ff12::1"))
        self.group_edit.setToolTip(
            self.tr("Join this multicast group to receive what is sent to it")
        )
        self.group_edit.setAccessibleName(self.tr("Multicast group"))
        self.group_error = InlineError(self)
        self.group_edit.textChanged.connect(self._check_group)
        group_field = QWidget(self)
        group_layout = QVBoxLayout(group_field)
        group_layout.setContentsMargins(0, 0, 0, 0)
        group_layout.setSpacing(2)
        group_layout.addWidget(self.group_edit)
        group_layout.addWidget(self.group_error)

        listen = QGroupBox(self.tr("Listen"), self)
        form = QFormLayout(listen)
        add_rows(
            form,
            (self.tr("A&ddress:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Multicast:"), group_field, self.group_edit),
        )

        self.reply_check = QCheckBox(self.tr("&Reply to every datagram with:"), self)
        self.reply_check.setObjectName("autoReplyCheck")
        self.reply_check.setToolTip(
            self.tr("Send this payload back to the sender of each datagram")
        )
        self.reply = PayloadEditor(
            self, compact=True, name="replyEdit", label=self.tr("Auto-reply")
        )
        self.reply.setEnabled(False)
        self.reply_check.toggled.connect(self.reply.setEnabled)
        reply_box = QGroupBox(self.tr("Auto-reply"), self)
        reply_layout = QVBoxLayout(reply_box)
        reply_layout.addWidget(self.reply_check)
        reply_layout.addWidget(self.reply)
        # Rules answer first (editable while listening); the reply above answers the rest.
        # The reply, too, may change while listening: the next datagram gets the new one.
        self.reply_check.toggled.connect(self._on_rules_changed)
        self.reply.changed.connect(self._on_rules_changed)
        self.rules = RulesTable(self)
        self.rules.changed.connect(self._on_rules_changed)
        reply_layout.addWidget(self.rules, 1)

        send_box = self._build_send_box()

        self.start_button, self.stop_button = start_stop_buttons(
            self,
            (self.tr("&Start"), self.tr("Start listening (Ctrl+R)")),
            (self.tr("S&top"), self.tr("Stop listening (Ctrl+.)")),
        )
        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.warning = QLabel(self)
        self.warning.setObjectName("rcvbufWarning")
        self.warning.setWordWrap(True)
        set_text_role(self.warning, "warning")
        self.warning.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.counters, 1)

        self.log = TrafficLog(self, limit=log_limit)

        top = QGridLayout()
        top.addWidget(listen, 0, 0)
        top.addWidget(send_box, 1, 0)
        # The rules table makes the right column the taller: the room left goes below the send
        # box, not into it.
        top.addWidget(reply_box, 0, 1, 3, 1)
        top.setRowStretch(2, 1)
        top.setColumnStretch(0, 3)
        top.setColumnStretch(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.warning)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.status)

        set_tab_chain(
            self.bind.combo,
            self.port.edit,
            self.group_edit,
            self.reply_check,
            self.reply.edit,
            self.reply.mode_combo,
            self.reply.encoding_combo,
            self.reply.ending_combo,
            self.send_host.combo,
            self.send_port.edit,
            self.send_payload.edit,
            self.send_payload.mode_combo,
            self.send_payload.encoding_combo,
            self.send_payload.ending_combo,
            self.send_to_button,
            self.send_selected_button,
            self.start_button,
            self.stop_button,
        )
        self._show_counters(0, 0, 0.0)

    def _build_send_box(self) -> QGroupBox:
        """Send by hand from the bound port: to any host and port, or to the selected sender."""
        box = QGroupBox(self.tr("Send from this port"), self)
        self.send_host = HostField(self, name="sendHostEdit")
        # Beside the port in a column shared with the listen fields: narrower than a target's.
        self.send_host.combo.setMinimumContentsLength(10)
        self.send_port = PortField(self, name="sendPortEdit")
        self.send_payload = PayloadEditor(
            self, compact=True, name="sendPayloadEdit", label=self.tr("Payload to send")
        )
        self.send_to_button = QPushButton(self.tr("Se&nd"), self)
        self.send_to_button.setObjectName("sendButton")
        self.send_to_button.setToolTip(
            self.tr("Send the payload from the listening port to this host and port")
        )
        self.send_to_button.clicked.connect(self.send_to_target)
        self.send_selected_button = QPushButton(self.tr("To se&lected sender"), self)
        self.send_selected_button.setObjectName("sendSelectedButton")
        self.send_selected_button.setToolTip(
            self.tr("Send the payload to the sender of the row selected in the log")
        )
        self.send_selected_button.clicked.connect(self.send_to_selected)
        form = QFormLayout(box)
        target = QHBoxLayout()
        target.addWidget(self.send_host, 3)
        target.addWidget(self.send_port, 1)
        form.addRow(self.tr("T&o:"), target)
        label = form.labelForField(target)
        if isinstance(label, QLabel):
            label.setBuddy(self.send_host.combo)
        form.addRow(self.send_payload)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_to_button)
        buttons.addWidget(self.send_selected_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        return box

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        reply_problem = self.reply.check() if self.reply_check.isChecked() else None
        problem = first_problem(
            self.bind.check(), self.port.check(), self._check_group(), reply_problem
        )
        if problem:
            self.status.show_error(problem)
            return
        host, port = self.bind.address(), self.port.port()
        group = self.group_edit.text().strip() or None
        reply = self.reply.payload() if self.reply_check.isChecked() else None
        try:
            responder = self._responder(reply)
        except NetError as exc:
            self.status.show_error(str(exc))
            return
        push_many = self.runner.push_many
        push = self.runner.push

        def push_rows(rows: list[DatagramRow]) -> None:
            push_many(rows, sum(map(len, map(_row_data, rows))))

        def open_receiver() -> UdpReceiver:
            # A batch of plain tuples per call (up to 64 datagrams), not an object per datagram.
            return UdpReceiver(
                host,
                port,
                on_rows=push_rows,
                multicast_group=group,
                reply=reply,
                responder=responder,
                on_reply=push,
            )

        self.receiver = None
        self._rate.reset()
        self.warning.hide()
        self.runner.start(open_receiver, lambda receiver: receiver.run())
        self._set_running(True)
        self.status.show_info(self.tr("Opening port {port}…").format(port=port))

    def trigger_send(self) -> None:
        """Ctrl+Return: send the hand payload to the host and port of the send box."""
        self.send_to_target()

    def send_to_target(self) -> None:
        """Send the hand payload from the bound port to the send box's host and port."""
        problem = first_problem(self.send_host.check(), self.send_port.check())
        if problem:
            self.status.show_error(problem)
            return
        self.send_host.remember(self.send_host.text())
        self._send_by_hand(self.send_host.host(), self.send_port.port())

    def send_to_selected(self) -> None:
        """Send the hand payload to the sender of the log's selected row (the latest if several)."""
        rows = self.log.selected_rows()
        peers = [self.log.model.entry(row).peer for row in rows]
        peers = [peer for peer in peers if peer]
        if not peers:
            self.status.show_error(self.tr("Select a row of the sender to answer in the log"))
            return
        try:
            host, port = split_peer(peers[-1])
        except ValueError:
            self.status.show_error(self.tr("{peer} is not a host and port").format(peer=peers[-1]))
            return
        self._send_by_hand(host, port)

    def _send_by_hand(self, host: str, port: int) -> None:
        receiver = self.receiver
        if receiver is None or not self.runner.running:
            self.status.show_error(self.tr("Not listening: start listening on a port first"))
            return
        if self.send_payload.check():
            self.status.show_error(self.send_payload.error.message)
            return
        data = self.send_payload.payload()
        push = self.runner.push

        def send() -> None:
            # A host name may take seconds to resolve: never on the GUI thread.
            try:
                push(receiver.send_to(data, host, port))
            except (NetError, OSError) as exc:
                push(_SendFailed(str(exc)))

        threading.Thread(target=send, name="UDP hand send", daemon=True).start()

    def _responder(self, reply: bytes | None) -> Responder | None:
        """The rules as a responder whose fallback is the auto-reply (None: neither).

        Without rules the auto-reply still goes through a responder: the receiver reports a
        responder's replies, so they show in the log as out rows.

        Raises:
            PayloadError: a bad rule (also shown under the table).
        """
        fallback = "fixed" if reply is not None else "none"
        rules = self.rules.responder(fallback, reply or b"", self.log.model.encoding)
        if rules is None and reply is not None:
            return Responder(framing="raw", fallback="fixed", fixed_reply=reply)
        return rules

    def _on_rules_changed(self) -> None:
        if self.receiver is None or not self.runner.running:
            return
        if self.reply_check.isChecked() and self.reply.check():
            return  # half-typed hex: the editor says why; the previous reply answers meanwhile
        reply = self.reply.payload() if self.reply_check.isChecked() else None
        # A bad rule: the table says which; the previous rules answer meanwhile. The receiver
        # reads the attribute for each datagram, so swapping it is thread-safe.
        with contextlib.suppress(NetError):
            self.receiver.responder = self._responder(reply)
            # The responder answers; this only keeps the start-up reply from coming back.
            self.receiver.reply = reply

    def _check_group(self) -> str | None:
        text = self.group_edit.text().strip()
        message = None
        if text:
            try:
                if not ipaddress.ip_address(text).is_multicast:
                    message = self.tr(
                        "{group} is not a multicast address (IPv4 224.0.0.0-239.255.255.255, "
                        "IPv6 ff00::/8)"
                    ).format(group=shorten(text))
            except ValueError:
                message = self.tr("{group!r} is not an IP address").format(group=shorten(text))
        if message:
            self.group_error.show_error(message)
        else:
            self.group_error.clear_error()
        return message

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, receiver: Any) -> None:
        self.receiver = receiver
        _bound[int(receiver.port)] = receiver
        self._address = str(receiver.address)
        self.log.set_local(self._address)
        self.status.show_info(self.tr("Listening on {address}").format(address=self._address))
        if getattr(receiver, "rcvbuf_warning", None):
            self.warning.setText(str(receiver.rcvbuf_warning))
            self.warning.show()
        self._tick.start()
        self._update_counters()

    def _on_events(self, events: list[DatagramRow | Datagram | _SendFailed]) -> None:
        # The receiver's tuples become the rows as they are; of a batch larger than the log,
        # only the newest are even looked at. The counters come from the receiver. Replies and
        # hand sends arrive as outgoing Datagrams among them.
        failures = [event for event in events if type(event) is _SendFailed]
        if failures:
            events = [event for event in events if type(event) is not _SendFailed]
            for failure in failures:
                self.status.show_error(failure.message)
                self.log.note(failure.message, error=True)
        if any(type(event) is Datagram for event in events):
            self.log.append(
                [
                    event if isinstance(event, Datagram) else Datagram(*event)  # type: ignore[misc]
                    for event in events
                ]
            )
        else:
            self.log.append_rows(events)  # type: ignore[arg-type]
        self._update_counters()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, error=True)

    def _on_finished(self) -> None:
        if self.receiver is not None:
            port = int(self.receiver.port)
            if _bound.get(port) is self.receiver:
                del _bound[port]
        self._tick.stop()
        self._rate.reset()
        self._update_counters(final=True)
        if self.status.kind != "error" and self.receiver is not None:
            self.status.show_info(
                self.tr("Stopped listening on {address}").format(address=self._address)
            )
        self._set_running(False)

    def _update_counters(self, *, final: bool = False) -> None:
        if self.receiver is None:
            return
        stats = self.receiver.stats
        rate = 0.0 if final else self._rate.update(stats.datagrams)
        self._rate_value = rate
        self._show_counters(stats.datagrams, stats.bytes, rate, stats.replies, stats.truncated)
        if self.runner.running and not final:
            self.set_activity(
                self.tr("UDP {address}: {count}, {rate}/s").format(
                    address=self._address,
                    count=self._datagrams(stats.datagrams),
                    rate=format_count(round(rate)),
                )
            )

    def _datagrams(self, count: int) -> str:
        return self.tr("{count} datagrams", "", count).format(count=format_count(count))

    def _show_counters(
        self, datagrams: int, size: int, rate: float, replies: int = 0, truncated: int = 0
    ) -> None:
        text = self.tr("{count} · {bytes} · {rate}/s").format(
            count=self._datagrams(datagrams),
            bytes=format_bytes(size),
            rate=format_count(round(rate)),
        )
        if replies:
            text += self.tr(" · {count} replied", "", replies).format(count=format_count(replies))
        if truncated:
            text += self.tr(" · {count} cut short", "", truncated).format(
                count=format_count(truncated)
            )
        if self.runner.running and self.receiver is not None:
            text += self.tr(" · listening on {address}").format(address=self._address)
        self.counters.setText(text)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.bind, self.port, self.group_edit):
            widget.setEnabled(not running)
        for button in (self.send_to_button, self.send_selected_button):
            button.setEnabled(running)
        if not running:
            self.set_activity("")
