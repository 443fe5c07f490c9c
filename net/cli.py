"""``swb``: the Socket Workbench engine from the command line (design.md, "CLI contract").

Exit codes: 0 done, 1 network failure, 2 bad input (one clear line on stderr), 130 interrupted.
Never a traceback: every error the engine raises on purpose has a sentence for the user.
The parser is built by net._cli_parser (from net._cli_args' types and option rows); each command
runs from its own net._cli_* module, imported only when that command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

# port_arg, bind_port_arg and number_arg are re-exported: they lived here before the split.
from net._cli_args import EXIT_BAD_INPUT, bind_port_arg, number_arg, port_arg
from net._cli_parser import build_parser
from net._i18n import N_, _, fit_output, ngettext, translate_argparse
from net._version import __version__
from net.errors import InputError, NetError

__all__ = ["bind_port_arg", "build_parser", "exit_status", "main", "number_arg", "port_arg"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_INTERRUPTED = 130

#: What argparse itself says to a user (CPython's Lib/argparse.py), so the catalogue translates
#: it too: net._i18n.translate_argparse points argparse's gettext at swb's catalogue.
ARGPARSE_SENTENCES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
)
#: argparse counts with ngettext; a lambda marks the pair for the catalogue without running it.
_ARGPARSE_COUNTED = (lambda n: ngettext("expected %s argument", "expected %s arguments", n),)


def _load(handler: str) -> Callable[[argparse.Namespace], int]:
    module_name, _colon, func = handler.partition(":")
    module = __import__(module_name, fromlist=[func])
    result: Callable[[argparse.Namespace], int] = getattr(module, func)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``swb``; returns the exit code (the console script passes it to ``sys.exit``)."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        # Before the parser: building it imports every command's option tables (issue 22).
        print(f"swb {__version__}")
        return EXIT_OK
    _escape_unencodable_output()
    # A console that cannot show the language's script (cp1252, ASCII) gets English sentences.
    fit_output(sys.stdout, sys.stderr)
    translate_argparse()
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        return _load(args.handler)(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    except NetError as exc:
        _fail(f"swb: {exc}")
        return exit_status(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout went away (`swb udp-listen 9 | head`): nothing left to tell anyone.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        # A bug of ours: one line, not a traceback, unless --debug asks for it.
        _fail(
            "swb: "
            + _("internal error ({kind}: {exc}); --debug shows where").format(
                kind=type(exc).__name__, exc=exc
            )
        )
        if args is not None and args.debug:
            import traceback

            traceback.print_exc()
        return EXIT_NETWORK


def exit_status(exc: NetError) -> int:
    """The exit status for a command that ended with ``exc`` (design.md, CLI contract): 2 for
    input the user can fix (an InputError), 1 for a failure of the network or the peer."""
    return EXIT_BAD_INPUT if isinstance(exc, InputError) else EXIT_NETWORK


def _escape_unencodable_output() -> None:
    """Write what stdout and stderr cannot encode as escapes (``\\u62a5``) instead of crashing.

    A redirected stdout on Windows uses the legacy code page (cp1252 on a Western system), which
    has no Chinese characters; a file name or received text would end the command with a
    UnicodeEncodeError half-way through its work.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on replaced streams
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _fail(message: str) -> None:
    sys.stderr.write(message.replace("\n", " ") + "\n")
    sys.stderr.flush()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
