"""Conversation scripts: a TOML file of send / expect / delay steps run against a TCP, UDP or TLS
peer, with captures, variables and round-trip times (issue 18), and scripts or mock rules made
from a recorded conversation.

The file (read with the standard library's ``tomllib``)::

    [connection]
    protocol = "tcp"        # tcp | udp | tls (tls: insecure / fingerprint / cafile)
    host = "127.0.0.1"
    port = 5020
    encoding = "utf-8"      # for text steps
    repeat = 1              # run the step list this many times
    connect_timeout = 10.0  # seconds

    [[step]]
    send = "PING {{counter}}\\r\\n"   # escapes and net.variables; or send_hex = "01 03 00 00"
    checksum = "crc16-modbus"         # optional, appended to the send

    [[step]]
    expect = 'PONG (?P<seq>\\d+)'     # regex searched in the decoded text; or expect_hex (?? = any)
    timeout = 2.0                     # seconds (default 5)
    capture = true                    # named groups become variables: {{seq}}

    [[step]]
    delay = 0.25                      # seconds

``{{counter}}`` is the round number (1 for the first run of the step list); ``{{NAME}}`` is a
``--var`` value or a capture of an earlier step, as bytes in sends and as literal text in expects.
Over TCP and TLS an expectation reads the stream until the pattern matches (the bytes up to the end
of the match are used up; what follows stays for the next expect); over UDP each datagram is tried
on its own. An expectation keeps the last :data:`MAX_EXPECT_BUFFER` bytes that arrived and gives
its regex :data:`net.rules.MATCH_BUDGET` seconds per try.
"""

from __future__ import annotations

import math
import os
import re
import selectors
import socket
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from net._connect import connect
from net._i18n import N_, _
from net._loop import StoppableLoop
from net._record import Record as _Value
from net.address import format_peer, parse_host, parse_port, resolve
from net.checksum import append_checksum, get_checksum
from net.codec import check_encoding, parse_hex, render_text, to_hex
from net.errors import ConnectError, NetError, PayloadError, ScriptError, TlsError
from net.events import StepResult
from net.rules import (
    MATCH_BUDGET,
    Rule,
    compile_hex_pattern,
    compile_regex,
    escape_bytes,
    make_rule,
    regex_shape,
    substitute_values,
)
from net.variables import Template, parse_template

if TYPE_CHECKING:
    # Imported where used: a plain TCP script need not pay for loading TLS or UDP, and the GUI's
    # send panels (which save logs as scripts) start without TLS or the regex library.

    import regex

    from net.tls import ClientTls
    from net.udp import UdpSender

__all__ = [
    "MAX_EXPECT_BUFFER",
    "MAX_KEPT_RESULTS",
    "Record",
    "RunResult",
    "Script",
    "ScriptError",
    "ScriptRunner",
    "Step",
    "StepResult",
    "junit_xml",
    "load_script",
    "mock_rules",
    "parse_script",
    "records_from_script",
    "rules_from_records",
    "script_from_records",
]

#: Step results a run keeps for its report (a long run keeps its last ones; counts stay exact).
MAX_KEPT_RESULTS: Final = 10_000
#: Bytes an expectation keeps of what arrived while it waits (older bytes are dropped).
MAX_EXPECT_BUFFER: Final = 64 * 1024
DEFAULT_TIMEOUT: Final = 5.0
MAX_REPEAT: Final = 10_000_000
_RECV_SIZE = 64 * 1024
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
StepKind = Literal["send", "expect", "delay"]


class Step(_Value):
    """One step of a script, checked. ``line`` is where its ``[[step]]`` header is (1-based)."""

    number: int
    line: int
    kind: StepKind
    text: str = ""  # a send's template or an expect's pattern, as written
    hex: bool = False
    checksum: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    capture: bool = False
    delay: float = 0.0
    name: str = ""
    _pattern: regex.Pattern[str] | re.Pattern[bytes] | None = None
    # Made once when the step uses no --var or captured value: a send's bytes as a function of
    # the round (0-based; checksum included), an expect's fixed pattern.
    _sender: Callable[[int], bytes] | None = None
    # Characters an expect's regex searches without a time limit (net.rules.regex_shape).
    _safe_length: int = 0
    _dynamic: bool = False

    @property
    def label(self) -> str:
        """How reports name the step: its name, or what it does."""
        if self.name:
            return self.name
        if self.kind == "delay":
            return f"delay {self.delay:g} s"
        return f"{self.kind}{'_hex' if self.hex else ''} {self.text!r}"


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


