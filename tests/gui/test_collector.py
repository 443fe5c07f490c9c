"""gui.collector: cycles (and the Qt wrappers in them) are collected on the GUI thread only."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.app import create_app
from gui.collector import GuiThreadCollector


def test_the_app_collects_on_its_own_thread_only(qapp: QApplication) -> None:
    assert create_app() is qapp
    assert len(qapp.findChildren(GuiThreadCollector)) == 1  # once, however often it is built
    assert not gc.isenabled()


def test_a_cycle_holding_a_qt_object_is_collected_on_the_gui_thread(
    qapp: QApplication, qtbot: QtBot
) -> None:
    collected_on: list[bool] = []

    class Holder:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the cyclic collector frees it
            self.obj = QObject()

    holder = Holder()
    watch = weakref.ref(
        holder,
        lambda _ref: collected_on.append(threading.current_thread() is threading.main_thread()),
    )
    del holder

    kept: list[list[list[int]]] = []

    def churn() -> None:  # a worker that allocates far past generation 0's threshold
        kept.append([[index] for index in range(200_000)])

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    assert collected_on == []  # the worker's allocations did not collect the cycle
    qtbot.waitUntil(lambda: collected_on != [], timeout=10_000)
    assert collected_on == [True] and watch() is None


def test_check_collects_the_generation_the_counts_call_for(qapp: QApplication) -> None:
    collector = qapp.findChild(GuiThreadCollector)
    assert collector is not None
    gc.collect()
    assert collector.check() == -1  # nothing due right after a full collection
    threshold = gc.get_threshold()[0]
    keep = [[index] for index in range(threshold + 10)]
    assert collector.check() >= 0
    assert gc.get_count()[0] < threshold
    del keep
