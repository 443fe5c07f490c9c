"""Switching a payload between Text, Escapes and Hex never changes the bytes it sends (issue 12.9)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from gui.widgets import PayloadEditor
from gui.widgets.payload import escapes_of, payload_forms
from net.codec import ENCODINGS, LINE_ENDINGS, MODES, PayloadSpec, encode_payload, parse_escapes

PATH = "C:\\new\\table"  # 12 characters, two backslashes that are not escapes


@pytest.mark.parametrize("compact", [False, True])
def test_a_windows_path_typed_as_text_stays_12_bytes_in_every_mode(
    qtbot: QtBot, compact: bool
) -> None:
    editor = PayloadEditor(compact=compact)
    qtbot.addWidget(editor)
    editor.set_text(PATH)
    assert editor.payload() == PATH.encode() and len(PATH.encode()) == 12
    editor.set_mode("escapes")
    assert editor.text() == "C:\\\\new\\\\table"
    assert editor.payload() == PATH.encode()
    editor.set_mode("hex")
    assert editor.payload() == PATH.encode()
    editor.set_mode("text")
    assert editor.text() == PATH
    editor.set_mode("escapes")
    editor.set_mode("text")
    assert (editor.text(), editor.payload()) == (PATH, PATH.encode())


def test_the_line_ending_goes_into_hex_and_comes_back_out(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.set_spec(PayloadSpec("ping", "text", "UTF-8", "crlf"))
    editor.set_mode("hex")
    assert editor.text() == "70 69 6E 67 0D 0A"
    editor.set_mode("text")
    assert (editor.text(), editor.line_ending()) == ("ping", "crlf")
    # Bytes that do not end with the chosen line ending keep it out of the text.
    editor.set_mode("hex")
    editor.set_text("70 69")
    editor.set_mode("text")
    assert (editor.text(), editor.line_ending(), editor.payload()) == ("pi", "none", b"pi")


def test_bytes_that_are_no_text_switch_text_to_escapes(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.set_mode("hex")
    editor.set_text("E4 B8 AD FF 5C 00")
    editor.set_mode("text")
    assert editor.mode() == "escapes"
    assert editor.text() == "中\\xff\\\\\\0"
    assert editor.payload() == b"\xe4\xb8\xad\xff\\\x00"


def test_a_payload_that_does_not_parse_is_left_as_typed(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.set_mode("hex")
    editor.set_text("4G 41")
    editor.set_mode("text")
    assert editor.text() == "4G 41"


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=40),
    encoding=st.sampled_from(ENCODINGS),
    ending=st.sampled_from(list(LINE_ENDINGS)),
    mode=st.sampled_from(MODES),
    multi_line=st.booleans(),
)
def test_every_form_of_any_bytes_gives_them_back(
    data: bytes, encoding: str, ending: str, mode: str, multi_line: bool
) -> None:
    forms = payload_forms(data, mode, encoding, ending, multi_line=multi_line)
    assert forms
    for text, form_mode, form_ending in forms:
        assert encode_payload(text, form_mode, encoding, form_ending) == data
    assert parse_escapes(escapes_of(data, encoding), encoding) == data


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=40),
    encoding=st.sampled_from(ENCODINGS),
    ending=st.sampled_from(list(LINE_ENDINGS)),
    walk=st.lists(st.sampled_from(MODES), min_size=1, max_size=6),
    compact=st.booleans(),
)
def test_any_walk_through_the_modes_keeps_the_bytes(
    qtbot: QtBot, data: bytes, encoding: str, ending: str, walk: list[str], compact: bool
) -> None:
    """Random bytes, every offered encoding and line ending, every pair of modes in turn."""
    editor = PayloadEditor(compact=compact)
    qtbot.addWidget(editor)
    editor.set_spec(PayloadSpec(data.hex(" "), "hex", encoding, ending))
    assert editor.payload() == data
    for mode in walk:
        editor.set_mode(mode)
        assert editor.payload() == data, (mode, editor.mode(), editor.text())
        assert editor.mode() == mode or (mode, editor.mode()) == ("text", "escapes")
    editor.deleteLater()
