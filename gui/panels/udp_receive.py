"""UDP Receive: listen on an address and port, show every datagram and its sender, count exactly."""

from __future__ import annotations

import contextlib
import threading
from operator import itemgetter
from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from gui.panels.base import LoopPanel, set_tab_chain
from gui.panels.udp_receive_form import AutoReplyBox, HandSendBox, UdpListenBox
from gui.widgets import DEFAULT_LOG_LIMIT, RateMeter, TrafficLog, format_bytes, format_count
from gui.widgets.forms import counters_row, stack, start_stop_buttons
from gui.widgets.style import set_text_role
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


class UdpReceivePanel(LoopPanel):
    """Listen for datagrams; counters come from the receiver's exact stats, the log is bounded."""

    def __init__(
        self, parent: QWidget | None = None, *, log_limit: int = DEFAULT_LOG_LIMIT
    ) -> None:
        # Events beyond the log's size would be dropped by the log anyway.
        super().__init__(parent, "UDP receive", buffer_limit=max(log_limit, 1000))
        self.setObjectName("udpReceivePanel")
        self.receiver: Any = None
        self._rate = RateMeter()
        self._rate_value = 0.0
        self._address = ""
        self._build(log_limit)
        self._tick = self.ticker(self._update_counters)
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self, log_limit: int) -> None:
        listen = self.listen = UdpListenBox(self)
        self.bind, self.port = listen.bind, listen.port
        self.group_edit, self.group_error = listen.group_edit, listen.group_error
        reply_box = self.reply_box = AutoReplyBox(self)
        self.reply_check, self.reply, self.rules = (
            reply_box.reply_check,
            reply_box.reply,
            reply_box.rules,
        )
        reply_box.changed.connect(self._on_rules_changed)
        send_box = HandSendBox(self, self.send_to_target, self.send_to_selected)
        self.send_host, self.send_port = send_box.send_host, send_box.send_port
        self.send_payload = send_box.send_payload
        self.send_to_button = send_box.send_to_button
        self.send_selected_button = send_box.send_selected_button

        start = (self.tr("&Start"), self.tr("Start listening (Ctrl+R)"))
        stop = (self.tr("S&top"), self.tr("Stop listening (Ctrl+.)"))
        self.start_button, self.stop_button = start_stop_buttons(self, start, stop)
        self.counters = QLabel(self)
        self.counters.setObjectName("countersLabel")
        self.warning = QLabel(self)
        self.warning.setObjectName("rcvbufWarning")
        self.warning.setWordWrap(True)
        set_text_role(self.warning, "warning")
        self.warning.hide()

        buttons = counters_row((self.start_button, self.stop_button), self.counters)

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

        stack(self, top, buttons, self.warning, self.log, self.status, stretch=3)

        set_tab_chain(
            *listen.focus_chain(),
            *reply_box.focus_chain(),
            *send_box.focus_chain(),
            self.start_button,
            self.stop_button,
        )
        self._show_counters(0, 0, 0.0)

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        checks = (self.bind.check(), self.port.check(), self.listen.check_group())
        if not self.inputs_ok(*checks, self.reply_box.check()):
            return
        host, port = self.bind.address(), self.port.port()
        group = self.listen.group()
        reply = self.reply_box.reply_bytes()
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
        if not self.inputs_ok(self.send_host.check(), self.send_port.check()):
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
        """The rules with the auto-reply as their fallback (see AutoReplyBox.responder)."""
        return self.reply_box.responder(reply, self.log.model.encoding)

    def _on_rules_changed(self) -> None:
        if self.receiver is None or not self.runner.running:
            return
        if self.reply_box.check():
            return  # half-typed hex: the editor says why; the previous reply answers meanwhile
        reply = self.reply_box.reply_bytes()
        # A bad rule: the table says which; the previous rules answer meanwhile. The receiver
        # reads the attribute for each datagram, so swapping it is thread-safe.
        with contextlib.suppress(NetError):
            self.receiver.responder = self._responder(reply)
            # The responder answers; this only keeps the start-up reply from coming back.
            self.receiver.reply = reply

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

    def _on_finished(self) -> None:
        if self.receiver is not None:
            port = int(self.receiver.port)
            if _bound.get(port) is self.receiver:
                del _bound[port]
        self._tick.stop()
        self._rate.reset()
        self._update_counters(final=True)
        if self.receiver is not None:
            self.show_stopped(
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
        self.show_running(running, self.bind, self.port, self.group_edit)
        for button in (self.send_to_button, self.send_selected_button):
            button.setEnabled(running)