class _Stream:
    """A TCP (or TLS) connection read and written through one selector with the runner's waker."""

    def __init__(self, runner: ScriptRunner, script: Script) -> None:
        self._runner = runner
        self._selector = runner.new_selector()
        self.sock = self._connect(script)
        #: What a non-blocking call raises when it must wait (TLS adds its own two).
        self._again: tuple[type[OSError], ...] = (BlockingIOError, InterruptedError)
        if script.tls is not None:
            import ssl

            from net.tls import wrap_client

            self.sock = wrap_client(
                self.sock, script.host, script.tls, script.connect_timeout, loop=runner
            )
            self._again += (ssl.SSLWantWriteError, ssl.SSLWantReadError)
        self.peer = format_peer(self.sock.getpeername())
        self._selector.register(self.sock, selectors.EVENT_READ, self.sock)

    def _connect(self, script: Script) -> socket.socket:
        endpoints = resolve(script.host, script.port)
        sock = connect(self._runner, endpoints, script.connect_timeout, script.host, script.port)
        if sock is None:
            raise _Stopped
        return sock

    def _wait(self, deadline: float) -> bool:
        """Wait for the socket (or a stop); False when ``deadline`` passed first."""
        while True:
            if self._runner.stopping:
                raise _Stopped
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for key, _mask in self._selector.select(remaining):
                if key.data is self._runner._waker:
                    self._runner._waker.drain()
                else:
                    return True

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except self._again:
                self._selector.modify(self.sock, selectors.EVENT_WRITE, self.sock)
                try:
                    self._wait(time.monotonic() + 30.0)
                finally:
                    self._selector.modify(self.sock, selectors.EVENT_READ, self.sock)
                continue
            except OSError as exc:
                raise ConnectError(
                    _("sending to {peer} failed: {strerror}").format(
                        peer=self.peer, strerror=exc.strerror or exc
                    )
                ) from exc
            view = view[sent:]

    def receive(self, deadline: float) -> bytes | None:
        """Bytes that arrived, or None when ``deadline`` passed first.

        Raises:
            ConnectError: the peer closed the connection or it broke.
        """
        while True:
            # Checked before reading: a peer that never stops sending must not hold an expect
            # past its deadline, nor the runner past a stop.
            if self._runner.stopping:
                raise _Stopped
            if time.monotonic() >= deadline:
                return None
            # Read first, wait only when nothing is there: a reply often arrives while the
            # step's result is reported, and TLS may hold decrypted bytes the socket does not
            # show to a selector.
            try:
                data = self.sock.recv(_RECV_SIZE)
            except self._again:
                if not self._wait(deadline):
                    return None
                continue
            except OSError as exc:
                raise ConnectError(
                    _("the connection to {peer} broke: {strerror}").format(
                        peer=self.peer, strerror=exc.strerror or exc
                    )
                ) from exc
            if not data:
                raise ConnectError(_("{peer} closed the connection").format(peer=self.peer))
            return data

    def close(self) -> None:
        self._selector.close()
        self.sock.close()


class _Stopped(Exception):
    """The runner was shut down."""


