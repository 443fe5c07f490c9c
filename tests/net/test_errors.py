"""The one error tree (net/errors.py) and the exit status the CLI gives each kind of error."""

from __future__ import annotations

import errno
import inspect

import pytest

import net._cli_sockets
import net.errors
from net.cli import exit_status, main
from net.errors import InputError, NetError, UploadRefused


def tree() -> list[type[NetError]]:
    """Every NetError class that net.errors defines."""
    return [
        cls
        for _name, cls in inspect.getmembers(net.errors, inspect.isclass)
        if issubclass(cls, NetError) and cls.__module__ == "net.errors"
    ]


def example(cls: type[NetError]) -> NetError:
    if cls is UploadRefused:
        return UploadRefused(409, "a sentence")
    return cls("a sentence")


def test_the_tree_is_whole_and_drawn_in_the_docstring() -> None:
    names = {cls.__name__ for cls in tree()}
    assert {"InputError", "LocalFileError", "TransferCancelled", "ScriptError"} <= names
    doc = net.errors.__doc__ or ""
    assert all(name in doc for name in names), names - set(doc.split())
    assert set(net.errors.__all__) >= names


def test_every_net_error_class_lives_in_net_errors() -> None:
    """No module of net defines a NetError of its own; old homes only re-export."""
    import pkgutil

    import net

    found = []
    for info in pkgutil.walk_packages(net.__path__, "net."):
        if info.name in ("net.__main__",):
            continue
        module = __import__(info.name, fromlist=["_"])
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, NetError) and cls.__module__ != "net.errors":
                found.append(f"{cls.__module__}.{cls.__qualname__}")
    assert found == []


@pytest.mark.parametrize("cls", tree(), ids=lambda cls: cls.__name__)
def test_input_errors_exit_2_and_the_rest_exit_1(cls: type[NetError]) -> None:
    error = example(cls)
    if issubclass(cls, InputError):
        assert isinstance(error, ValueError)
        assert exit_status(error) == 2
    else:
        assert not isinstance(error, ValueError)
        assert exit_status(error) == 1


def test_old_names_stay_importable() -> None:
    from net.download import TransferCancelled
    from net.packets import LibraryError
    from net.script import ScriptError
    from net.share import LocalFileError
    from net.upload import UploadRefused as Refused

    assert issubclass(LocalFileError, InputError) and issubclass(
        LocalFileError, net.errors.TransferError
    )
    assert issubclass(ScriptError, net.errors.PayloadError) and issubclass(LibraryError, InputError)
    assert TransferCancelled is net.errors.TransferCancelled and Refused is UploadRefused


def test_a_bug_in_a_command_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(net._cli_sockets, "udp_send", broken)
    assert main(["udp-send", "127.0.0.1", "9", "x"]) == 1
    err = capsys.readouterr().err
    assert err == "swb: internal error (KeyError: 'surprise'); --debug shows where\n"

    assert main(["--debug", "udp-send", "127.0.0.1", "9", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("swb: internal error (KeyError") and "Traceback" in err
    assert 'raise KeyError("surprise")' in err


OS_ERROR_CASES = [
    # (the error, the sentence net.errors.describe_os_error makes of it with the connect table)
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused by"),
    (TimeoutError("timed out"), "no answer from 127.0.0.1:9 before the time limit"),
    (OSError(errno.ETIMEDOUT, "Connection timed out"), "before the time limit"),
    (OSError(errno.ENOTCONN, "Transport endpoint is not connected"), "cannot reach 127.0.0.1:9"),
    (OSError("no errno at all"), "cannot reach 127.0.0.1:9: no errno at all"),
]


@pytest.mark.parametrize(("exc", "expected"), OS_ERROR_CASES)
def test_one_function_turns_an_os_error_into_a_sentence(exc: OSError, expected: str) -> None:
    sentence = net.errors.describe_connect_error(exc, "127.0.0.1", 9)
    assert expected in sentence
    assert "Errno" not in sentence and "\n" not in sentence
    # The same function serves each situation with its own table of sentences.
    assert net.errors.describe_os_error(
        exc, {}, "cannot reach {where}: {system_words}", where="127.0.0.1:9"
    ).startswith("cannot reach 127.0.0.1:9: ")


def test_an_unknown_errno_ends_with_the_systems_own_words() -> None:
    exc = OSError(errno.ENOTCONN, "Transport endpoint is not connected")
    assert net.errors.describe_io_error(exc, "peer 1.2.3.4:5").endswith(
        ": transport endpoint is not connected"
    )
    assert (
        net.errors.describe_bind_error(OSError(errno.EADDRINUSE, "in use"), "::1", 8080)
        == "port 8080 is already in use by another program ([::1]:8080)"
    )
