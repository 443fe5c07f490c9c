"""Round-trip times of swb udp-send --wait and swb tcp-send --wait: per reply and over --count.

Only the shape is asserted (present, a non-negative number, min <= median <= max), never a bound.
"""

from __future__ import annotations

import json
import re
import threading

import pytest

from net.tcp import TcpServer
from tests.conftest import WAIT
from tests.net.test_cli_sockets import RTT, swb, udp_peer

pytestmark = pytest.mark.posix_only

SUMMARY = re.compile(r"rtt min/median/max (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3}) ms$")


def assert_summary(stderr: str) -> None:
    match = SUMMARY.search(stderr.splitlines()[-1])
    assert match, stderr
    low, median, high = map(float, match.groups())
    assert 0 <= low <= median <= high


def test_udp_send_wait_reports_rtt_per_reply_and_over_count() -> None:
    with udp_peer(reply=b"pong") as (receiver, _):
        text = swb("udp-send", "127.0.0.1", str(receiver.port), "ping", "--wait", "5",
                   "--count", "3", "--interval", "1")  # fmt: skip
        as_json = swb("udp-send", "127.0.0.1", str(receiver.port), "ping", "--wait", "5",
                      "--count", "3", "--interval", "1", "--json")  # fmt: skip
    assert text.returncode == 0 and as_json.returncode == 0
    rows = text.stdout.splitlines()
    assert len(rows) == 3 and all(RTT.search(row) for row in rows)
    assert_summary(text.stderr)
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert isinstance(record["rtt_ms"], float | int) and record["rtt_ms"] >= 0
    assert_summary(as_json.stderr)


def test_tcp_send_wait_reports_rtt_per_reply_and_over_count() -> None:
    server = TcpServer("127.0.0.1", 0, on_event=lambda e: None, reply_mode="echo")
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        result = swb("tcp-send", "127.0.0.1", str(server.port), "ping\n", "--escapes",
                     "--wait", "0.5", "--count", "3", "--interval", "200", "--framing", "line",
                     "--json")  # fmt: skip
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
    assert result.returncode == 0, result.stderr
    received = [r for r in map(json.loads, result.stdout.splitlines()) if r["event"] == "received"]
    assert [r["text"] for r in received] == ["ping\n"] * 3
    # The first reply after each send carries it (a late echo would belong to the next send).
    assert "rtt_ms" in received[0]
    for record in received:
        rtt = record.get("rtt_ms", 0)
        assert isinstance(rtt, float | int) and rtt >= 0
    assert result.stderr.splitlines()[-1].startswith(
        f"3 sends, 15 bytes sent to 127.0.0.1:{server.port}"
    )
    assert_summary(result.stderr)


def test_no_reply_no_rtt() -> None:
    with udp_peer() as (receiver, _):
        result = swb("udp-send", "127.0.0.1", str(receiver.port), "x", "--wait", "0.2")
    assert result.returncode == 1
    assert "rtt" not in result.stderr and result.stdout == ""
