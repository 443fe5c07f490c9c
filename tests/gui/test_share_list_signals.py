"""The share list hears from its checksum and folder-walk threads by a signal, not by polling them
every 250 ms (issue 14): idle, it runs no fast timer; a checksum or a walk's end shows at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from gui.widgets.share_list import MISSING_CHECK_MS, ShareList, ShareListModel
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def share_list(qtbot: QtBot) -> Iterator[ShareList]:
    widget = ShareList()
    qtbot.addWidget(widget)
    yield widget
    widget.wait_walks(WAIT)
    widget.close_share()


def fast_timers(widget: ShareList) -> list[int]:
    """Intervals (ms) of the running timers that fire more often than the missing-file check."""
    return [
        timer.interval()
        for timer in widget.findChildren(QTimer)
        if timer.isActive() and timer.interval() < MISSING_CHECK_MS
    ]


def test_a_checksum_shows_when_it_is_known(
    qtbot: QtBot, share_list: ShareList, tmp_path: Path
) -> None:
    data = b"checksum me\n" * 1000
    path = tmp_path / "one.txt"
    path.write_bytes(data)
    assert fast_timers(share_list) == []
    with qtbot.waitSignal(share_list.changed, timeout=TIMEOUT):
        share_list.add_paths([path])  # the list shows the file at once
    qtbot.waitUntil(lambda: share_list.model.pending() == 0, timeout=TIMEOUT)
    shown = share_list.model.index(0, ShareListModel.SHA256)
    assert shown.data() == hashlib.sha256(data).hexdigest()[:12] + "…"
    assert fast_timers(share_list) == []


def test_a_folder_walk_reports_when_it_ends(
    qtbot: QtBot, share_list: ShareList, tmp_path: Path
) -> None:
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt", "sub/c.txt"):
        (folder / name).write_text(name, encoding="utf-8")
    with qtbot.waitSignal(share_list.paths_added, timeout=TIMEOUT) as added:
        result = share_list.add_paths([folder])
        assert not result.done  # walked on its own thread
    assert added.args is not None and added.args[0].done
    assert sorted(share_list.names()) == ["tree/a.txt", "tree/sub/b.txt", "tree/sub/c.txt"]
    assert share_list.walking() == []
