"""Widgets every panel composes: address fields, the payload editor, the traffic log, messages."""

from gui.widgets.address import BindAddressPicker, HostField, PortField, local_addresses
from gui.widgets.counters import RateMeter, format_bytes, format_count
from gui.widgets.payload import PayloadEditor
from gui.widgets.status import InlineError, StatusLine
from gui.widgets.style import monospace_font, sentence
from gui.widgets.traffic_log import DEFAULT_LOG_LIMIT, LogEntry, TrafficLog, TrafficLogModel

__all__ = [
    "DEFAULT_LOG_LIMIT",
    "BindAddressPicker",
    "HostField",
    "InlineError",
    "LogEntry",
    "PayloadEditor",
    "PortField",
    "RateMeter",
    "StatusLine",
    "TrafficLog",
    "TrafficLogModel",
    "format_bytes",
    "format_count",
    "local_addresses",
    "monospace_font",
    "sentence",
]
