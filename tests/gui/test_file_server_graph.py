"""The File Server's rate graph: bytes/s served and transfers/s started, built on demand (the
Graph button), fed from the transfers' events, and fitting 800x600 in both languages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.panels.file_server import FileServerPanel
from tests.conftest import WAIT
from tests.gui.conftest import small_window
from tests.gui.test_file_server_panel import http_get, start, stop
from tests.gui.test_small_window import language, problems_of  # noqa: F401 (a fixture)

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[FileServerPanel]:
    widget = FileServerPanel()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.stop_workers()


def curve_totals(panel: FileServerPanel) -> tuple[float, float]:
    """What the graph draws: the sums of its bytes/s and transfers/s curves."""
    assert panel.graph is not None
    panel.graph.redraw()
    _, nbytes = panel.graph.bytes_curve.getData()
    _, transfers = panel.graph.packets_curve.getData()
    return float(sum(nbytes)), float(sum(transfers))


def test_graph_shows_the_bytes_and_transfers_served_to_http_client(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    assert panel.graph is None  # nothing built (nor pyqtgraph imported) until asked for
    payload = os.urandom(700_000)
    path = tmp_path / "payload.bin"
    path.write_bytes(payload)
    panel.add_paths([str(path)])
    port = start(qtbot, panel)
    qtbot.mouseClick(panel.graph_button, Qt.MouseButton.LeftButton)
    assert panel.graph is not None and panel.graph.isVisible()
    assert panel.graph_button.isChecked()
    assert curve_totals(panel) == (0.0, 0.0)

    assert http_get(port, "payload.bin") == (200, payload)
    assert http_get(port, "payload.bin") == (200, payload)
    qtbot.waitUntil(lambda: panel.transfers.model.finished == 2, timeout=TIMEOUT)
    assert curve_totals(panel) == (2 * len(payload), 2)
    stop(qtbot, panel)

    qtbot.mouseClick(panel.graph_button, Qt.MouseButton.LeftButton)
    assert not panel.graph.isVisible() and not panel.graph.timer.isActive()
    panel.show_graph(True)
    assert panel.graph.isVisible() and panel.graph.timer.isActive()
    assert curve_totals(panel) == (2 * len(payload), 2)  # stopping keeps the picture


@pytest.mark.usefixtures("language")  # English and Chinese
def test_file_server_with_its_graph_fits_800x600(qtbot: QtBot, settings: QSettings) -> None:
    window = small_window(qtbot, settings)
    panel = window.show_panel("fileServerPanel")
    assert isinstance(panel, FileServerPanel)
    panel.show_graph(True)
    QApplication.processEvents()
    assert panel.graph is not None and panel.graph.isVisible()
    assert panel.graph.height() >= panel.graph.minimumHeight()
    assert (
        panel.transfers.view.height()
        > 3 * panel.transfers.view.verticalHeader().defaultSectionSize()
    )
    assert problems_of(panel) == []
