"""Reading a conversation script (net.script documents the file): the checked Script and Step, and
what a step's text becomes (bytes to send, a pattern to expect); errors name the file and line."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from net._i18n import N_, _
from net._record import Record as _Value
from net._script_step import DEFAULT_TIMEOUT, Step
from net.address import parse_host, parse_port
from net.checksum import append_checksum, get_checksum
from net.codec import check_encoding
from net.errors import NetError, ScriptError
from net.events import StepResult
from net.rules import compile_hex_pattern, compile_regex, regex_shape, substitute_values
from net.variables import Template, parse_template

if TYPE_CHECKING:
    # Imported where used: a plain TCP script need not pay for loading TLS or UDP, and the GUI's
    # send panels (which save logs as scripts) start without TLS or the regex library.
    import regex

    from net.tls import ClientTls

#: Step results a run keeps for its report (a long run keeps its last ones; counts stay exact).
MAX_KEPT_RESULTS: Final = 10_000
#: Bytes an expectation keeps of what arrived while it waits (older bytes are dropped).
MAX_EXPECT_BUFFER: Final = 64 * 1024
MAX_REPEAT: Final = 10_000_000
_STEP_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*step[ \t]*\]\]", re.MULTILINE)
_CONNECTION_KEYS = {
    "protocol",
    "host",
    "port",
    "encoding",
    "repeat",
    "insecure",
    "fingerprint",
    "cafile",
    "connect_timeout",
}
_ACTIONS = ("send", "send_hex", "expect", "expect_hex", "delay")
_TLS_KEYS = N_(
    ' (in a script, write them as keys of [connection]: fingerprint = "AB:CD:...", '
    'insecure = true or cafile = "ca.pem")'
)
_STEP_KEYS = {*_ACTIONS, "checksum", "timeout", "capture", "name"}
_NAME_REFERENCE = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
_VARIABLE_NAMES = {"counter", "unixtime", "time", "random", "hex"}


#: The default of mappings a value may hold: shared, so it must never change.
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Script(_Value):
    """A checked script: where to connect and the steps."""

    protocol: Literal["tcp", "udp", "tls"]
    host: str
    port: int
    steps: tuple[Step, ...]
    encoding: str = "UTF-8"
    repeat: int = 1
    tls: ClientTls | None = None
    connect_timeout: float = 10.0
    name: str = "script"
    variables: Mapping[str, bytes] = _NOTHING

    @property
    def expectations(self) -> int:
        return sum(step.kind == "expect" for step in self.steps) * self.repeat


class RunResult(_Value):
    """The whole run: every step's result, and the failure if there was one."""

    results: tuple[StepResult, ...]  # the last MAX_KEPT_RESULTS steps
    elapsed: float
    problem: str = ""  # the first failure (an expectation or the network), "" if none
    stopped: bool = False
    steps: int = 0  # steps run, all of them
    matched: int = 0  # expectations that matched, all of them

    @property
    def ok(self) -> bool:
        return not self.problem and not self.stopped


def _line_of(source: str, number: int) -> int:
    """The line (1-based) of the ``number``-th ``[[step]]`` header, 0 when not found."""
    for index, match in enumerate(_STEP_HEADER.finditer(source), 1):
        if index == number:
            return source.count("\n", 0, match.start()) + 1
    return 0


def _seconds(value: Any, what: str, where: str, *, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptError(
            _("{where}: {what} must be a number of seconds, not {value!r}").format(
                where=where, what=what, value=value
            )
        )
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not zero) or seconds > 86400:
        raise ScriptError(
            _("{where}: {what} {value!r} is out of range (above 0, at most 86400 s)").format(
                where=where, what=what, value=value
            )
        )
    return seconds


