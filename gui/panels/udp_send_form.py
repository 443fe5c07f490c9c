"""The UDP Send panel's boxes: where datagrams go (Target) and how they go (Sending: how many,
how often, whether to wait for a reply or keep the socket open)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

from gui.widgets import HostField, PortField
from gui.widgets.forms import FieldsBox, check_box, spin_box

__all__ = ["SendingBox", "TargetBox"]


class TargetBox(FieldsBox):
    """The host and port datagrams go to, the local port they leave from, and broadcast."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Target"))
        self.host = HostField(self)
        self.port = PortField(self)
        tip = self.tr("Needed to send to a broadcast address such as 255.255.255.255")
        self.broadcast_check = check_box(self, self.tr("Allow broadcast"), "broadcastCheck", tip)
        self.bind_port = PortField(self, name="localPortEdit", allow_zero=True, optional=True)
        self.bind_port.edit.setAccessibleName(self.tr("Local port"))
        self.bind_port.edit.setToolTip(
            self.tr(
                "Send from this local port (some devices reply only to a fixed port); empty = any"
            )
        )
        self.add_rows(
            (self.tr("H&ost:"), self.host, self.host.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Local port:"), self.bind_port, self.bind_port.edit),
            ("", self.broadcast_check),
        )


class SendingBox(FieldsBox):
    """How many datagrams, the pause between two, waiting for a reply, keeping the socket open."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Sending"))
        tip = self.tr("How many datagrams to send")
        self.count_spin = spin_box(
            QSpinBox(self), "countSpin", self.tr("Count"), (1, 1_000_000_000), tip=tip
        )
        self.interval_spin = spin_box(
            QSpinBox(self), "intervalSpin", self.tr("Interval"), (0, 86_400_000)
        )
        self.interval_spin.setValue(1000)
        self.interval_spin.setSuffix(self.tr(" ms"))
        self.interval_spin.setToolTip(
            self.tr("Pause between two datagrams when sending more than one")
        )
        for spin in (self.count_spin, self.interval_spin):
            spin.setGroupSeparatorShown(True)
        tip = self.tr("After sending, show the reply and who sent it")
        self.wait_check = check_box(self, self.tr("Wait for a reply"), "waitReplyCheck", tip)
        what, tip = self.tr("Reply timeout"), self.tr("How long to wait for a reply")
        self.timeout_spin = spin_box(
            QDoubleSpinBox(self),
            "replyTimeoutSpin",
            what,
            (0.1, 3600.0),
            value=2.0,
            suffix=self.tr(" s"),
            tip=tip,
        )
        self.wait_check.toggled.connect(self.timeout_spin.setEnabled)
        self.timeout_spin.setEnabled(False)
        tip = self.tr(
            "Keep the socket open after sending: show every reply that arrives, send again "
            "from the same port, until Stop"
        )
        self.keep_check = check_box(self, self.tr("&Keep open"), "keepOpenCheck", tip)
        self.add_rows(
            (self.tr("&Count:"), self.count_spin),
            (self.tr("&Interval:"), self.interval_spin),
        )
        self.add_buttons(self.wait_check, self.timeout_spin)
        self.add_rows(("", self.keep_check))
