"""The TCP Client's load test: N connections to one target, each on its own thread, counted
(connected, failed, closed), with one send box for all of them (a :class:`LoadTest` tab)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from gui.panels.base import Panel, wire_runner
from gui.runner import ReceivedRun, Runner
from gui.widgets import LogEntry, TrafficLog, format_bytes, format_count
from gui.widgets.forms import stack
from gui.widgets.payload import PayloadGroup
from gui.widgets.traffic_log import StreamRows
from net.errors import ConnectError, NetError
from net.events import Connected, Disconnected, Received, Sent
from net.tcp import TcpClient

__all__ = ["DESCRIPTORS_PER_CLIENT", "MAX_LOAD_CLIENTS", "ClientGroup", "LoadTest"]

#: Most clients one "Connect N clients" opens: each is a thread and four descriptors (its socket,
#: its selector and the two ends of its wake-up pair).
MAX_LOAD_CLIENTS = 1000
DESCRIPTORS_PER_CLIENT = 4
# Connection ids of a load test's clients: client k's connection c is k * _ID_SPAN + c, so the
# hand-over buffer, which merges received chunks by connection id, never mixes two clients.
_ID_SPAN = 1 << 20


class _ClientFailed:
    """A load test client whose run ended with an error (it never connected, or broke)."""

    __slots__ = ("index", "message", "time")

    def __init__(self, index: int, message: str, time: float) -> None:
        self.index, self.message, self.time = index, message, time


class ClientGroup:
    """N :class:`~net.tcp.TcpClient` connections to one target, each on its own thread, run
    and stopped together (the runner's net object for a load test).

    Events reach ``on_event`` with the connection id of client k as ``k * 2**20 + id`` and
    ``peer`` "#k" (k from 1), so that each client's stream stays its own.
    """

    def __init__(
        self, count: int, settings: dict[str, Any], on_event: Callable[[Any], None]
    ) -> None:
        """Build the clients (no network yet: :meth:`run` connects them).

        Raises:
            AddressError: the settings are not usable (as TcpClient).
        """
        self._on_event = on_event
        self.clients = [
            TcpClient(on_event=self._relay(index), **settings) for index in range(count)
        ]

    def _relay(self, index: int) -> Callable[[Any], None]:
        on_event, base, peer = self._on_event, (index + 1) * _ID_SPAN, f"#{index + 1}"

        def relay(event: Any) -> None:
            conn_id = getattr(event, "conn_id", None)
            if conn_id is not None:
                event = event.replace(conn_id=base + conn_id, peer=peer)
            on_event(event)

        return relay

    def run(self) -> None:
        """Run every client until each has ended (refused, closed, or :meth:`shutdown`)."""

        def run_one(index: int, client: TcpClient) -> None:
            try:
                client.run()
            except NetError as exc:
                self._on_event(_ClientFailed(index, str(exc), time.time()))

        threads = [
            threading.Thread(target=run_one, args=(index, client), name=f"load client {index}")
            for index, client in enumerate(self.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def send_all(self, data: bytes) -> tuple[int, int]:
        """Queue ``data`` on every connected client; thread-safe.

        Returns:
            (clients it was queued on, clients whose queue refused it).
        """
        sent = refused = 0
        for client in self.clients:
            if not client.connected:
                continue
            try:
                client.send(data)
                sent += 1
            except ConnectError:
                refused += 1
        return sent, refused

    @property
    def bytes_in(self) -> int:
        return sum(client.bytes_in for client in self.clients)

    @property
    def bytes_out(self) -> int:
        return sum(client.bytes_out for client in self.clients)

    def shutdown(self) -> None:
        for client in self.clients:
            client.shutdown()

    def close(self) -> None:
        for client in self.clients:
            client.close()


class LoadTest(QWidget):
    """A tab of N connections to one target: how many connected, failed and closed, the bytes,
    one send box for all of them, and a log whose peer column says which client ("#3")."""

    state_changed = Signal()

    def __init__(self, panel: Panel, target: str, count: int) -> None:
        super().__init__(panel)
        self.panel = panel
        self.status = panel.status
        self.target = target
        self.count = count
        self.group: Any = None
        self.runner = wire_runner(Runner(self, name="TCP load test"), self)
        self.ever_connected: set[int] = set()
        self.connected_now: set[int] = set()
        self.failed: set[int] = set()
        self.closed = 0
        self._streams: dict[int, StreamRows] = {}
        self._built: list[ClientGroup] = []
        self._settled = False

        self.summary = QLabel(self)
        self.summary.setObjectName("loadSummaryLabel")
        self.summary.setWordWrap(True)
        send_box = PayloadGroup(self.tr("Pa&yload"), self, name="loadPayloadEdit")
        self.payload = send_box.payload
        self.send_all_button, self.disconnect_button = send_box.add_buttons(
            (
                self.tr("&Send to all"),
                "sendAllButton",
                self.trigger_send,
                self.tr("Send the payload on every connected client"),
            ),
            (
                self.tr("&Disconnect all"),
                "disconnectAllButton",
                self.trigger_stop,
                self.tr("Close every connection of this test"),
            ),
            stretch=False,
        )
        self.log = TrafficLog(self)
        stack(self, self.summary, send_box, self.log, stretch=2).setContentsMargins(0, 4, 0, 0)
        self._show_summary()

    def tab_order(self) -> list[QWidget]:
        return [self.payload, self.send_all_button, self.disconnect_button]

    def title(self) -> str:
        return self.tr("{count} × {target}").format(
            count=format_count(self.count), target=self.target
        )

    @property
    def state(self) -> str:
        if not self.runner.running:
            return "idle"
        return "connected" if self.connected_now else "connecting"

    def start(self, settings: dict[str, Any]) -> None:
        count, push, built = self.count, self.runner.push, self._built

        def open_group() -> ClientGroup:
            group = ClientGroup(count, settings, push)
            built.append(group)
            return group

        self.runner.start(open_group, lambda group: group.run())
        self.status.show_info(
            self.tr("Connecting {count} clients to {peer}…").format(
                count=format_count(count), peer=self.target
            )
        )
        self._show_summary()

    def trigger_start(self) -> None:
        """Ctrl+R on a load test: nothing; its clients start with the tab."""

    def trigger_stop(self) -> None:
        self.runner.stop()

    def trigger_send(self) -> None:
        group = self.group
        if group is None or not self.connected_now:
            self.status.show_error(self.tr("No client is connected"))
            return
        if self.payload.check():
            self.status.show_error(self.payload.error.message)
            return
        sent, refused = group.send_all(self.payload.payload())
        message = self.tr("Sent to {count} clients", "", sent).format(count=format_count(sent))
        if refused:
            message = self.tr("{message}; {count} did not take it (their queue is full)").format(
                message=message, count=format_count(refused)
            )
            self.status.show_warning(message)
        else:
            self.status.show_info(message)

    @property
    def connected(self) -> bool:
        return bool(self.connected_now)

    def _on_opened(self, group: Any) -> None:
        self.group = group

    def _on_events(self, events: list[Any]) -> None:
        if self.group is None and self._built:
            self.group = self._built[-1]  # the batch may come before the opened signal
        rows: list[LogEntry] = []
        for event in events:
            if isinstance(event, _ClientFailed):
                self.failed.add(event.index)
                peer = f"#{event.index + 1}"
                rows.append(LogEntry(event.time, "error", peer, b"", event.message))
                continue
            client = getattr(event, "conn_id", 0) // _ID_SPAN - 1
            if isinstance(event, Received | ReceivedRun):
                stream = self._streams.setdefault(client, StreamRows())
                rows.append(stream.row(event))
            elif isinstance(event, Sent):
                rows.append(LogEntry(event.time, "out", event.peer, event.data))
            elif isinstance(event, Connected):
                self.ever_connected.add(client)
                self.connected_now.add(client)
                self.log.set_local(event.local, event.peer)
                message = self.tr("Connected")
                rows.append(LogEntry(event.time, "info", event.peer, b"", message))
            elif isinstance(event, Disconnected):
                self.connected_now.discard(client)
                self.closed += 1
                ended = self._streams.pop(client) if client in self._streams else None
                if ended is not None:
                    rows.append(ended.finish(event.time, event.peer))
                rows.append(
                    LogEntry(
                        event.time,
                        "error" if event.error else "info",
                        event.peer,
                        b"",
                        self.tr("Disconnected: {reason}").format(reason=event.reason),
                    )
                )
        self.log.append(rows)
        self._show_summary()
        if not self._settled and len(self.ever_connected | self.failed) >= self.count:
            # Every client has connected or failed: the "Connecting…" line is over.
            self._settled = True
            if self.failed:
                self.status.show_warning(self.summary.text())
            else:
                self.status.show_info(self.summary.text())
        self.state_changed.emit()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        self.log.note(message, self.target, error=True)

    def _on_finished(self) -> None:
        self.connected_now.clear()
        self._show_summary()
        self.status.show_info(self.summary.text())
        self.send_all_button.setEnabled(False)
        self.disconnect_button.setEnabled(False)
        self.state_changed.emit()

    def _show_summary(self) -> None:
        group = self.group
        received = group.bytes_in if group is not None else 0
        sent = group.bytes_out if group is not None else 0
        self.summary.setText(
            self.tr(
                "{count} clients to {peer}: {connected} connected, {now} still up, "
                "{failed} failed, {closed} closed · received {received} · sent {sent}"
            ).format(
                count=format_count(self.count),
                peer=self.target,
                connected=format_count(len(self.ever_connected)),
                now=format_count(len(self.connected_now)),
                failed=format_count(len(self.failed)),
                closed=format_count(self.closed),
                received=format_bytes(received),
                sent=format_bytes(sent),
            )
        )