def parse_script(
    source: str, name: str = "script", variables: Mapping[str, str] | None = None
) -> Script:
    """Read and check a script's TOML text (shape in the module docstring).

    Args:
        source: the file's text.
        name: what sentences call the file ("modbus.toml").
        variables: ``--var`` values by name, as text in the script's encoding.
    Raises:
        ScriptError: a TOML syntax error (with its line and column), an unknown table or key, a
            missing or wrong value, a step with no action or two, a pattern that does not
            compile, a ``{{name}}`` that nothing defines; the sentence says where.
    """
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{name}: {exc}") from None
    unknown = set(document) - {"connection", "step"}
    if unknown:
        raise ScriptError(
            _(
                "{name}: unknown table or key {key!r} (a script has [connection] and [[step]])"
            ).format(name=name, key=sorted(unknown)[0])
        )
    conn = document.get("connection")
    if not isinstance(conn, dict):
        raise ScriptError(
            _("{name}: the [connection] table is missing (protocol, host, port)").format(name=name)
        )
    where = f"{name} [connection]"
    bad = set(conn) - _CONNECTION_KEYS
    if bad:
        raise ScriptError(
            _("{where}: unknown key {key!r} (known: {known})").format(
                where=where, key=sorted(bad)[0], known=", ".join(sorted(_CONNECTION_KEYS))
            )
        )
    protocol = str(conn.get("protocol", "tcp")).lower()
    if protocol not in ("tcp", "udp", "tls"):
        raise ScriptError(
            _("{where}: protocol {protocol!r} is not tcp, udp or tls").format(
                where=where, protocol=protocol
            )
        )
    try:
        host = parse_host(str(conn.get("host", "")))
        port = parse_port(conn.get("port", ""))
        encoding = str(conn.get("encoding", "UTF-8"))
        check_encoding(encoding)
        tls = None
        if protocol == "tls":
            from net.tls import ClientTls

            tls = ClientTls(
                verify=not bool(conn.get("insecure", False)),
                fingerprint=conn.get("fingerprint"),
                cafile=conn.get("cafile"),
            )
        elif {"insecure", "fingerprint", "cafile"} & set(conn):
            raise ScriptError(
                _('{where}: insecure, fingerprint and cafile need protocol = "tls"').format(
                    where=where
                )
            )
    except NetError as exc:
        raise ScriptError(f"{where}: {exc}") from None
    repeat = conn.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        raise ScriptError(
            _("{where}: repeat must be a whole number from 1 to {max_repeat:,}").format(
                where=where, max_repeat=MAX_REPEAT
            )
        )
    connect_timeout = _seconds(conn.get("connect_timeout", 10.0), "connect_timeout", where)
    values: dict[str, bytes] = {}
    for key, text in (variables or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ScriptError(
                _("variable name {key!r} must be letters, digits and _").format(key=key)
            )
        values[key] = text.encode(check_encoding(encoding), "surrogateescape")
    raw_steps = document.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScriptError(_("{name}: the script has no [[step]]").format(name=name))
    known = set(values)
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        line = _line_of(source, number)
        step = _parse_step(
            raw,
            number,
            _("{name} line {line} (step {number})").format(name=name, line=line, number=number),
            line,
            encoding,
            known,
        )
        steps.append(step)
        if step.kind == "expect" and step.capture and step._pattern is not None:
            known |= set(step._pattern.groupindex)
    return Script(
        protocol,  # type: ignore[arg-type]
        host,
        port,
        tuple(steps),
        encoding,
        repeat,
        tls,
        connect_timeout,
        name,
        values,
    )


def _parse_step(
    raw: Any, number: int, where: str, line: int, encoding: str, known: set[str]
) -> Step:
    if not isinstance(raw, dict):
        raise ScriptError(_("{where}: a step is a table of keys").format(where=where))
    bad = set(raw) - _STEP_KEYS
    if bad:
        raise ScriptError(
            _("{where}: unknown key {key!r} (known: {known})").format(
                where=where, key=sorted(bad)[0], known=", ".join(sorted(_STEP_KEYS))
            )
        )
    actions = [key for key in _ACTIONS if key in raw]
    if len(actions) != 1:
        raise ScriptError(
            _(
                "{where}: a step does exactly one of send, send_hex, expect, expect_hex or delay"
            ).format(where=where)
            + (
                _(" (this one has {actions})").format(actions=" and ".join(actions))
                if actions
                else ""
            )
        )
    action = actions[0]
    label = raw.get("name", "")
    if not isinstance(label, str):
        raise ScriptError(_("{where}: name must be text").format(where=where))
    if action == "delay":
        for key in ("checksum", "timeout", "capture"):
            if key in raw:
                raise ScriptError(
                    _("{where}: {key} does not apply to a delay").format(where=where, key=key)
                )
        seconds = _seconds(raw["delay"], "delay", where, zero=True)
        return Step(number, line, "delay", delay=seconds, name=label)
    text = raw[action]
    if not isinstance(text, str) or not text:
        raise ScriptError(
            _("{where}: {action} must be non-empty text").format(where=where, action=action)
        )
    is_hex = action.endswith("_hex")
    try:
        if action.startswith("send"):
            for key in ("timeout", "capture"):
                if key in raw:
                    raise ScriptError(
                        _("{where}: {key} belongs to an expect step, not a send").format(
                            where=where, key=key
                        )
                    )
            checksum = raw.get("checksum")
            if checksum is not None:
                if not isinstance(checksum, str):
                    raise ScriptError(
                        _("{where}: checksum must be a name like crc16-modbus").format(where=where)
                    )
                get_checksum(checksum)
            _check_names(text, known, where)
            placeholders = dict.fromkeys(known, b"\0")
            trial = parse_template(substitute_values(text, placeholders))
            trial.render("hex" if is_hex else "escapes", encoding)
            dynamic = _uses_values(text, known)
            return Step(
                number,
                line,
                "send",
                text,
                is_hex,
                checksum,
                name=label,
                _sender=None if dynamic else _sender(trial, is_hex, encoding, checksum),
                _dynamic=dynamic,
            )
        if "checksum" in raw:
            raise ScriptError(_("{where}: checksum belongs to a send step").format(where=where))
        timeout = _seconds(raw.get("timeout", DEFAULT_TIMEOUT), "timeout", where)
        capture = raw.get("capture", False)
        if not isinstance(capture, bool):
            raise ScriptError(_("{where}: capture must be true or false").format(where=where))
        pattern: regex.Pattern[str] | re.Pattern[bytes]
        safe_length = 0
        if is_hex:
            if capture:
                raise ScriptError(
                    _("{where}: expect_hex has no groups to capture").format(where=where)
                )
            pattern = compile_hex_pattern(text)
        else:
            _check_names(text, known, where)
            source = _expect_pattern(text, dict.fromkeys(known, "x"))
            pattern = compile_regex(source, N_("the expect"))
            safe_length = regex_shape(source).safe_length
            if capture and not pattern.groupindex:
                raise ScriptError(
                    _(
                        "{where}: capture = true but the pattern has no named groups like "
                        "(?P<seq>\\d+)"
                    ).format(where=where)
                )
        return Step(
            number,
            line,
            "expect",
            text,
            is_hex,
            None,
            timeout,
            capture,
            name=label,
            _pattern=pattern,
            _safe_length=safe_length,
            _dynamic=not is_hex and _uses_values(text, known),
        )
    except ScriptError:
        raise
    except NetError as exc:
        raise ScriptError(f"{where}: {exc}") from None


def _sender(
    template: Template, is_hex: bool, encoding: str, checksum: str | None
) -> Callable[[int], bytes]:
    """A send's bytes as a function of the round (0-based), made once: a step in a
    10,000-round script should not parse and encode the same text 10,000 times."""
    render = template.renderer("hex" if is_hex else "escapes", encoding)
    if not template.has_variables:
        data = append_checksum(render(0), checksum)
        return lambda _round: data
    if checksum is None:
        return render
    return lambda sequence: append_checksum(render(sequence), checksum)


def _uses_values(text: str, known: set[str]) -> bool:
    return any(m.group(1) in known for m in _NAME_REFERENCE.finditer(text.replace("{{{{", "")))


def _check_names(text: str, known: set[str], where: str) -> None:
    for match in _NAME_REFERENCE.finditer(text.replace("{{{{", "")):
        key = match.group(1)
        if key not in known and key not in _VARIABLE_NAMES:
            raise ScriptError(
                _(
                    "{where}: {{{{{key}}}}} is not defined (give --var {key}=VALUE, or "
                    "capture it in an earlier expect)"
                ).format(where=where, key=key)
            )


def _expect_pattern(text: str, values: Mapping[str, str]) -> str:
    """An expect's regex with each ``{{name}}`` of ``values`` replaced by that text, escaped."""
    import regex

    return _NAME_REFERENCE.sub(
        lambda m: regex.escape(values[m.group(1)]) if m.group(1) in values else m.group(0), text
    )


def load_script(path: str | os.PathLike[str], variables: Mapping[str, str] | None = None) -> Script:
    """:func:`parse_script` for a file (at most 1 MiB, UTF-8).

    Raises:
        ScriptError: the file cannot be read, or as :func:`parse_script`.
    """
    file = Path(path)
    try:
        with open(file, "rb") as handle:
            data = handle.read(1024 * 1024 + 1)
    except OSError as exc:
        raise ScriptError(
            _("cannot read the script {file}: {strerror}").format(
                file=file, strerror=exc.strerror or exc
            )
        ) from None
    if len(data) > 1024 * 1024:
        raise ScriptError(_("{name}: a script may be at most 1 MiB").format(name=file.name))
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScriptError(
            _("{name}: the file is not UTF-8 text (byte {start})").format(
                name=file.name, start=exc.start + 1
            )
        ) from None
    return parse_script(source, file.name, variables)
