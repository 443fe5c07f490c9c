"""The boxes of one TCP Client tab: the server it connects to (host, port, connect timeout) with
the Connect / Disconnect pair, the settings a client takes from it and the TLS and connection
options, and the payload with what sends it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QWidget

from gui.panels.base import first_problem
from gui.panels.udp_send import rtt_text
from gui.widgets import HostField, PortField, format_bytes
from gui.widgets.forms import (
    FieldsBox,
    ask_file,
    spin_box,
    start_stop_buttons,
)
from gui.widgets.payload import PayloadGroup
from gui.widgets.security import ClientSecurityBox, ConnectionOptionsBox
from gui.widgets.send_tools import save_script_button
from gui.widgets.status import StatusLine
from net.errors import AddressError, NetError
from net.events import Sent
from net.rtt import RoundTrips

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = [
    "ConnectionCounters",
    "PayloadBox",
    "ServerBox",
    "connection_settings",
    "script_options",
]


class ServerBox(FieldsBox):
    """The server a tab connects to (host, port, how long to try) and Connect / Disconnect,
    which call the tab's ``trigger_start`` / ``trigger_stop``."""

    def __init__(self, tab: QWidget) -> None:
        super().__init__(tab)
        self.setTitle(self.tr("Server"))
        self.host = HostField(self)
        self.port = PortField(self)
        what, tip = self.tr("Connect timeout"), self.tr("Give up connecting after this long")
        self.timeout_spin = spin_box(
            QDoubleSpinBox(self),
            "connectTimeoutSpin",
            what,
            (0.5, 600.0),
            value=10.0,
            suffix=self.tr(" s"),
            tip=tip,
        )
        start = (self.tr("&Connect"), self.tr("Connect to the server (Ctrl+R)"))
        stop = (self.tr("&Disconnect"), self.tr("Close the connection (Ctrl+.)"))
        self.connect_button, self.disconnect_button = start_stop_buttons(
            tab, start, stop, names=("connectButton", "disconnectButton")
        )
        self.add_rows(
            (self.tr("H&ost:"), self.host, self.host.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
            (self.tr("T&imeout:"), self.timeout_spin),
        )
        self.add_buttons(self.connect_button, self.disconnect_button)

    def copy_target(self, other: ServerBox) -> None:
        """Start from ``other``'s server, timeout and recent hosts (a new tab to the same place)."""
        self.host.set_recent(other.host.recent())
        self.host.set_text(other.host.text())
        self.port.set_text(other.port.text())
        self.timeout_spin.setValue(other.timeout_spin.value())

    def target(self) -> str:
        """ "host:port" ("[::1]:port" for an IPv6 address) of the fields (checked first)."""
        host, port = self.host.host(), self.port.port()
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connection_settings(
    server: ServerBox, security: ClientSecurityBox, options: ConnectionOptionsBox
) -> dict[str, Any]:
    """What a :class:`net.tcp.TcpClient` to ``server``'s target takes: host, port, tls,
    connect_timeout (seconds) and the connection options.

    Raises:
        AddressError: a field is not usable (each field shows its own problem).
        PayloadError: a heartbeat payload does not parse.
    """
    problem = first_problem(server.host.check(), server.port.check())
    if problem:
        raise AddressError(problem)
    tls = security.client_tls()
    kwargs = options.client_kwargs()
    return {
        "host": server.host.host(),
        "port": server.port.port(),
        "tls": tls,
        "connect_timeout": server.timeout_spin.value(),
        **kwargs,
    }


class PayloadBox(PayloadGroup):
    """The payload and what sends it on the connection: Send, Send file…, and Save log as
    script… (``save_script``).

    ``client`` gives the connected client (None while not connected); the outcome is said on
    ``status``.
    """

    def __init__(
        self,
        parent: QWidget,
        status: StatusLine,
        client: Callable[[], Any],
        save_script: Callable[[], object],
    ) -> None:
        super().__init__(self.tr("Pa&yload"), parent)
        self.status, self._client = status, client
        self.save_script_button = save_script_button(self, save_script)
        send_tip = self.tr("Send the payload (Ctrl+Return)")
        self.send_button, self.send_file_button = self.add_buttons(
            (self.tr("&Send"), "sendButton", self.send, send_tip),
            (
                self.tr("Send fi&le…"),
                "sendFileButton",
                self._choose_file,
                self.tr("Send the contents of a file, as is"),
            ),
            after=[self.save_script_button],
        )

    def send(self) -> None:
        """Queue the payload on the connection."""
        client = self._ready_client()
        if client is None:
            return
        if self.payload.check():
            self.status.show_error(self.payload.error.message)
            return
        self._send(lambda: client.send(self.payload.payload()))

    def send_file(self, path: str) -> None:
        """Queue a file's bytes on the connection (what "Send file…" does after its dialog)."""
        client = self._ready_client()
        if client is None:
            return
        if not Path(path).is_file():
            self.status.show_error(self.tr("{path} is not a readable file").format(path=path))
            return
        if self._send(lambda: client.send_file(path)):
            self.status.show_info(
                self.tr("Sending {name} ({size})…").format(
                    name=Path(path).name, size=format_bytes(Path(path).stat().st_size)
                )
            )

    def _choose_file(self) -> None:
        if self._ready_client() is not None:
            ask_file(self, self.tr("Send a file"), "", self.send_file)

    def _ready_client(self) -> Any:
        client = self._client()
        if client is None:
            self.status.show_error(self.tr("Not connected: connect to a server first"))
        return client

    def _send(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        except OSError as exc:
            self.status.show_error(
                self.tr("Cannot send: {reason}").format(reason=exc.strerror or exc)
            )
            return False
        return True

    def focus_chain(self) -> list[QWidget]:
        return [self.payload, self.send_button, self.send_file_button, self.save_script_button]


class ConnectionCounters(QLabel):
    """The connection's counters in one line: connected or not, bytes each way, heartbeats sent
    and the round-trip times (from a send to the first reply after it)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("countersLabel")
        self.heartbeats = 0
        self.trips = RoundTrips()
        self.last_rtt: float | None = None

    def reset(self) -> None:
        """A new connection counts from zero."""
        self.heartbeats = 0
        self.trips.reset()
        self.last_rtt = None

    def sent(self, event: Sent) -> None:
        if event.heartbeat:
            self.heartbeats += 1
        else:
            self.trips.sent(event.time)  # a heartbeat's answer is no reply to a send

    def received(self, time: float) -> float | None:
        """The round-trip time (ms) a chunk received at ``time`` ends, if it is a reply."""
        rtt = self.trips.replied(time)
        if rtt is not None:
            self.last_rtt = rtt
        return rtt

    def show_counts(self, client: Any, peer: str | None) -> None:
        """Show ``client``'s byte counts (none without a client), connected to ``peer`` (None:
        not connected)."""
        received = int(getattr(client, "bytes_in", 0)) if client is not None else 0
        sent = int(getattr(client, "bytes_out", 0)) if client is not None else 0
        state = (
            self.tr("Connected to {peer}").format(peer=peer)
            if peer is not None
            else self.tr("Not connected")
        )
        text = self.tr("{state} · received {received} · sent {sent}").format(
            state=state, received=format_bytes(received), sent=format_bytes(sent)
        )
        if self.heartbeats:
            text = self.tr("{counters} · {count} heartbeats").format(
                counters=text, count=QLocale().toString(self.heartbeats)
            )
        self.setText(text + rtt_text(self.trips, self.last_rtt))


def script_options(tls: ClientTls | None) -> tuple[str, dict[str, str | bool]]:
    """The protocol ("tcp" or "tls") and the connection options of a script that talks to the
    server as a client with ``tls`` does (Record -> script)."""
    extra: dict[str, str | bool] = {}
    if tls is not None:
        if tls.fingerprint:
            extra["fingerprint"] = tls.fingerprint
        elif not tls.verify:
            extra["insecure"] = True
        if tls.cafile:
            extra["cafile"] = tls.cafile
    return ("tls" if tls is not None else "tcp"), extra
