"""UDP as a session in the GUI: send from the receive panel's bound port, see auto-replies as out
rows and change them while listening, keep the send panel's socket open for late replies, send
from the port the receive panel holds, and round-trip times."""

from __future__ import annotations

import re
import socket
import threading

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.udp_receive import UdpReceivePanel, bound_receiver
from gui.panels.udp_send import UdpSendPanel
from tests.conftest import WAIT
from tests.gui.conftest import UdpEcho
from tests.gui.test_udp_panels import start_listening, stop

TIMEOUT = int(WAIT * 1000)
RTT_ONE = re.compile(r"rtt (\d+\.\d{3}) ms")
RTT_SPREAD = re.compile(r"rtt min/median/max (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3}) ms")


def rows(panel: UdpReceivePanel | UdpSendPanel) -> list[tuple[str, str, bytes]]:
    model = panel.log.model
    return [(e.direction, e.peer, e.data) for e in map(model.entry, range(model.rowCount()))]


def test_device_workflow_send_from_the_bound_port_and_see_the_reply(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    port = start_listening(qtbot, receive_panel)
    assert bound_receiver(port) is receive_panel.receiver
    echo = UdpEcho(reply=b"device says hi")
    try:
        receive_panel.send_host.set_text("127.0.0.1")
        receive_panel.send_port.set_text(str(echo.port))
        receive_panel.send_payload.set_text("hello device")
        qtbot.mouseClick(receive_panel.send_to_button, Qt.MouseButton.LeftButton)
        device = f"127.0.0.1:{echo.port}"
        qtbot.waitUntil(lambda: len(rows(receive_panel)) == 2, timeout=TIMEOUT)
        assert sorted(rows(receive_panel)) == [
            ("in", device, b"device says hi"),
            ("out", device, b"hello device"),
        ]
        # The device saw the datagram come from the port the panel listens on.
        assert echo.received == [(b"hello device", ("127.0.0.1", port))]

        # Select the device's row and answer it by hand.
        incoming = next(i for i, row in enumerate(rows(receive_panel)) if row[0] == "in")
        receive_panel.log.select_row(incoming)
        receive_panel.send_payload.set_text("to the selected sender")
        qtbot.mouseClick(receive_panel.send_selected_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(echo.received) == 2, timeout=TIMEOUT)
        assert echo.received[1] == (b"to the selected sender", ("127.0.0.1", port))
    finally:
        echo.close()
    stop(qtbot, receive_panel)
    assert bound_receiver(port) is None


def test_sending_by_hand_needs_a_running_receiver(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    assert not receive_panel.send_to_button.isEnabled()
    receive_panel.send_host.set_text("127.0.0.1")
    receive_panel.send_port.set_text("9")
    receive_panel.send_to_target()
    assert receive_panel.status.kind == "error"
    start_listening(qtbot, receive_panel)
    receive_panel.send_to_selected()  # nothing selected
    assert "Select a row" in receive_panel.status.text()
    # A failure on the helper thread comes back as a sentence, in the status and the log.
    receive_panel.send_host.set_text("::1")
    receive_panel.send_payload.set_text("x")
    qtbot.mouseClick(receive_panel.send_to_button, Qt.MouseButton.LeftButton)
    model = receive_panel.log.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=TIMEOUT)
    assert model.entry(0).direction == "error"
    assert "different IP versions" in receive_panel.status.text()
    assert receive_panel.status.kind == "error"
    stop(qtbot, receive_panel)


def test_auto_reply_is_an_out_row_and_can_change_while_listening(
    qtbot: QtBot, receive_panel: UdpReceivePanel
) -> None:
    receive_panel.reply_check.setChecked(True)
    receive_panel.reply.set_text("first reply")
    port = start_listening(qtbot, receive_panel)
    assert receive_panel.reply.isEnabled()  # editable while listening
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as device:
        device.bind(("127.0.0.1", 0))
        device.settimeout(WAIT)
        device.sendto(b"one", ("127.0.0.1", port))
        assert device.recv(100) == b"first reply"
        receive_panel.reply.set_text("second reply")
        device.sendto(b"two", ("127.0.0.1", port))
        assert device.recv(100) == b"second reply"
        me = f"127.0.0.1:{device.getsockname()[1]}"
        qtbot.waitUntil(lambda: len(rows(receive_panel)) == 4, timeout=TIMEOUT)
    assert rows(receive_panel) == [
        ("in", me, b"one"),
        ("out", me, b"first reply"),
        ("in", me, b"two"),
        ("out", me, b"second reply"),
    ]
    assert "2 replied" in receive_panel.counters.text()
    stop(qtbot, receive_panel)


def test_keep_open_shows_a_reply_that_comes_a_second_later(
    qtbot: QtBot, send_panel: UdpSendPanel
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as device:
        device.bind(("127.0.0.1", 0))
        device.settimeout(WAIT)
        send_panel.host.set_text("127.0.0.1")
        send_panel.port.set_text(str(device.getsockname()[1]))
        send_panel.payload.set_text("ping")
        send_panel.keep_check.setChecked(True)
        qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
        data, source = device.recvfrom(100)
        assert data == b"ping"
        qtbot.waitUntil(lambda: len(rows(send_panel)) == 1, timeout=TIMEOUT)
        # Sent and done: the socket stays open, and Send sends again from the same port.
        assert send_panel.runner.running and send_panel.send_button.isEnabled()
        late = threading.Timer(1.0, device.sendto, (b"late pong", source))
        late.start()
        qtbot.waitUntil(lambda: len(rows(send_panel)) == 2, timeout=TIMEOUT)
        late.join()
        assert rows(send_panel)[1][0::2] == ("in", b"late pong")
        assert RTT_ONE.search(send_panel.counters.text()), send_panel.counters.text()
        send_panel.payload.set_text("again")
        qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
        assert device.recvfrom(100) == (b"again", source)
    stop(qtbot, send_panel)
    assert not send_panel.runner.running and send_panel.keep_check.isEnabled()


def test_send_panel_sends_from_the_port_the_receive_panel_holds(
    qtbot: QtBot, receive_panel: UdpReceivePanel, send_panel: UdpSendPanel
) -> None:
    port = start_listening(qtbot, receive_panel)
    echo = UdpEcho()
    try:
        send_panel.host.set_text("127.0.0.1")
        send_panel.port.set_text(str(echo.port))
        send_panel.bind_port.set_text(str(port))
        send_panel.payload.set_text("shared port")
        with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
        assert send_panel.status.text() == (
            f"Sent 1 datagram to 127.0.0.1:{echo.port} from port {port}; "
            "replies appear in UDP Receive"
        )
        qtbot.waitUntil(lambda: len(echo.received) == 1, timeout=TIMEOUT)
        assert echo.received == [(b"shared port", ("127.0.0.1", port))]
        # The echo reaches the receive panel, which holds the socket.
        qtbot.waitUntil(lambda: len(rows(receive_panel)) == 1, timeout=TIMEOUT)
        assert rows(receive_panel) == [("in", f"127.0.0.1:{echo.port}", b"shared port")]
    finally:
        echo.close()
    stop(qtbot, receive_panel)


def test_udp_send_with_replies_shows_round_trip_times(
    qtbot: QtBot, send_panel: UdpSendPanel, udp_echo: UdpEcho
) -> None:
    send_panel.host.set_text("127.0.0.1")
    send_panel.port.set_text(str(udp_echo.port))
    send_panel.payload.set_text("ping")
    send_panel.count_spin.setValue(3)
    send_panel.interval_spin.setValue(0)
    send_panel.wait_check.setChecked(True)
    with qtbot.waitSignal(send_panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(send_panel.send_button, Qt.MouseButton.LeftButton)
    match = RTT_SPREAD.search(send_panel.counters.text())
    assert match, send_panel.counters.text()
    low, median, high = map(float, match.groups())
    assert 0 <= low <= median <= high
