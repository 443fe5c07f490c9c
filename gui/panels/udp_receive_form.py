"""The UDP Receive panel's boxes: where it listens (Listen, with a multicast group), what it
answers on its own (Auto-reply and its rules), and sending by hand from the bound port."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QWidget

from gui.widgets import HostField, InlineError, PayloadEditor, PortField
from gui.widgets.forms import (
    FieldsBox,
    LiveBox,
    button_row,
    check_box,
    line_edit,
    listen_fields,
    push_buttons,
    stack,
)
from gui.widgets.rules_table import RulesTable
from gui.widgets.units import shorten
from net.rules import Responder

__all__ = ["AutoReplyBox", "HandSendBox", "UdpListenBox"]


class UdpListenBox(FieldsBox):
    """Where the receiver listens: address, port and an optional multicast group to join."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Listen"))
        self.bind, self.port = listen_fields(self)
        self.group_edit = line_edit(
            self,
            "multicastEdit",
            accessible=self.tr("Multicast group"),
            tip=self.tr("Join this multicast group to receive what is sent to it"),
            placeholder=self.tr("optional, e.g. 239.1.2.3 or ff12::1"),
        )
        self.group_error = InlineError(self)
        self.group_edit.textChanged.connect(self.check_group)
        group_field = QWidget(self)
        group_layout = stack(group_field, self.group_edit, self.group_error)
        group_layout.setContentsMargins(0, 0, 0, 0)
        group_layout.setSpacing(2)
        self.add_rows(
            (self.tr("A&ddress:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Multicast:"), group_field, self.group_edit),
        )

    def group(self) -> str | None:
        """The multicast group to join (None: none)."""
        return self.group_edit.text().strip() or None

    def check_group(self) -> str | None:
        """What is wrong with the multicast group (also shown under it); None when usable."""
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


class AutoReplyBox(LiveBox):
    """A payload sent back to the sender of every datagram, and the rules that answer first.
    Both may change while listening: the next datagram gets the new answer."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(self.tr("Auto-reply"), parent)
        tip = self.tr("Send this payload back to the sender of each datagram")
        text = self.tr("&Reply to every datagram with:")
        self.reply_check = check_box(self, text, "autoReplyCheck", tip)
        self.reply = PayloadEditor(
            self, compact=True, name="replyEdit", label=self.tr("Auto-reply")
        )
        self.reply.setEnabled(False)
        self.reply_check.toggled.connect(self.reply.setEnabled)
        self.rules = RulesTable(self)
        stack(self, self.reply_check, self.reply, self.rules, stretch=2)
        self.watch(self.reply_check.toggled, self.reply.changed, self.rules.changed)

    def check(self) -> str | None:
        """What is wrong with the reply, when it is on (also shown under it)."""
        return self.reply.check() if self.reply_check.isChecked() else None

    def reply_bytes(self) -> bytes | None:
        """The reply's bytes, or None when it is off.

        Raises:
            PayloadError: the reply does not parse (the editor shows why).
        """
        return self.reply.payload() if self.reply_check.isChecked() else None

    def responder(self, reply: bytes | None, encoding: str) -> Responder | None:
        """The rules as a responder whose fallback is ``reply`` (None: neither).

        Without rules the auto-reply still goes through a responder: the receiver reports a
        responder's replies, so they show in the log as out rows.

        Raises:
            PayloadError: a bad rule (also shown under the table).
        """
        fallback = "fixed" if reply is not None else "none"
        rules = self.rules.responder(fallback, reply or b"", encoding)
        if rules is None and reply is not None:
            return Responder(framing="raw", fallback="fixed", fixed_reply=reply)
        return rules

    def focus_chain(self) -> list[QWidget]:
        return [self.reply_check, *self.reply.focus_chain()]


class HandSendBox(QGroupBox):
    """Send by hand from the bound port: to any host and port, or to the selected sender."""

    def __init__(
        self,
        parent: QWidget,
        send_to: Callable[[], object],
        send_selected: Callable[[], object],
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Send from this port"))
        self.send_host = HostField(self, name="sendHostEdit")
        # Beside the port in a column shared with the listen fields: narrower than a target's.
        self.send_host.combo.setMinimumContentsLength(10)
        self.send_port = PortField(self, name="sendPortEdit")
        self.send_payload = PayloadEditor(
            self, compact=True, name="sendPayloadEdit", label=self.tr("Payload to send")
        )
        tips = (
            self.tr("Send the payload from the listening port to this host and port"),
            self.tr("Send the payload to the sender of the row selected in the log"),
        )
        self.send_to_button, self.send_selected_button = push_buttons(
            self,
            (self.tr("Se&nd"), "sendButton", send_to, tips[0]),
            (self.tr("To se&lected sender"), "sendSelectedButton", send_selected, tips[1]),
        )
        form = QFormLayout(self)
        target = QHBoxLayout()
        target.addWidget(self.send_host, 3)
        target.addWidget(self.send_port, 1)
        form.addRow(self.tr("T&o:"), target)
        label = form.labelForField(target)
        if isinstance(label, QLabel):
            label.setBuddy(self.send_host.combo)
        form.addRow(self.send_payload)
        form.addRow(button_row(self.send_to_button, self.send_selected_button))

    def focus_chain(self) -> list[QWidget]:
        return [
            self.send_host.combo,
            self.send_port.edit,
            *self.send_payload.focus_chain(),
            self.send_to_button,
            self.send_selected_button,
        ]
