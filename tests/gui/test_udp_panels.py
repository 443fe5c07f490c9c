"""UDP Send and UDP Receive panels against real loopback sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets import TrafficLogModel
from tests.conftest import WAIT
from tests.gui.conftest import UdpEcho, free_port

TIMEOUT = int(WAIT * 1000)


def start_listening(qtbot: QtBot, panel: UdpReceivePanel, host: str = "127.0.0.1") -> int:
    panel.bind.set_address(host)
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.receiver is not None, timeout=TIMEOUT)
    assert not panel.start_button.isEnabled()
    assert panel.stop_button.isEnabled()
    return int(panel.receiver.port)


def stop(qtbot: QtBot, panel: UdpReceivePanel | UdpSendPanel) -> None:
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


def test_receive_panel_shows_a_datagram_and_its_sender(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    port = start_listening(qtbot, receive_panel)
    assert "Listening on 127.0.0.1:" in receive_panel.status.text()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sender = f"127.0.0.1:{sock.getsockname()[1]}"
        sock.sendto(b"hello panel", ("127.0.0.1", port))
        model = receive_panel.log.model
        qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=TIMEOUT)
    entry = model.entry(0)
    assert (entry.direction, entry.peer, entry.data) == ("in", sender, b"hello panel")
    assert model.data(model.index(0, TrafficLogModel.PEER)) == sender
    assert model.data(model.index(0, TrafficLogModel.DATA)) == "hello panel"
    assert receive_panel.counters.text().startswith("1 datagram · 11 B")
    assert "UDP 127.0.0.1:" in receive_panel.activity()
    stop(qtbot, receive_panel)
    assert receive_panel.start_button.isEnabled()
    assert not receive_panel.stop_button.isEnabled()
    assert receive_panel.activity() == ""


def test_receive_panel_keeps_chinese_text_intact(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    port = start_listening(qtbot, receive_panel)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto("你好，世界".encode(), ("127.0.0.1", port))
        sock.sendto("中文测试".encode("gbk"), ("127.0.0.1", port))
        model = receive_panel.log.model
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=TIMEOUT)
    data = model.index(0, TrafficLogModel.DATA)
    assert model.data(data) == "你好，世界"
    receive_panel.log.set_encoding("GBK")
    assert model.data(model.index(1, TrafficLogModel.DATA)) == "中文测试"
    receive_panel.log.set_hex(True)
    assert model.data(model.index(1, TrafficLogModel.DATA)) == "D6 D0 CE C4 B2 E2 CA D4"
    stop(qtbot, receive_panel)


def test_receive_panel_auto_replies(qtbot: QtBot, receive_panel: UdpReceivePanel) -> None:
    receive_panel.reply_check.setChecked(True)
    receive_panel.reply.set_text("pong")
    port = start_listening(qtbot, receive_panel)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(WAIT)
        sock.sendto(b"ping", ("127.0.0.1", port))
        assert sock.recvfrom(100)[0] == b"pong"
    qtbot.waitUntil(lambda: "1 replied" in receive_panel.counters.text(), timeout=TIMEOUT)
    stop(qtbot, receive_panel)


def test_receive_panel_reports_a_port_in_use(qtbot: QtBot, receive_panel: UdpReceivePanel) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        receive_panel.bind.set_address("127.0.0.1")
        receive_panel.port.set_text(str(busy.getsockname()[1]))
        with qtbot.waitSignal(receive_panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(receive_panel.start_button, Qt.MouseButton.LeftButton)
    assert receive_panel.status.kind == "error"
    assert "already in use" in receive_panel.status.text()
    assert receive_panel.start_button.isEnabled()
    assert not receive_panel.stop_button.isEnabled()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("port", "70000", "out of range"),
        ("port", "abc", "not a number"),
        ("bind", "999.1.1.1", "not a valid IPv4"),
        ("group", "10.0.0.1", "not a multicast"),
    ],
)
def test_receive_panel_bad_input_starts_nothing(
    qtbot: QtBot, receive_panel: UdpReceivePanel, field: str, text: str, message: str
) -> None:
    receive_panel.bind.set_address("127.0.0.1")
    receive_panel.port.set_text("0")
    widget = {
        "port": receive_panel.port,
        "bind": receive_panel.bind,
        "group": receive_panel.group_edit,
    }[field]
    widget.setText(text) if field == "group" else widget.set_text(text)  # type: ignore[attr-defined]
    qtbot.mouseClick(receive_panel.start_button, Qt.MouseButton.LeftButton)
    assert not receive_panel.runner.running
    assert receive_panel.start_button.isEnabled()
    assert message in receive_panel.status.text()
    inline = receive_panel.group_error if field == "group" else widget.error  # type: ignore[attr-defined]
    assert inline.isVisible()
    assert message in inline.text()


def test_receive_panel_bad_reply_hex_starts_nothing(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    receive_panel.port.set_text("0")
    receive_panel.reply_check.setChecked(True)
    receive_panel.reply.set_mode("hex")
    receive_panel.reply.set_text("4G")
    qtbot.mouseClick(receive_panel.start_button, Qt.MouseButton.LeftButton)
    assert not receive_panel.runner.running
    assert receive_panel.reply.error.isVisible()
    assert "hex digit" in receive_panel.status.text()


def test_receive_panel_keeps_the_newest_datagrams_and_counts_all(qtbot: QtBot) -> None:
    panel = UdpReceivePanel(log_limit=1000)
    qtbot.addWidget(panel)
    panel.show()
    port = start_listening(qtbot, panel)
    payloads = [b"%05d" % index for index in range(5000)]

    def received(count: int) -> Callable[[], bool]:
        return lambda: bool(panel.receiver.stats.datagrams >= count)

    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for batch in range(0, 5000, 500):  # bursts the socket's buffer surely holds
            for payload in payloads[batch : batch + 500]:
                sender.sendto(payload, ("127.0.0.1", port))
            qtbot.waitUntil(received(batch + 500), timeout=TIMEOUT)
        peer = f"127.0.0.1:{sender.getsockname()[1]}"
    finally:
        sender.close()
    qtbot.waitUntil(lambda: panel.counters.text().startswith("5,000 datagrams"), timeout=TIMEOUT)
    model = panel.log.model
    qtbot.waitUntil(lambda: model.rowCount() and model.entry(999).data == b"04999", timeout=TIMEOUT)
    stop(qtbot, panel)
    assert panel.receiver.stats.datagrams == 5000 and panel.receiver.stats.bytes == 25_000
    assert [e.data for e in model.entries()] == payloads[-1000:]
    assert {(e.direction, e.peer) for e in model.entries()} == {("in", peer)}
    assert model.data(model.index(999, TrafficLogModel.DATA)) == "04999"
    assert model.data(model.index(999, TrafficLogModel.SIZE)) == "5"


def udp_drops(port: int) -> int:
    """Datagrams the kernel dropped on the UDP socket bound to ``port`` (/proc/net/udp)."""
    wanted = f":{port:04X}"
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted):
            return int(fields[-1])
    raise AssertionError(f"no UDP socket on port {port}")


@pytest.mark.posix_only  # packetsender's CLI comes from Debian
def test_receive_panel_counts_a_packetsender_flood_exactly(qtbot: QtBot) -> None:
    panel = UdpReceivePanel(log_limit=1000)
    qtbot.addWidget(panel)
    panel.show()
    port = start_listening(qtbot, panel)
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1

    probe = QTimer()
    probe.setInterval(20)
    probe.timeout.connect(tick)
    probe.start()
    command = ["packetsender", "-u", "-A", "--num", "100000", "--rate", "0"]
    flood = subprocess.Popen(
        [*command, "127.0.0.1", str(port), "hello"],
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        qtbot.waitUntil(lambda: flood.poll() is not None, timeout=TIMEOUT * 3)
        elapsed = time.monotonic() - started
    finally:
        if flood.poll() is None:
            flood.kill()
        flood.wait(WAIT)
    assert flood.returncode == 0
    receiver = panel.receiver
    # Every datagram is either read by the receiver or counted by the kernel as dropped on this
    # socket (a full receive buffer): wait until the two add up to what was sent.
    qtbot.waitUntil(lambda: receiver.stats.datagrams + udp_drops(port) == 100_000, timeout=TIMEOUT)
    dropped = udp_drops(port)
    stop(qtbot, panel)
    probe.stop()
    count = receiver.stats.datagrams
    assert count + dropped == 100_000
    assert receiver.stats.bytes == count * len(b"hello")
    assert panel.counters.text().startswith(f"{count:,} datagrams")
    assert panel.log.model.rowCount() <= 1000
    assert panel.log.model.rowCount() == min(count, 1000)
    # The GUI thread kept running its timers all through the flood.
    assert ticks >= max(3, int(elapsed / 0.02) // 10)


def test_send_panel_waits_for_and_shows_the_reply(
    qtbot: QtBot, send_panel: UdpSendPanel, udp_echo: UdpEcho
) -> None:
    send_panel.host.set_text("127.0.0.1")
    send_panel.port.set_text(str(udp_echo.port))
    send_panel.payload.set_text("ping 你好")
    send_panel.wait_check.setChecked(True)
    with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
    model = send_panel.log.model
    peer = f"127.0.0.1:{udp_echo.port}"
    rows = [(e.direction, e.peer, e.data) for e in model.entries()]
    assert rows == [("out", peer, "ping 你好".encode()), ("in", peer, "ping 你好".encode())]
    assert udp_echo.received[0][0] == "ping 你好".encode()
    assert "1 reply received" in send_panel.status.text()
    assert f"Reply from {peer} (11 B): ping 你好" in send_panel.status.text()
    counters = send_panel.counters.text()
    assert counters.startswith("1 datagram sent · 11 B · 1 reply · rtt "), counters
    assert counters.endswith(" ms")
    assert send_panel.send_button.isEnabled()
    assert send_panel.host.recent()[0] == "127.0.0.1"


def test_send_panel_says_when_no_reply_came(qtbot: QtBot, send_panel: UdpSendPanel) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        send_panel.host.set_text("127.0.0.1")
        send_panel.port.set_text(str(silent.getsockname()[1]))
        send_panel.payload.set_mode("hex")
        send_panel.payload.set_text("01 02 03")
        send_panel.wait_check.setChecked(True)
        send_panel.timeout_spin.setValue(0.2)
        with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
            send_panel.trigger_send()
        assert silent.recv(10) == b"\x01\x02\x03"
    assert send_panel.status.kind == "warning"
    assert "no reply within 0.2 s" in send_panel.status.text()


def test_send_panel_repeats_and_stops(
    qtbot: QtBot, send_panel: UdpSendPanel, udp_echo: UdpEcho
) -> None:
    send_panel.host.set_text("127.0.0.1")
    send_panel.port.set_text(str(udp_echo.port))
    send_panel.payload.set_text("tick")
    send_panel.count_spin.setValue(3)
    send_panel.interval_spin.setValue(0)
    with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
        send_panel.trigger_send()
    assert "Sent 3 datagrams" in send_panel.status.text()
    qtbot.waitUntil(lambda: len(udp_echo.received) == 3, timeout=TIMEOUT)

    send_panel.count_spin.setValue(1000)
    send_panel.interval_spin.setValue(200)
    send_panel.trigger_send()
    assert not send_panel.send_button.isEnabled()
    qtbot.waitUntil(lambda: send_panel.log.model.rowCount() >= 4, timeout=TIMEOUT)
    started = time.monotonic()
    stop(qtbot, send_panel)
    assert time.monotonic() - started < WAIT
    assert send_panel.send_button.isEnabled()
    assert send_panel.log.model.rowCount() < 3 + 1000


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("host", "", "host is empty"),
        ("host", "999.1.1.1", "not a valid IPv4"),
        ("port", "0", "port 0"),
        ("port", "70000", "out of range"),
        ("port", "abc", "not a number"),
        ("port", "", "port is empty"),
        ("bind", "70000", "out of range"),
        ("hex", "4G", "not a hex digit"),
    ],
)
def test_send_panel_bad_input_sends_nothing(
    qtbot: QtBot, send_panel: UdpSendPanel, field: str, text: str, message: str
) -> None:
    send_panel.host.set_text("127.0.0.1")
    send_panel.port.set_text("9")
    send_panel.payload.set_text("x")
    if field == "hex":
        send_panel.payload.set_mode("hex")
        send_panel.payload.set_text(text)
        inline = send_panel.payload.error
    else:
        target = {"host": send_panel.host, "port": send_panel.port, "bind": send_panel.bind_port}
        target[field].set_text(text)
        inline = target[field].error
    qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
    assert not send_panel.runner.running
    assert send_panel.log.model.rowCount() == 0
    assert inline.isVisible()
    assert message in inline.text().lower() or message in inline.text()
    assert send_panel.status.kind == "error"


def test_send_panel_reports_an_unknown_host(qtbot: QtBot, send_panel: UdpSendPanel) -> None:
    send_panel.host.set_text("no-such-host.invalid")
    send_panel.port.set_text(str(free_port()))
    send_panel.payload.set_text("x")
    with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
        send_panel.trigger_send()
    assert send_panel.status.kind == "error"
    assert "no-such-host.invalid" in send_panel.status.text()
    assert send_panel.send_button.isEnabled()
