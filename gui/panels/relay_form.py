"""The Relay's boxes: where it listens and where it forwards to (Relay), the faults it makes
(the Faults page), the connections it holds (the Connections page) and its counters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from gui.panels.base import Panel
from gui.widgets import HostField, PortField, format_bytes, format_count
from gui.widgets.connection_table import ConnectionTable, clock
from gui.widgets.forms import (
    FieldsBox,
    button_row,
    check_box,
    listen_fields,
    option_combo,
    push_buttons,
    spin_box,
    stack,
    start_stop_buttons,
)
from net.relay import TO_CLIENT, TO_TARGET, Faults, UdpRelay

__all__ = ["ConnectionsPage", "FaultsPage", "RelayBox", "RelayCounters"]

_MOST_BYTES = 2_000_000_000
_LONGEST_MS = 600_000


class RelayBox(FieldsBox):
    """Where the relay listens, the target it forwards to, TCP or UDP, and Start / Stop."""

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.setTitle(self.tr("Relay"))
        self.bind, self.port = listen_fields(self)
        self.target_host = HostField(self, name="targetHostEdit")
        self.target_port = PortField(self, name="targetPortEdit")
        tip = self.tr("Relay TCP connections or UDP datagrams")
        choices = [("TCP", "tcp"), ("UDP", "udp")]
        self.protocol = option_combo(self, "protocolCombo", tip, self.tr("Protocol"), choices)
        start = (self.tr("&Start"), self.tr("Start relaying (Ctrl+R)"))
        stop = (self.tr("S&top"), self.tr("Stop the relay and close every connection (Ctrl+.)"))
        self.start_button, self.stop_button = start_stop_buttons(panel, start, stop)
        self.add_rows(
            (self.tr("&Listen on:"), self.bind, self.bind.combo),
            (self.tr("Listen &port:"), self.port, self.port.edit),
            (self.tr("Tar&get host:"), self.target_host, self.target_host.combo),
            (self.tr("Target p&ort:"), self.target_port, self.target_port.edit),
            (self.tr("Protocol:"), self.protocol),
        )
        self.add_buttons(self.start_button, self.stop_button)

    def udp(self) -> bool:
        return bool(self.protocol.currentData() == "udp")


class FaultsPage(QWidget):
    """The faults the relay makes, in one direction or both; they apply at once.

    Signals:
        changed(): a fault, the direction, Stall or Down changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("faultsPage")
        directions = [
            (self.tr("Both directions"), "both"),
            (self.tr("-> to the target"), TO_TARGET),
            (self.tr("<- to the client"), TO_CLIENT),
        ]
        what = self.tr("Faults apply to")
        tip = self.tr("The direction the faults below apply to; the other one flows untouched")
        self.fault_direction = option_combo(self, "faultDirectionCombo", tip, what, directions)
        ms, percent = self.tr(" ms"), " %"
        self.delay = self._float("delaySpin", self.tr("Delay"), _LONGEST_MS, ms)
        self.jitter = self._float("jitterSpin", self.tr("Jitter"), _LONGEST_MS, ms)
        self.rate = self._int("rateSpin", self.tr("Bandwidth limit"), self.tr(" B/s"))
        self.rate.setSpecialValueText(self.tr("unlimited"))
        self.loss = self._float("lossSpin", self.tr("Loss (UDP)"), 100, percent)
        self.duplicate = self._float("duplicateSpin", self.tr("Duplication (UDP)"), 100, percent)
        self.reorder = self._float("reorderSpin", self.tr("Reordering (UDP)"), 100, percent)
        self.slice = self._int("sliceSpin", self.tr("Slice size (TCP)"), self.tr(" B"))
        self.slice.setSpecialValueText(self.tr("off"))
        self.slice_pause = self._float(
            "slicePauseSpin", self.tr("Pause after each slice"), _LONGEST_MS, ms
        )
        self.reset_after = self._int("resetAfterSpin", self.tr("Reset after (TCP)"), " B")
        self.reset_after.setSpecialValueText(self.tr("never"))
        tip = self.tr("Forward nothing, but keep the connections open")
        self.stall = check_box(self, self.tr("Stall"), "stallCheck", tip)
        tip = self.tr("Refuse new connections and drop every datagram")
        self.down = check_box(self, self.tr("Down"), "downCheck", tip)
        for momentary in (self.stall, self.down):
            momentary.setProperty("persist", False)  # a new session starts with traffic flowing
        self.spins = (
            self.delay,
            self.jitter,
            self.rate,
            self.loss,
            self.duplicate,
            self.reorder,
            self.slice,
            self.slice_pause,
            self.reset_after,
        )
        labels = [
            self.tr("Delay:"),
            self.tr("Jitter:"),
            self.tr("Bandwidth:"),
            self.tr("Loss:"),
            self.tr("Duplicate:"),
            self.tr("Reorder:"),
            self.tr("Slice:"),
            self.tr("Slice pause:"),
            self.tr("Reset after:"),
        ]
        rows: list[tuple[str, QWidget]] = [
            (self.tr("Apply to:"), self.fault_direction),
            *zip(labels, self.spins, strict=True),
        ]
        # Three pairs a row across the panel's whole width: two a row beside the Relay box did
        # not fit an 800x600 window. Stall and Down end the last row.
        grid = QGridLayout(self)
        for index, (text, widget) in enumerate(rows):
            row, pair = divmod(index, 3)
            label = QLabel(text, self)
            label.setBuddy(widget)
            grid.addWidget(label, row, pair * 2)
            grid.addWidget(widget, row, pair * 2 + 1)
        last, pair = divmod(len(rows), 3)
        grid.addWidget(self.stall, last, pair * 2, 1, 2)
        grid.addWidget(self.down, last, pair * 2 + 2, 1, 2)
        for signal in (
            *(spin.valueChanged for spin in self.spins),
            self.fault_direction.currentIndexChanged,
            self.stall.toggled,
            self.down.toggled,
        ):
            signal.connect(lambda *_: self.changed.emit())

    def _float(self, name: str, what: str, maximum: int, suffix: str) -> QDoubleSpinBox:
        return spin_box(QDoubleSpinBox(self), name, what, (0, maximum), suffix=suffix, tip=what)

    def _int(self, name: str, what: str, suffix: str) -> QSpinBox:
        spin = spin_box(QSpinBox(self), name, what, (0, _MOST_BYTES), suffix=suffix, tip=what)
        spin.setSingleStep(1024)
        return spin

    def faults(self) -> Faults:
        """The faults the controls describe now."""
        return Faults(
            delay_ms=self.delay.value(),
            jitter_ms=self.jitter.value(),
            rate=self.rate.value(),
            loss=self.loss.value(),
            duplicate=self.duplicate.value(),
            reorder=self.reorder.value(),
            slice_bytes=self.slice.value(),
            slice_pause_ms=self.slice_pause.value(),
            reset_after=self.reset_after.value(),
            stall=self.stall.isChecked(),
        )

    def apply_to(self, relay: Any) -> None:
        """Give ``relay`` these faults, in the chosen direction (none the other way), and Down.

        Raises:
            NetError: the faults are not usable.
        """
        faults = self.faults()
        direction = self.fault_direction.currentData()
        if direction == "both":
            relay.set_faults(faults)
        else:
            other = TO_CLIENT if direction == TO_TARGET else TO_TARGET
            relay.set_faults(faults, direction)
            relay.set_faults(Faults(), other)
        relay.set_down(self.down.isChecked())

    def set_protocol(self, udp: bool) -> None:
        """Enable the faults that the protocol has (loss and the like are UDP's, slices TCP's)."""
        for spin in (self.loss, self.duplicate, self.reorder):
            spin.setEnabled(udp)
        for tcp_only in (self.slice, self.slice_pause, self.reset_after):
            tcp_only.setEnabled(not udp)

    def focus_chain(self) -> list[QWidget]:
        return [self.fault_direction, *self.spins, self.stall, self.down]