class ScriptRunner(StoppableLoop):
    """Runs a :class:`Script` once: connect, then every step, ``repeat`` times, until an
    expectation fails, the network fails, or :meth:`shutdown` (from any thread) stops it.

    ``on_step`` gets each :class:`StepResult` on the running thread as soon as the step ends.
    """

    def __init__(self, script: Script, on_step: Callable[[StepResult], None] | None = None) -> None:
        super().__init__()
        self.script = script
        self._on_step = on_step
        self._udp: UdpSender | None = None
        self._codec = check_encoding(script.encoding)

    def shutdown(self) -> None:
        super().shutdown()
        udp = self._udp
        if udp is not None:
            udp.shutdown()

    def run(self) -> RunResult:
        """Run the script; never raises for what the network or the peer does (see
        :attr:`RunResult.problem`).

        Raises:
            AddressError: the host name does not exist (bad input, before anything is sent).
        """
        script = self.script
        results: deque[StepResult] = deque(maxlen=MAX_KEPT_RESULTS)
        step_count = match_count = 0
        start = time.perf_counter()
        values = dict(script.variables)
        stream: _Stream | None = None
        problem = ""
        stopped = False
        try:
            if script.protocol == "udp":
                from net.udp import UdpSender

                self._udp = UdpSender(script.host, script.port)
                if self.stopping:
                    self._udp.shutdown()
            else:
                stream = _Stream(self, script)
            buffer = bytearray()
            last_send = start
            for round_number in range(1, script.repeat + 1):
                for step in script.steps:
                    if self.stopping:
                        raise _Stopped
                    began = time.perf_counter()
                    if step.kind == "delay":
                        if self.wait_stopped(step.delay):
                            raise _Stopped
                        ended = time.perf_counter()
                        # Every field given in order: the quick way to build a Record.
                        result = StepResult(
                            step, round_number, True, 0, began - start, ended - began, None,
                            b"", _NOTHING, "", b"",
                        )  # fmt: skip
                    elif step.kind == "send":
                        data = self._render(step, values, round_number)
                        if stream is not None:
                            stream.send(data)
                        else:
                            assert self._udp is not None
                            self._udp.send(data)
                        last_send = time.perf_counter()
                        result = StepResult(
                            step, round_number, True, len(data), last_send - start,
                            last_send - began, None, data, _NOTHING, "", b"",
                        )  # fmt: skip
                    else:
                        matched, captures, problem, seen = self._expect(
                            step, stream, buffer, values
                        )
                        now = time.perf_counter()
                        result = StepResult(
                            step,
                            round_number,
                            matched is not None,
                            len(matched or b""),
                            now - start,
                            now - began,
                            (now - last_send) if matched is not None else None,
                            matched or b"",
                            captures,
                            problem,
                            seen,
                        )
                    results.append(result)
                    step_count += 1
                    match_count += step.kind == "expect" and result.ok
                    if self._on_step is not None:
                        self._on_step(result)
                    if not result.ok:
                        problem = result.problem
                        elapsed = time.perf_counter() - start
                        return RunResult(
                            tuple(results), elapsed, problem, False, step_count, match_count
                        )
        except _Stopped:
            stopped = True
        except ConnectError as exc:
            if self.stopping:
                stopped = True
            else:
                problem = str(exc)
                if isinstance(exc, TlsError) and " --" in problem:
                    # net.tls advises swb's options; a script has no options, it has keys.
                    problem += _(_TLS_KEYS)

        except PayloadError as exc:  # a capture the encoding cannot write, a datagram too large
            problem = str(exc)
        finally:
            if stream is not None:
                stream.close()
            if self._udp is not None:
                self._udp.close()
        elapsed = time.perf_counter() - start
        return RunResult(tuple(results), elapsed, problem, stopped, step_count, match_count)

    def _render(self, step: Step, values: Mapping[str, bytes], round_number: int) -> bytes:
        sender = step._sender
        if sender is None:  # the step uses captured values: they change from round to round
            template = parse_template(substitute_values(step.text, values))
            sender = _sender(template, step.hex, self.script.encoding, step.checksum)
        return sender(round_number - 1)

    def _expect(
        self, step: Step, stream: _Stream | None, buffer: bytearray, values: dict[str, bytes]
    ) -> tuple[bytes | None, dict[str, str], str, bytes]:
        """(the matched bytes or None, captures, why it failed, what arrived instead)."""
        codec = self._codec
        pattern = step._pattern
        if step._dynamic:
            texts = {k: v.decode(codec, "surrogateescape") for k, v in values.items()}
            source = _expect_pattern(step.text, texts)
            pattern = compile_regex(source, N_("the expect"))
            safe_length = regex_shape(source).safe_length
        else:
            safe_length = step._safe_length
        assert pattern is not None
        deadline = time.monotonic() + step.timeout
        arrived = bytearray()  # UDP: datagrams that did not match
        while True:
            if stream is not None:
                found = _search(pattern, buffer, codec, safe_length) if buffer else None
                if found is not None:
                    del buffer[: found[0]]
                    return _matched(step, found, values, codec)
                data = stream.receive(deadline)
                if data is None:
                    break
                buffer += data
                del buffer[:-MAX_EXPECT_BUFFER]
                continue
            assert self._udp is not None
            remaining = deadline - time.monotonic()
            datagram = self._udp.wait_reply(remaining) if remaining > 0 else None
            if datagram is None:
                if self.stopping:
                    raise _Stopped
                break
            found = _search(pattern, datagram.data, codec, safe_length)
            if found is not None:
                return _matched(step, found, values, codec)
            arrived += datagram.data
            del arrived[:-MAX_EXPECT_BUFFER]
        seen = bytes(buffer if stream is not None else arrived)
        shown = render_text(seen[-200:], self.script.encoding) if seen else ""
        problem = _("step {number} (line {line}) {label}: no match within {timeout:g} s; ").format(
            number=step.number, line=step.line, label=step.label, timeout=step.timeout
        ) + (
            _("what arrived instead: '{shown}'").format(shown=shown)
            if seen
            else _("nothing arrived")
        )
        return None, {}, problem, seen


