"""The pieces swb's parser is built from (net/_cli_args.py, net/_cli_parser.py): argument types,
option rows, and a handler behind every command."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from net._cli_args import (
    Parser,
    add_options,
    bind_port_arg,
    byte_count,
    byte_size,
    flag,
    milliseconds,
    percent,
    port_arg,
    positive_int,
    seconds,
    seconds_option,
)
from net._cli_parser import build_parser

ACCEPTED: list[tuple[Callable[[str], Any], str, Any]] = [
    (positive_int, "1", 1),
    (positive_int, "256", 256),
    (seconds, "0.5", 0.5),
    (seconds, "86400", 86400.0),
    (milliseconds, "0", 0.0),
    (milliseconds, "86400000", 86_400_000.0),
    (percent, "0", 0.0),
    (percent, "100", 100.0),
    (byte_count, "0", 0),
    (byte_size, "1000000", 1_000_000),
    (byte_size, "500M", 500 * 1024**2),
    (byte_size, "2g", 2 * 1024**3),
    (byte_size, "1.5KiB", 1536),
    (byte_size, "3 MB", 3 * 1024**2),
    (port_arg, "65535", 65535),
    (bind_port_arg, "0", 0),
]

REFUSED: list[tuple[Callable[[str], Any], str, str]] = [
    (positive_int, "0", "0 must be 1 or more"),
    (positive_int, "1.5", "'1.5' is not a whole number"),
    (seconds, "0", "0 seconds is out of range (more than 0, at most 86400)"),
    (seconds, "nan", "nan seconds is out of range"),  # NaN fails every comparison
    (seconds, "soon", "'soon' is not a number of seconds"),
    (milliseconds, "-1", "-1 ms is out of range (0 to 86400000)"),
    (percent, "101", "101 % is out of range (0 to 100)"),
    (percent, "half", "'half' is not a percentage"),
    (byte_count, "-1", "-1 bytes cannot be negative"),
    (byte_count, "1k", "'1k' is not a whole number of bytes"),
    (byte_size, "0", "0 is out of range (more than 0 bytes)"),
    (byte_size, "5Q", "'5Q' is not a size in bytes (like 1000000, 500M or 2G)"),
    (byte_size, "nan", "nan is out of range"),
    (port_arg, "0", "port 0 cannot be used here"),
    (bind_port_arg, "70000", "port 70000 is out of range"),
]


@pytest.mark.parametrize(("kind", "text", "value"), ACCEPTED)
def test_argument_types_read_what_a_person_types(
    kind: Callable[[str], Any], text: str, value: Any
) -> None:
    assert kind(text) == value


@pytest.mark.parametrize(("kind", "text", "sentence"), REFUSED)
def test_argument_types_refuse_with_one_sentence(
    kind: Callable[[str], Any], text: str, sentence: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        kind(text)
    assert str(refused.value).startswith(sentence)


def test_option_rows_and_set_functions_are_added_in_table_order() -> None:
    def pair(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--second")
        parser.add_argument("--third")

    parser = Parser(prog="t")
    add_options(parser, [flag("--first", "on"), pair, seconds_option("--wait", None, 5.0)])
    options = [action.option_strings[-1] for action in parser._actions[1:]]
    assert options == ["--first", "--second", "--third", "--wait"]
    args = parser.parse_args(["--first", "--wait", "2"])
    assert args.first is True and args.wait == 2.0 and args.third is None
    assert parser.parse_args([]).wait == 5.0


def test_the_parser_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = Parser(prog="t")
    add_options(parser, [seconds_option("--wait", None)])
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--wait", "0"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("t: argument --wait: 0 seconds is out of range")


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield command
                yield from _commands(command)


def test_every_command_names_a_handler_that_exists() -> None:
    """A handler is a "module:function" string, imported only when its command runs: a typo in
    a table would otherwise show only when someone ran that command."""
    handlers = {}
    for command in _commands(build_parser()):
        if command._subparsers is None or command.get_default("handler"):
            handler = command.get_default("handler")
            assert handler, f"{command.prog} has no handler"
            handlers[command.prog] = handler
    assert len(handlers) == 14  # 11 commands, and the three actions of packets
    for prog, handler in handlers.items():
        module, _colon, function = handler.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), prog
