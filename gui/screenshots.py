"""Save screenshots of the panels with real loopback traffic in them.

``python -m gui.screenshots OUTDIR`` builds the main window offscreen at 1100x720, drives each
panel against peers on 127.0.0.1 (plain sockets started here), and writes udp_send.png,
udp_receive.png, tcp_client.png, tcp_server.png, file_server.png and download.png. The file
server shares a few files from a temporary folder and the download panel fetches from it.
Settings go to a temporary folder. ``--locale zh_CN`` shows the window in that language and names
the files zh_CN_udp_send.png and so on.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from gui import runner
from gui.app import create_app, install_language
from gui.main_window import ASK_BEFORE_QUIT_KEY, MainWindow
from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.panels.udp_send import UdpSendPanel

__all__ = ["main", "take_screenshots"]


def _pump(app: QApplication, until: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the panel did not reach the expected state in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def _settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    _pump(app, lambda: time.monotonic() >= end)


@contextmanager
def _udp_echo() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            sock.sendto(b"ACK " + data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        sock.close()


@contextmanager
def _tcp_echo() -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    conns: list[socket.socket] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conns.append(conn)
        conn.sendall("Welcome to the echo service 欢迎\r\n".encode())
        while data := conn.recv(65536):
            conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        for conn in conns:
            conn.close()
        listener.close()
        thread.join(5)


def _udp_send(app: QApplication, panel: UdpSendPanel) -> None:
    with _udp_echo() as port:
        panel.host.set_text("127.0.0.1")
        panel.host.remember("127.0.0.1")
        panel.port.set_text(str(port))
        panel.wait_check.setChecked(True)
        panel.timeout_spin.setValue(2.0)
        panel.count_spin.setValue(3)
        panel.interval_spin.setValue(100)
        panel.payload.set_text("STATUS? 设备状态")
        panel.payload.ending_combo.setCurrentIndex(panel.payload.ending_combo.findData("crlf"))
        panel.trigger_send()
        _pump(app, lambda: not panel.runner.running)


def _udp_receive(app: QApplication, panel: UdpReceivePanel) -> None:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.reply_check.setChecked(True)
    panel.reply.set_text("OK")
    panel.trigger_start()
    _pump(app, lambda: panel.receiver is not None)
    target = ("127.0.0.1", int(panel.receiver.port))
    messages = [
        b"temp=21.5C humidity=40%",
        "温度 21.5°C，湿度 40%".encode(),
        b"\x02\x10\x00\x01\xff\x03",
        b"heartbeat seq=1",
        b"heartbeat seq=2",
    ]
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as one,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as two,
    ):
        for index, message in enumerate(messages * 3):
            (one if index % 2 else two).sendto(message, target)
        _pump(app, lambda: panel.receiver.stats.datagrams == len(messages) * 3)
    _settle(app, 0.6)


def _tcp_client(app: QApplication, panel: TcpClientPanel) -> None:
    with _tcp_echo() as port:
        panel.host.set_text("127.0.0.1")
        panel.host.remember("127.0.0.1")
        panel.port.set_text(str(port))
        panel.connection.keepalive_check.setChecked(True)
        panel.connection.reconnect_check.setChecked(True)
        panel.trigger_start()
        _pump(app, panel.send_button.isEnabled)
        panel.payload.ending_combo.setCurrentIndex(panel.payload.ending_combo.findData("crlf"))
        for line in ("GET /status", "你好，服务器", "PING 42"):
            panel.payload.set_text(line)
            panel.trigger_send()
            _settle(app, 0.15)
        _pump(app, lambda: panel.client is not None and panel.client.bytes_in > 60)
        _settle(app)


def _tcp_server(app: QApplication, panel: TcpServerPanel) -> list[socket.socket]:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.reply_mode.setCurrentIndex(panel.reply_mode.findData("fixed"))
    panel.fixed_reply.set_mode("escapes")
    panel.fixed_reply.set_text(r"ACK\r\n")
    panel.trigger_start()
    _pump(app, lambda: panel.server is not None)
    port = int(panel.server.port)
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    _pump(app, lambda: panel.clients.rowCount() == 3)
    for index, sock in enumerate(clients):
        sock.sendall(f"sensor-{index + 1} online\r\n".encode())
        _settle(app, 0.1)
    clients[1].sendall("读数 = 42\r\n".encode())
    panel.payload.set_text("sync time 12:00")
    panel.send_to_all()
    _settle(app, 0.8)
    panel.clients.selectRow(1)
    return clients


def _share_folder() -> Path:
    """A few files to share: a Chinese name with spaces, a photo, firmware, two notes.txt."""
    folder = Path(tempfile.mkdtemp(prefix="swb-shots-share-"))
    (folder / "photos 2024").mkdir()
    (folder / "old").mkdir()
    (folder / "季度 报告 v2.pdf").write_bytes(os.urandom(2_400_000))
    (folder / "photos 2024" / "海边.jpg").write_bytes(os.urandom(3_100_000))
    (folder / "firmware-1.4.2.bin").write_bytes(os.urandom(48 * 1024 * 1024))
    (folder / "notes.txt").write_text("meeting at 10:00\n" * 40)
    (folder / "old" / "notes.txt").write_text("older notes\n" * 10)
    return folder


def _fetch(port: int, name: str, *, raw: bool = False) -> None:
    if raw:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(name.encode())
            while sock.recv(65536):
                pass
        return
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/" + urllib.parse.quote(name))
        connection.getresponse().read()
    finally:
        connection.close()


def _file_server(app: QApplication, panel: FileServerPanel) -> None:
    folder = _share_folder()
    panel.setProperty("shotFolder", str(folder))
    panel.add_paths(
        [
            str(folder / "季度 报告 v2.pdf"),
            str(folder / "photos 2024"),
            str(folder / "firmware-1.4.2.bin"),
            str(folder / "notes.txt"),
            str(folder / "old" / "notes.txt"),
        ]
    )
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.trigger_start()
    _pump(app, lambda: panel.server is not None)
    _pump(app, lambda: panel.share_list.model.pending() == 0, 30.0)
    port = int(panel.server.port)
    _fetch(port, "notes.txt")
    _fetch(port, "季度 报告 v2.pdf")
    _fetch(port, "notes (2).txt", raw=True)
    # The download panel fetches the firmware, slowly, so it shows here as in progress.
    panel.server.rate_limit = 6 * 1024 * 1024
    download = panel.window().panel("downloadPanel")  # type: ignore[attr-defined]
    target = Path(tempfile.mkdtemp(prefix="swb-shots-downloads-"))
    download.setProperty("shotDownloads", str(target))
    download.folder_edit.setText(str(target))
    download.url_edit.setText(f"http://127.0.0.1:{port}/firmware-1.4.2.bin")
    download.start_download()
    _pump(app, lambda: panel.transfers.model.running() == 1)
    _settle(app, 2.5)
    panel.share_list.view.selectRow(0)
    panel.share_list.view.setFocus()


def _download(app: QApplication, panel: DownloadPanel) -> None:
    server = panel.window().panel("fileServerPanel")  # type: ignore[attr-defined]
    port = int(server.server.port)
    server.server.rate_limit = None
    _pump(app, lambda: not panel.runner.running, 30.0)
    panel.url_edit.setText(f"http://127.0.0.1:{port}/季度 报告 v2.pdf")
    panel.start_download()
    _pump(app, lambda: not panel.runner.running)
    panel.url_edit.setText(f"127.0.0.1:{port}")
    panel.list_files()
    _pump(app, lambda: not panel.list_runner.running)
    panel.remote.selectRow(2)
    _settle(app)


def take_screenshots(outdir: Path, locale: str | None = None) -> list[Path]:
    """Drive each socket panel against loopback peers and save one PNG per panel.

    Args:
        locale: a language of View > Language ("zh_CN", "en"); the file names start with it.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the app is created
    outdir.mkdir(parents=True, exist_ok=True)
    settings_dir = tempfile.mkdtemp(prefix="swb-shots-")
    app = create_app([sys.argv[0]])
    if locale is not None:
        install_language(app, locale)
    settings = QSettings(str(Path(settings_dir) / "shots.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(1100, 720)
    window.show()
    saved: list[Path] = []
    sockets: list[socket.socket] = []
    try:
        steps: list[tuple[str, str, Callable[[QApplication, object], object]]] = [
            ("udpSendPanel", "udp_send", _udp_send),  # type: ignore[list-item]
            ("udpReceivePanel", "udp_receive", _udp_receive),  # type: ignore[list-item]
            ("tcpClientPanel", "tcp_client", _tcp_client),  # type: ignore[list-item]
            ("tcpServerPanel", "tcp_server", _tcp_server),  # type: ignore[list-item]
            ("fileServerPanel", "file_server", _file_server),  # type: ignore[list-item]
            ("downloadPanel", "download", _download),  # type: ignore[list-item]
        ]
        for name, file_name, drive in steps:
            panel = window.show_panel(name)
            result = drive(app, panel)
            if isinstance(result, list):
                sockets.extend(result)
            _settle(app, 0.2)
            path = outdir / (f"{locale}_{file_name}.png" if locale else f"{file_name}.png")
            window.grab().save(str(path))
            saved.append(path)
    finally:
        # Servers still run: closing would ask "Quit now?" in a dialog nobody can answer here.
        settings.setValue(ASK_BEFORE_QUIT_KEY, False)
        window.close()
        for sock in sockets:
            sock.close()
        runner.stop_all(2.0)
        for name in ("fileServerPanel", "downloadPanel"):
            panel = window.panel(name)
            for folder in (panel.property("shotFolder"), panel.property("shotDownloads")):
                if isinstance(folder, str) and folder:
                    shutil.rmtree(folder, ignore_errors=True)
    return saved


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    locale = None
    if len(args) == 3 and args[0] == "--locale":
        locale, args = args[1], args[2:]
    if len(args) != 1:
        print("usage: python -m gui.screenshots [--locale zh_CN] OUTDIR", file=sys.stderr)
        return 2
    for path in take_screenshots(Path(args[0]), locale):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