def _matched(
    step: Step, found: tuple[int, bytes, dict[str, str]], values: dict[str, bytes], codec: str
) -> tuple[bytes, dict[str, str], str, bytes]:
    """What :meth:`ScriptRunner._expect` returns for a match; its captures become variables."""
    _end, matched, captures = found
    if step.capture:
        for key, text in captures.items():
            values[key] = text.encode(codec, "surrogateescape")
    return matched, captures, "", b""


def _search(
    pattern: regex.Pattern[str] | re.Pattern[bytes],
    data: bytes | bytearray,
    codec: str,
    safe_length: int = 0,
) -> tuple[int, bytes, dict[str, str]] | None:
    """(bytes used up to the match's end, the matched bytes, named groups) or None."""
    if isinstance(pattern, re.Pattern):
        hit = pattern.search(data)
        return None if hit is None else (hit.end(), bytes(hit.group(0)), {})
    text = data.decode(codec, "surrogateescape")
    try:
        # The time limit costs more than a short search: only where backtracking could take long.
        if len(text) <= safe_length:
            found = pattern.search(text)
        else:
            found = pattern.search(text, timeout=MATCH_BUDGET)
    except TimeoutError:
        return None
    if found is None:
        return None
    if len(text) == len(data):  # one byte per character: offsets in the text are in the bytes
        end = found.end()
        matched = bytes(data[found.start() : end])
    else:
        end = len(text[: found.end()].encode(codec, "surrogateescape"))
        matched = found.group(0).encode(codec, "surrogateescape")
    captures = {k: v or "" for k, v in found.groupdict().items()} if pattern.groupindex else {}
    return end, matched, captures


def junit_xml(result: RunResult, script: Script) -> str:
    """The run as JUnit XML (one testcase per expect that ran, failures with what arrived; a
    network failure outside an expect is one more testcase with an error), as CI systems read it.
    """
    from xml.etree import ElementTree

    suite = ElementTree.Element("testsuite", name=script.name)
    failures = errors = tests = 0
    for item in result.results:
        if item.step.kind != "expect":
            continue
        tests += 1
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=script.name,
            name=f"round {item.round} step {item.step.number}: {item.step.label}",
            time=f"{item.duration:.6f}",
        )
        if not item.ok:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", message=item.problem)
            failure.text = render_text(item.received, script.encoding, one_line=False)
    expect_failed = any(not r.ok for r in result.results)
    if result.problem and not expect_failed:
        tests += 1
        errors += 1
        case = ElementTree.SubElement(
            suite, "testcase", classname=script.name, name="connection", time="0"
        )
        ElementTree.SubElement(case, "error", message=result.problem)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{result.elapsed:.6f}")
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"


# ---- record -> script, capture -> mock ------------------------------------------------------


class Record(_Value):
    """One piece of a recorded conversation: ``sent`` by us or ``received`` from the peer."""

    direction: Literal["sent", "received"]
    data: bytes


