"""What the traffic log's concerns share: the parts of :class:`~gui.widgets.traffic_log.TrafficLog`
that its ingest, search, copy/export and receive-to-file halves (each in its own module) work on.

:class:`LogParts` holds no state and runs no code: it names, for the type checker, the widgets and
the few methods that :class:`~gui.widgets.traffic_log.TrafficLog` builds and every half uses, so
each half reads as a class of its own while the log stays one widget with one public API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QCheckBox, QSplitter, QTableView, QWidget

    from gui.widgets.counters import RateCounter
    from gui.widgets.traffic_log_detail import HexDumpView
    from gui.widgets.traffic_log_export import ReceiveFile
    from gui.widgets.traffic_log_filter import LogFilter
    from gui.widgets.traffic_log_framing import FramingStage
    from gui.widgets.traffic_log_model import TrafficLogModel
    from gui.widgets.traffic_log_tools import LogTools

    _Widget = QWidget
else:
    _Widget = object

__all__ = ["LogParts"]


class LogParts(_Widget):
    """The attributes and helpers of a traffic log that its halves share (see the module)."""

    model: TrafficLogModel
    framing: FramingStage
    rates: RateCounter
    capture: ReceiveFile | None
    view: QTableView
    filter: LogFilter
    detail: HexDumpView
    splitter: QSplitter
    tools: LogTools
    follow_check: QCheckBox
    copy_action: QAction
    clear_action: QAction
    local: str
    checksum_failures: int
    _locals: dict[str, str]
    _held_rtts: dict[str, float]
    _peers: dict[str, None]
    _backlog_timer: QTimer

    if TYPE_CHECKING:

        @property
        def exported(self) -> SignalInstance: ...

        @property
        def capture_failed(self) -> SignalInstance: ...

        def _codec(self) -> str: ...

        def _protocol(self) -> Literal["tcp", "udp"]: ...

        def _panel_name(self) -> str: ...

        def _update_rows_label(self) -> None: ...

        def _appended(self) -> None: ...

        def _show_rtt_column(self) -> None: ...

        def _show_status(self) -> None: ...

        def _capture(self, stamp: float, peer: str, data: bytes, missed: int) -> None: ...

        def _capture_failed(self, message: str) -> None: ...

        def selected_rows(self) -> list[int]: ...

        def _chosen_rows(self) -> list[int]: ...
