"""Test-wide set-up: Qt runs headless, and every test gets a short, shared timeout for waits."""

from __future__ import annotations

import os

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
