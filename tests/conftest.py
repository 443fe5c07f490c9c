"""Test-wide set-up: Qt runs headless, and every test gets a short, shared timeout for waits."""

from __future__ import annotations

import functools
import os
import socket
import threading
import time

import pytest

# Must be set before any Qt module is imported (pytest-qt imports QtWidgets early).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
# Shares started by tests (and their child processes) never announce themselves on this
# machine's network (mDNS), nor search it; tests/net/test_discovery.py lifts it inside the
# namespaces it made.
os.environ["SWB_NO_MDNS"] = "1"

#: Seconds any single wait in a test may take before it counts as a failure; generous, because
#: CI machines are shared and noisy (timing targets live in benchmarks/, not here).
WAIT = 10.0


@functools.cache
def _ipv6_loopback_problem() -> str | None:
    """Why this host cannot use ::1, or None when it can (bind and connect, not only has_ipv6)."""
    if not socket.has_ipv6:
        return "this Python was built without IPv6 (socket.has_ipv6 is False)"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
            server.bind(("::1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname()[:2], timeout=WAIT):
                pass
    except OSError as exc:
        return f"binding or connecting to [::1] failed: {exc}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``requires_ipv6`` fail, never skip, on a host without an IPv6 loopback.

    IPv6 on loopback is a requirement of the suite (README); a host that lacks it is told so in one
    sentence instead of a socket error, and may deselect those tests with ``-m "not requires_ipv6"``.
    """
    if item.get_closest_marker("requires_ipv6") is None:
        return
    problem = _ipv6_loopback_problem()
    if problem is not None:
        pytest.fail(
            f"this test needs the IPv6 loopback ::1 and {problem}; enable IPv6 on the loopback "
            "interface, or deselect these tests with -m 'not requires_ipv6'",
            pytrace=False,
        )


def wait_until_blocked(thread: threading.Thread) -> None:
    """Return once ``thread`` sleeps in the kernel waiting for sockets (select, poll or epoll).

    This is how a test knows that a loop has reached its wait, so that what the test does next
    (shutdown, a signal) reaches a loop that is really blocked; Linux tells it in
    /proc/self/task/<id>/wchan. Fails after WAIT seconds.
    """
    wchan = f"/proc/self/task/{thread.native_id}/wchan"
    deadline = time.monotonic() + WAIT
    seen = ""
    while time.monotonic() < deadline:
        try:
            with open(wchan, encoding="ascii") as f:
                seen = f.read()
        except FileNotFoundError:  # the thread has ended
            break
        if "poll" in seen or "select" in seen:
            return
        threading.Event().wait(0.005)
    pytest.fail(f"{thread.name} never blocked waiting for sockets (last in {seen or 'nothing'})")
