"""A guard against the PySide6 6.12.0 crash (design.md, "Known hazards").

6.12.0 drops a reference to None on every static void call such as processEvents; after a few
thousand calls Python aborts with "none_dealloc". If this test crashes the run, check the PySide6
version pyproject.toml allows.
"""

from __future__ import annotations

import PySide6
from PySide6.QtCore import QCoreApplication


def test_process_events_twenty_thousand_times(qapp: object) -> None:
    for _ in range(20_000):
        QCoreApplication.processEvents()
    assert PySide6.__version__ != "6.12.0"
