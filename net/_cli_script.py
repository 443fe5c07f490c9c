"""``swb run SCRIPT.toml``: run a conversation script (net.script) and say how it went.

One line per step on stdout (``--json``: one JSON object), the outcome on stderr. Exit status: 0
when every expectation matched, 1 when one failed or the network failed (naming the step and
what arrived instead), 2 for a bad script (with its line) or bad options, 130 when stopped by a
signal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from net._cli_common import status, stop_on_signals, warn_if_insecure
from net._i18n import _, ngettext
from net.codec import json_line, render_text, to_hex
from net.errors import PayloadError
from net.script import ScriptRunner, StepResult, junit_xml, load_script

__all__ = ["run"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def _variables(items: list[str]) -> dict[str, str]:
    values = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise PayloadError(_("--var {item!r} must look like NAME=VALUE").format(item=item))
        values[name] = value
    return values


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _text_shown(encoding: str) -> Callable[[bytes], str]:
    """:func:`net.codec.render_text` for one encoding, quicker for ASCII bytes (most lines
    of a conversation): each character's rendering is looked up in a table made from it."""
    one = [render_text(bytes([code]), encoding) for code in range(128)]
    # Not ASCII-compatible (UTF-16), or ASCII bytes that shift state (ISO-2022, UTF-7, HZ).
    shifts = b"\x1b$B+-~{"
    if "".join(one[32:127]) != "".join(map(chr, range(32, 127))) or render_text(
        shifts, encoding
    ) != "".join(one[code] for code in shifts):
        return lambda data: render_text(data, encoding)
    table = {code: text for code, text in enumerate(one) if text != chr(code)}

    def shown(data: bytes) -> str:
        if data.isascii():
            return data.decode("ascii").translate(table)
        return render_text(data, encoding)

    return shown


def run(args: argparse.Namespace) -> int:
    """``swb run SCRIPT.toml [--var NAME=VALUE]... [--junit FILE] [--json]``."""
    script = load_script(args.script, _variables(args.var))
    if args.junit:
        _check_report_path(Path(args.junit))
    warn_if_insecure(script.tls)
    rounds = script.repeat > 1
    write = sys.stdout.write
    flushed = [0.0]
    heads: dict[int, str] = {}  # by step number: a line starts the same in every round
    shown = _text_shown(script.encoding)

    def on_step(result: StepResult) -> None:
        step = result.step
        if args.json:
            record: dict[str, object] = {
                "round": result.round,
                "step": step.number,
                "line": step.line,
                "kind": step.kind,
                "ok": result.ok,
                "bytes": result.size,
                "elapsed_ms": round(result.elapsed * 1000, 3),
                "duration_ms": round(result.duration * 1000, 3),
            }
            if result.rtt is not None:
                record["rtt_ms"] = round(result.rtt * 1000, 3)
            if result.data:
                record["text"] = render_text(result.data, script.encoding, one_line=False)
                record["hex"] = to_hex(result.data, "")
            if result.captures:
                record["captures"] = dict(result.captures)
            if not result.ok:
                record["problem"] = result.problem
            write(json_line(record) + "\n")
        else:
            step, number, ok, size, elapsed, _duration, rtt, data, _captures, problem, _received = (
                result
            )
            head = heads.get(step.number)
            if head is None:
                head = heads[step.number] = _("step {number}  {kind:<6}").format(
                    number=step.number, kind=step.kind
                )
            if rounds:
                head = _("round {number} {head}").format(number=number, head=head)
            if not ok:
                line = _("{head}  FAILED  elapsed {elapsed}  {problem}").format(
                    head=head, elapsed=_ms(elapsed), problem=problem
                )
                write(line + "\n")
            else:
                rtt_text = "" if rtt is None else _("  rtt {ms:.3f} ms").format(ms=rtt * 1000)
                text = f"  '{shown(data[:200])}'" if data else ""  # a delay has no data
                line = _("{head}  {size:>6} bytes  elapsed {ms:.3f} ms{rtt}{text}").format(
                    head=head, size=size, ms=elapsed * 1000, rtt=rtt_text, text=text
                )
                write(line + "\n")
        # Lines show as they happen, yet a fast run is not slowed by a flush per step.
        now = time.monotonic()
        if now - flushed[0] >= 0.1 or not result.ok:
            flushed[0] = now
            sys.stdout.flush()

    runner = ScriptRunner(script, on_step)
    with runner, stop_on_signals(runner):
        outcome = runner.run()
    sys.stdout.flush()
    if args.junit:
        _write_atomically(Path(args.junit), junit_xml(outcome, script))
    if outcome.stopped:
        status(
            ngettext(
                "swb: stopped after {steps} step", "swb: stopped after {steps} steps", outcome.steps
            ).format(steps=outcome.steps)
        )
        return EXIT_INTERRUPTED
    if outcome.problem:
        status(f"swb: {outcome.problem}")
        return EXIT_FAILED
    status(
        _("{matched} of {expectations} expectations matched, {steps} steps in {ms}").format(
            matched=outcome.matched,
            expectations=script.expectations,
            steps=outcome.steps,
            ms=_ms(outcome.elapsed),
        )
    )
    return EXIT_OK


def _check_report_path(path: Path) -> None:
    """Refuse a report path that cannot be written before the conversation starts, so a typo in
    --junit does not cost a run against a device (bad input, exit 2).

    Raises:
        PayloadError: the folder does not exist, or the path is a folder.
    """
    folder = path.parent
    if path.is_dir():
        raise PayloadError(
            _("cannot write the JUnit report {path}: it is a folder").format(path=path)
        )
    if not folder.is_dir():
        raise PayloadError(
            _("cannot write the JUnit report {path}: the folder {folder} does not exist").format(
                path=path, folder=folder
            )
        )


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so a reader never
    sees half a report. The report gets the permissions of any new file (0666 less the umask):
    CI systems often collect it as another user, and mkstemp's 0600 would hide it from them."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise PayloadError(
            _("cannot write the JUnit report {path}: {strerror}").format(
                path=path, strerror=exc.strerror or exc
            )
        ) from None
