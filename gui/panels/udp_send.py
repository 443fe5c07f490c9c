"""UDP Send: send a payload to a host and port once or repeatedly, optionally waiting for a reply."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from gui.panels.base import LoopPanel, set_tab_chain
from gui.panels.udp_send_form import SendingBox, TargetBox
from gui.widgets import LogEntry, TrafficLog, format_bytes, format_count
from gui.widgets.forms import counters_row, stack, start_stop_buttons
from gui.widgets.payload import PayloadGroup
from gui.widgets.send_tools import save_script_button
from net.codec import render_text, to_hex
from net.events import Datagram
from net.rtt import RoundTrips
from net.udp import UdpSender

__all__ = ["UdpSendPanel", "rtt_text"]


def rtt_text(trips: RoundTrips, last: float | None = None) -> str:
    """ " · rtt 1.234 ms", or with several round trips " · rtt min/median/max 1.0/1.2/3.4 ms";
    empty before the first reply. Times are from a send to the first reply after it."""
    spread = trips.spread()
    if spread is None:
        return ""
    if len(trips.times_ms) == 1:
        shown = last if last is not None else spread[0]
        return QCoreApplication.translate("RoundTrips", " · rtt {ms} ms").format(ms=f"{shown:.3f}")
    low, mid, high = spread
    return QCoreApplication.translate(
        "RoundTrips", " · rtt min/median/max {low}/{median}/{high} ms"
    ).format(low=f"{low:.3f}", median=f"{mid:.3f}", high=f"{high:.3f}")


class UdpSendPanel(LoopPanel):
    """Send datagrams: host, port, payload, repeat count and interval, broadcast, reply wait."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "UDP send")
        self.setObjectName("udpSendPanel")
        self._peer = ""
        self._sent = 0
        self._sent_bytes = 0
        self._payload_size = 0
        self._replies = 0
        self._waiting = False
        self._last_reply: Datagram | None = None
        self._timeout = 0.0
        self._rtt = RoundTrips()
        self._sender: Any = None
        self._kept_open = False
        self._shared_port = 0  # the local port borrowed from UDP Receive (0: a socket of its own)
        self._build()
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        target = TargetBox(self)
        self.host, self.port = target.host, target.port
        self.bind_port, self.broadcast_check = target.bind_port, target.broadcast_check
        options = SendingBox(self)
        self.count_spin, self.interval_spin = options.count_spin, options.interval_spin
        self.wait_check, self.timeout_spin = options.wait_check, options.timeout_spin
        self.keep_check = options.keep_check

        payload_box = PayloadGroup(self.tr("Pa&yload"), self)
        self.payload = payload_box.payload
        stack(payload_box, self.payload)

        start = (self.tr("&Send"), self.tr("Send the payload (Ctrl+Return)"))
        stop = (self.tr("S&top"), self.tr("Stop repeating or waiting (Ctrl+.)"))
        self.send_button, self.stop_button = start_stop_buttons(
            self, start, stop, names=("sendButton", "stopButton"), on_start=self.trigger_send
        )
        self.start_button = self.send_button  # the Start of this panel's pair
        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.save_script_button = save_script_button(self, self.save_as_script)
        buttons = counters_row(
            (self.send_button, self.stop_button), self.counters, self.save_script_button
        )

        self.log = TrafficLog(self)

        top = QGridLayout()
        top.addWidget(target, 0, 0)
        top.addWidget(options, 0, 1)
        top.setColumnStretch(0, 3)
        top.setColumnStretch(1, 2)

        stack(self, top, payload_box, buttons, self.log, self.status, stretch=3)

        set_tab_chain(
            *target.focus_chain(),
            *options.focus_chain(),
            self.payload,
            self.send_button,
            self.stop_button,
            self.save_script_button,
        )
        self.target, self.options = target, options
        self._show_counters()

    # -- actions -------------------------------------------------------------------------------

    def save_as_script(self, path: str | None = None) -> bool:
        """Record -> script: what the log shows, against the host and port in the fields."""
        if not self.inputs_ok(self.host.check(), self.port.check()):
            return False
        from gui.panels.scripts import save_log_as_script  # the script engine, when first used

        return save_log_as_script(
            self, self.status, self.log, "udp", self.host.host(), self.port.port(), path=path
        )

    def trigger_send(self) -> None:
        kept = self._sender if self._kept_open and self.runner.running else None
        if self.runner.running and kept is None:
            return
        checks = (self.host, self.port, self.bind_port, self.payload)
        if not self.inputs_ok(*(field.check() for field in checks)):
            return
        host, port = self.host.host(), self.port.port()
        bind_port = self.bind_port.port()
        self._payload_size = len(self.payload.next_bytes())
        data = self.payload.payload_source()  # one payload per datagram: {{counter}} counts
        count = self.count_spin.value()
        interval = self.interval_spin.value() / 1000.0
        peer = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if kept is not None:
            if peer != self._peer:
                self.status.show_error(
                    self.tr(
                        "The open socket sends to {peer}: press Stop to send somewhere else"
                    ).format(peer=self._peer)
                )
                return
            kept.queue(data, count, interval)  # the open socket sends it, from the same port
            self.status.show_info(self.tr("Sending to {peer}…").format(peer=self._peer))
            return
        broadcast = self.broadcast_check.isChecked()
        self._waiting = self.wait_check.isChecked()
        self._timeout = self.timeout_spin.value()
        self._kept_open = self.keep_check.isChecked()
        # An open socket shows every reply anyway; waiting would only delay the next datagram.
        reply_timeout = self._timeout if self._waiting and not self._kept_open else None
        self.host.remember(self.host.text())
        self._sent = self._sent_bytes = self._replies = 0
        self._last_reply = None
        self._sender = None
        self._rtt.reset()
        self._peer = peer
        # The port a receive panel of this app holds is shared, not "in use by another program".
        from gui.panels.udp_receive import bound_receiver  # its panel's module, once sending

        via = bound_receiver(bind_port) if bind_port else None
        self._shared_port = bind_port if via is not None else 0
        keep_open = self._kept_open
        push = self.runner.push

        def open_sender() -> UdpSender:
            return UdpSender(host, port, bind_port=bind_port, broadcast=broadcast, via=via)

        def run(sender: UdpSender) -> int:
            if keep_open:
                sender.queue(data, count, interval)
                return int(sender.keep_open(on_sent=push, on_reply=push))
            return int(
                sender.run_repeat(
                    data,
                    count,
                    interval,
                    on_sent=push,
                    on_reply=push if reply_timeout is not None else None,
                    reply_timeout=reply_timeout,
                )
            )

        self.runner.start(open_sender, run)
        self._set_running(True)
        self._show_counters()
        if via is not None:
            self.status.show_info(
                self.tr(
                    "Sending to {peer} from port {port}, which UDP Receive holds: "
                    "replies appear there"
                ).format(peer=self._peer, port=bind_port)
            )
        else:
            self.status.show_info(self.tr("Sending to {peer}…").format(peer=self._peer))

    def trigger_start(self) -> None:
        self.trigger_send()

    # -- results -------------------------------------------------------------------------------

    def _on_opened(self, sender: Any) -> None:
        self._sender = sender

    def _on_events(self, events: list[Datagram]) -> None:
        rows = []
        last_reply: Datagram | None = None
        last_rtt: float | None = None
        for event in events:
            if event.outgoing:
                self._sent += 1
                self._sent_bytes += len(event.data)
                self._rtt.sent(event.time)
                rows.append(LogEntry(event.time, "out", event.peer, event.data))
            else:
                self._replies += 1
                last_reply = event
                last_rtt = self._rtt.replied(event.time)
                rows.append(LogEntry(event.time, "in", event.peer, event.data, rtt_ms=last_rtt))
        self.log.append(rows)
        if last_reply is not None:
            self._last_reply = last_reply
            text = self._reply_text(last_reply)
            if last_rtt is not None:
                text = self.tr("{reply} (after {ms} ms)").format(reply=text, ms=f"{last_rtt:.3f}")
            self.status.show_info(text)
        self._show_counters()

    def _on_returned(self, sent: object) -> None:
        count = int(sent) if isinstance(sent, int) else self._sent
        # The events may have been thinned out under a flood; the returned count is exact.
        if count != self._sent:
            self._sent, self._sent_bytes = count, count * self._payload_size
        if self._shared_port:
            self.status.show_info(
                self.tr(
                    "Sent {count} to {peer} from port {port}; replies appear in UDP Receive"
                ).format(count=self._datagrams(count), peer=self._peer, port=self._shared_port)
            )
        elif self._waiting and self._replies == 0:
            self.status.show_warning(
                self.tr("Sent {count} to {peer}; no reply within {timeout} s").format(
                    count=self._datagrams(count), peer=self._peer, timeout=f"{self._timeout:g}"
                )
            )
        elif self._replies and self._last_reply is not None:
            self.status.show_info(
                self.tr("Sent {count} to {peer}; {replies} received. {last}").format(
                    count=self._datagrams(count),
                    peer=self._peer,
                    replies=self._reply_count(self._replies),
                    last=self._reply_text(self._last_reply),
                )
            )
        else:
            self.status.show_info(
                self.tr("Sent {count} to {peer}").format(
                    count=self._datagrams(count), peer=self._peer
                )
            )

    def failure_peer(self) -> str:
        return self._peer

    def live_work(self) -> list[str]:
        return [self.tr("1 UDP send in progress")] if self.runner.running else []

    def _on_finished(self) -> None:
        self._sender = None
        self._set_running(False)
        self._show_counters()

    # -- helpers -------------------------------------------------------------------------------

    def _reply_text(self, reply: Datagram) -> str:
        preview = reply.data[:120]
        if self.log.model.hex_mode:
            shown = to_hex(preview)
        else:
            shown = render_text(preview, self.log.model.encoding)
        more = "…" if len(reply.data) > len(preview) else ""
        return self.tr("Reply from {peer} ({size}): {data}{more}").format(
            peer=reply.peer, size=format_bytes(len(reply.data)), data=shown, more=more
        )

    def _datagrams(self, count: int) -> str:
        return self.tr("{count} datagrams", "", count).format(count=format_count(count))

    def _reply_count(self, count: int) -> str:
        return self.tr("{count} replies", "", count).format(count=format_count(count))

    def _show_counters(self) -> None:
        self.counters.setText(
            self.tr("{sent} sent · {bytes} · {replies}").format(
                sent=self._datagrams(self._sent),
                bytes=format_bytes(self._sent_bytes),
                replies=self._reply_count(self._replies),
            )
            + rtt_text(self._rtt)
        )

    def _set_running(self, running: bool) -> None:
        kept = running and self._kept_open
        self.show_running(running, *self.target.inputs(), self.keep_check)
        # An open socket takes more sends; the fields of where it sends stay as they were.
        self.send_button.setEnabled(not running or kept)
        if kept:
            activity = self.tr("UDP socket open to {peer}").format(peer=self._peer)
        elif running:
            activity = self.tr("UDP sending to {peer}").format(peer=self._peer)
        else:
            activity = ""
        self.set_activity(activity)
