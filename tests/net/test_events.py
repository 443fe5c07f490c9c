"""Every event type lives in net/events.py; the modules that emit them only re-export them."""

from __future__ import annotations

import importlib

import pytest

import net.events

REEXPORTS = [
    ("net.tcp", "TcpEvent"),
    ("net.fileserver", "TransferEvent"),
    ("net.relay", "RelayEvent"),
    ("net.udp", "DatagramRow"),
    ("net.mirror", "MirrorFile"),
    ("net.mirror", "MirrorProgress"),
    ("net.script", "StepResult"),
]


@pytest.mark.parametrize(("module", "name"), REEXPORTS)
def test_an_emitting_module_reexports_the_event_type_of_net_events(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(net.events, name)


def test_every_record_in_net_events_is_defined_there() -> None:
    types = [getattr(net.events, name) for name in net.events.__all__]
    classes = [value for value in types if isinstance(value, type)]
    assert len(classes) > 20  # the unions are not classes; every event type is
    assert [cls.__name__ for cls in classes if cls.__module__ != "net.events"] == []


def test_the_gui_merged_run_is_a_net_event() -> None:
    from gui.runner import ReceivedRun

    run = ReceivedRun(1.0, 7, "127.0.0.1:9", b"tail", skipped=10)
    assert ReceivedRun is net.events.ReceivedRun and run.size == 14