class ConnectionsPage(QWidget):
    """The relayed connections (client, target, since, bytes each way), and Close / Reset."""

    CONN, CLIENT, TARGET, SINCE, UP, DOWN = range(6)

    def __init__(self, parent: QWidget, close: Callable[[bool], object]) -> None:
        super().__init__(parent)
        self.setObjectName("connectionsPage")
        self.connections = ConnectionTable(
            self,
            "connectionTable",
            self.tr("Relayed connections"),
            ["#", self.tr("Client"), self.tr("Target"), self.tr("Since"), TO_TARGET, TO_CLIENT],
            id_column=self.CONN,
            stretch=self.CLIENT,
            rows_shown=9,
        )
        tips = (
            self.tr("Close the selected connections in order (FIN)"),
            self.tr("Reset the selected connections (RST)"),
        )
        self.close_button, self.reset_button = push_buttons(
            self,
            (self.tr("&Close selected"), "closeConnectionButton", lambda: close(False), tips[0]),
            (self.tr("&Reset selected"), "resetConnectionButton", lambda: close(True), tips[1]),
        )
        stack(self, self.connections, button_row(self.close_button, self.reset_button), stretch=0)

    def show_connections(self, relay: Any) -> None:
        """Show ``relay``'s connections (none without a relay)."""
        self.connections.show_infos(
            relay.connections() if relay is not None else [],
            lambda info: [
                str(info.conn_id),
                info.client,
                info.target,
                clock(info.since),
                format_bytes(info.bytes_to_target),
                format_bytes(info.bytes_to_client),
            ],
        )

    def enable_actions(self, running: bool) -> None:
        """Close and Reset work on a selection while the relay runs."""
        selected = running and self.connections.has_selection()
        self.close_button.setEnabled(selected)
        self.reset_button.setEnabled(selected)

    def focus_chain(self) -> list[QWidget]:
        return [self.connections, self.close_button, self.reset_button]


class RelayCounters(QLabel):
    """Each direction's counters in one line: chunks (TCP) or datagrams (UDP), bytes, dropped
    and duplicated."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("countersLabel")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_counts(self, relay: Any) -> None:
        """Show ``relay``'s counters ("Not relaying" without a relay)."""
        if relay is None:
            self.setText(self.tr("Not relaying"))
            return
        udp = isinstance(relay, UdpRelay)
        parts = []
        for direction, counters in relay.counters().items():
            if udp:
                units = self.tr("{count} datagrams", "", counters.chunks)
            else:
                units = self.tr("{count} chunks", "", counters.chunks)
            parts.append(
                self.tr(
                    "{direction} {units}, {size}, {dropped} dropped, {duplicated} duplicated"
                ).format(
                    direction=direction,
                    units=units.format(count=format_count(counters.chunks)),
                    size=format_bytes(counters.bytes),
                    dropped=format_count(counters.dropped),
                    duplicated=format_count(counters.duplicated),
                )
            )
        self.setText("   ".join(parts))
