"""Running a conversation script (net.script): one connection (TCP, TLS or UDP) through the
runner's selector and waker, the steps in order, and the run's report as JUnit XML."""

from __future__ import annotations

import re
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from net._connect import connect
from net._i18n import N_, _
from net._loop import StoppableLoop
from net._script_parse import (
    _NOTHING,
    _TLS_KEYS,
    MAX_EXPECT_BUFFER,
    MAX_KEPT_RESULTS,
    RunResult,
    Script,
    _expect_pattern,
    _sender,
)
from net._script_step import Step
from net.address import format_peer, resolve
from net.codec import check_encoding, render_text
from net.errors import ConnectError, PayloadError, TlsError
from net.events import StepResult
from net.rules import MATCH_BUDGET, compile_regex, regex_shape, substitute_values
from net.variables import parse_template

if TYPE_CHECKING:
    # Types only, as in net._script_parse: a TCP script does not load UDP, and the GUI's send
    # panels (which save logs as scripts) start without the regex library.
    import regex

    from net.udp import UdpSender

_RECV_SIZE = 64 * 1024


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
                raise self._failure(N_("sending to {peer} failed: {strerror}"), exc) from exc
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
                raise self._failure(N_("the connection to {peer} broke: {strerror}"), exc) from exc
            if not data:
                raise ConnectError(_("{peer} closed the connection").format(peer=self.peer))
            return data

    def _failure(self, sentence: str, exc: OSError) -> ConnectError:
        """``sentence`` (a msgid naming ``{peer}`` and ``{strerror}``) about ``exc``, to raise."""
        return ConnectError(_(sentence).format(peer=self.peer, strerror=exc.strerror or exc))

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
