"""The UDP Send panel's boxes: where datagrams go (Target) and how they go (Sending: how many,
how often, whether to wait for a reply or keep the socket open)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QWidget

from gui.widgets import HostField, PortField
from gui.widgets.forms import add_rows, button_row, check_box, float_spin, int_spin

__all__ = ["SendingBox", "TargetBox"]


class TargetBox(QGroupBox):
    """The host and port datagrams go to, the local port they leave from, and broadcast."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Target"))
        self.host = HostField(self)
        self.port = PortField(self)
        self.broadcast_check = check_box(
            self,
            self.tr("Allow broadcast"),
            "broadcastCheck",
            self.tr("Needed to send to a broadcast address such as 255.255.255.255"),
        )
        self.bind_port = PortField(self, name="localPortEdit", allow_zero=True, optional=True)
        self.bind_port.edit.setAccessibleName(self.tr("Local port"))
        self.bind_port.edit.setToolTip(
            self.tr(
                "Send from this local port (some devices reply only to a fixed port); empty = any"
            )
        )
        add_rows(
            QFormLayout(self),
            (self.tr("H&ost:"), self.host, self.host.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("&Local port:"), self.bind_port, self.bind_port.edit),
            ("", self.broadcast_check),
        )

    def inputs(self) -> tuple[QWidget, ...]:
        """Where a running send goes (locked while it runs)."""
        return (self.host, self.port, self.bind_port, self.broadcast_check)

    def focus_chain(self) -> list[QWidget]:
        return [self.host.combo, self.port.edit, self.bind_port.edit, self.broadcast_check]


class SendingBox(QGroupBox):
    """How many datagrams, the pause between two, waiting for a reply, keeping the socket open."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Sending"))
        self.count_spin = int_spin(
            self,
            "countSpin",
            self.tr("Count"),
            (1, 1_000_000_000),
            tip=self.tr("How many datagrams to send"),
            separators=True,
        )
        self.interval_spin = int_spin(
            self,
            "intervalSpin",
            self.tr("Interval"),
            (0, 86_400_000),
            value=1000,
            suffix=self.tr(" ms"),
            tip=self.tr("Pause between two datagrams when sending more than one"),
            separators=True,
        )
        self.wait_check = check_box(
            self,
            self.tr("Wait for a reply"),
            "waitReplyCheck",
            self.tr("After sending, show the reply and who sent it"),
        )
        self.timeout_spin = float_spin(
            self,
            "replyTimeoutSpin",
            self.tr("Reply timeout"),
            (0.1, 3600.0),
            value=2.0,
            suffix=self.tr(" s"),
            tip=self.tr("How long to wait for a reply"),
        )
        self.wait_check.toggled.connect(self.timeout_spin.setEnabled)
        self.timeout_spin.setEnabled(False)
        self.keep_check = check_box(
            self,
            self.tr("&Keep open"),
            "keepOpenCheck",
            self.tr(
                "Keep the socket open after sending: show every reply that arrives, send again "
                "from the same port, until Stop"
            ),
        )
        form = QFormLayout(self)
        add_rows(
            form,
            (self.tr("&Count:"), self.count_spin),
            (self.tr("&Interval:"), self.interval_spin),
        )
        form.addRow("", button_row(self.wait_check, self.timeout_spin))
        form.addRow("", self.keep_check)

    def focus_chain(self) -> list[QWidget]:
        return [
            self.count_spin,
            self.interval_spin,
            self.wait_check,
            self.timeout_spin,
            self.keep_check,
        ]
