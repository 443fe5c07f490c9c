"""The rate limit's one clock (net._body.RateLimiter), used by file bodies and by zips made while
they are sent: what it asks to wait, and a rate-limited zip that the server's stop ends."""

from __future__ import annotations

import socket
from pathlib import Path

from net._body import RateLimiter
from net.events import TransferFailed, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from tests.net.test_fileserver import EventLog, running

WAIT = 5.0


class Waits:
    """Stands for the server's wait_stopped: records what it was asked, answers ``stopped``."""

    def __init__(self, stopped: bool) -> None:
        self.asked: list[float] = []
        self.stopped = stopped

    def __call__(self, seconds: float) -> bool:
        self.asked.append(seconds)
        return self.stopped


def test_the_clock_waits_only_when_a_body_is_ahead_of_its_rate() -> None:
    waits = Waits(stopped=False)
    pace = RateLimiter(lambda: 1000.0, waits)
    assert pace.wait(0) is False and waits.asked == []
    assert pace.wait(2000) is False  # 2000 bytes at 1000 B/s are due 2 s after the start
    assert len(waits.asked) == 1 and 1.0 < waits.asked[0] <= 2.0


def test_the_clock_tells_a_stop_and_ignores_no_limit() -> None:
    stopped = Waits(stopped=True)
    assert RateLimiter(lambda: 1000.0, stopped).wait(5000) is True
    unlimited = Waits(stopped=True)
    assert RateLimiter(lambda: None, unlimited).wait(10**9) is False
    assert RateLimiter(lambda: 0.0, unlimited).wait(10**9) is False
    assert unlimited.asked == []


def test_a_rate_limited_zip_ends_as_stopped_when_the_server_stops(tmp_path: Path) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "big.bin").write_bytes(bytes(512 * 1024))
    share = ShareTable()
    log = EventLog()
    try:
        share.add_folder(folder)
        assert share.wait_hashed(WAIT)
        server = FileServer(share, "127.0.0.1", 0, on_event=log, rate_limit=64 * 1024)
        with running(server), socket.create_connection(("127.0.0.1", server.port), WAIT) as c:
            c.sendall(b"GET /slow/?format=zip HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.recv(4096).startswith(b"HTTP/1.1 200 ")
            log.wait(lambda events: any(isinstance(e, TransferStarted) for e in events))
            server.shutdown()
            events = log.wait(lambda events: any(isinstance(e, TransferFailed) for e in events))
    finally:
        share.close()
    started = next(e for e in events if isinstance(e, TransferStarted))
    failed = next(e for e in events if isinstance(e, TransferFailed))
    assert started.name == "slow.zip" and failed.transfer_id == started.transfer_id
    assert failed.cancelled and failed.reason == "the server was stopped"
    assert failed.done < started.total