def _exchanges(records: Iterable[Record]) -> list[tuple[bytes, bytes]]:
    """Consecutive records merged: (what was sent, what came back) pairs, in order."""
    pairs: list[tuple[bytes, bytes]] = []
    for record in records:
        if not record.data:
            continue
        if record.direction == "sent":
            if pairs and not pairs[-1][1]:
                pairs[-1] = (pairs[-1][0] + record.data, b"")
            else:
                pairs.append((record.data, b""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + record.data)
        else:
            pairs.append((b"", record.data))  # the peer spoke first (a banner)
    return pairs


def _toml_string(text: str) -> str:
    # JSON strings are TOML basic strings, but for DEL, which TOML wants escaped too.
    import json  # only recording a script needs it

    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _is_text(data: bytes, codec: str) -> bool:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def script_from_records(
    records: Sequence[Record],
    *,
    protocol: str,
    host: str,
    port: int,
    encoding: str = "UTF-8",
    timeout: float = DEFAULT_TIMEOUT,
    extra: Mapping[str, str | bool] | None = None,
) -> str:
    """A script (TOML text) that replays a recorded conversation: each send becomes a send step,
    what came back an expect step matching exactly those bytes (escaped text, or expect_hex for
    binary), so it can be run against the next firmware build. ``extra`` adds [connection] keys
    (``insecure``, ``fingerprint``, ``cafile`` for TLS).

    Raises:
        PayloadError: an unknown encoding.
    """
    import regex

    codec = check_encoding(encoding)
    lines = [
        "# Recorded by Socket Workbench; run it with: swb run THIS_FILE.toml",
        "[connection]",
        f"protocol = {_toml_string(protocol)}",
        f"host = {_toml_string(host)}",
        f"port = {port}",
        f"encoding = {_toml_string(encoding)}",
    ]
    for key, value in (extra or {}).items():
        shown = ("true" if value else "false") if isinstance(value, bool) else _toml_string(value)
        lines.append(f"{key} = {shown}")
    for sent, received in _exchanges(records):
        if sent:
            lines.append("\n[[step]]")
            if _is_text(sent, codec):
                lines.append(f"send = {_toml_string(escape_bytes(sent, encoding))}")
            else:
                lines.append(f"send_hex = {_toml_string(to_hex(sent))}")
        if received:
            lines.append("\n[[step]]")
            if _is_text(received, codec):
                pattern = regex.escape(received.decode(codec)).replace("{{", "\\{\\{")
                lines.append(f"expect = {_toml_string(pattern)}")
            else:
                lines.append(f"expect_hex = {_toml_string(to_hex(received))}")
            lines.append(f"timeout = {timeout:g}")
    return "\n".join(lines) + "\n"


def _literal_text(pattern: str) -> str | None:
    """The text a regex matches when it is only escaped literal text (as script_from_records
    writes expects), else None."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            if char.isalnum():
                return None  # \d, \w, \n, \1...: a class or a reference, not one character
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ".^$*+?{}[]|()":
            return None
        else:
            out.append(char)
    return None if escaped else "".join(out)


def records_from_script(script: Script) -> list[Record]:
    """The conversation a script stands for, as :func:`rules_from_records` takes it: each send
    (as its first round renders it) is sent, each expect that matches one exact text or byte
    string (what :func:`script_from_records` writes) is received. Steps that use captured values,
    and expects that are real patterns, are left out: they cannot be replayed as fixed bytes.
    """
    records: list[Record] = []
    codec = check_encoding(script.encoding)
    for step in script.steps:
        if step._dynamic:
            continue
        if step.kind == "send":
            assert step._sender is not None
            records.append(Record("sent", step._sender(0)))
        elif step.kind == "expect":
            if step.hex:
                if "??" not in step.text:
                    records.append(Record("received", parse_hex(step.text)))
            else:
                text = _literal_text(step.text)
                if text is not None:
                    records.append(Record("received", text.encode(codec, "surrogateescape")))
    return records


def mock_rules(
    path: str | os.PathLike[str], encoding: str | None = None, framing: str = "line"
) -> list[Rule]:
    """Rules that make a mock of the device a recorded script talks to (issue 18, item 4).

    Raises:
        ScriptError: as :func:`load_script`, or a script from which no request-reply pair can
            be read.
    """
    script = load_script(path)
    rules = rules_from_records(records_from_script(script), encoding or script.encoding, framing)
    if not rules:
        raise ScriptError(
            _("{name}: no send followed by an exact expect, so no reply to mock").format(
                name=Path(path).name
            )
        )
    return rules


def rules_from_records(
    records: Sequence[Record], encoding: str = "UTF-8", framing: str = "line"
) -> list[Rule]:
    """Rules that make a mock of the recorded peer (net.rules.Responder with this ``framing``, a
    net.framing spec): for each request seen (what was sent), an ``exact`` rule replying with
    what came back. A request that is one frame is matched by its payload, as the responder sees
    it (a line without its ending, a message without its length header). A request seen twice
    keeps its first reply; requests with no reply are left out.

    Raises:
        PayloadError: an unknown encoding or framing.
    """
    from net.framing import parse_framing

    spec = parse_framing(framing)
    rules: list[Rule] = []
    seen: set[bytes] = set()
    for sent, received in _exchanges(records):
        if not sent or not received:
            continue
        framer = spec.framer(max(len(sent), MAX_EXPECT_BUFFER))
        frames = framer.feed(sent) + framer.flush()
        request = frames[0].payload if len(frames) == 1 and not frames[0].incomplete else sent
        if request in seen or not request:
            continue
        seen.add(request)
        rules.append(
            make_rule(
                "exact",
                escape_bytes(request, encoding).replace("{{{{", "{{"),
                escape_bytes(received, encoding),
                encoding=encoding,
            )
        )
    return rules
