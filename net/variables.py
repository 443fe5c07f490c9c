"""Variables in payloads: ``{{counter}}``, ``{{unixtime}}``, ``{{time:%H:%M:%S}}``, ``{{random:4}}``,
``{{hex:0D 0A}}``, expanded to bytes at every send (sans-IO: the caller passes the send number and
the clock).

Syntax (the whole of it):

- ``{{name}}`` or ``{{name:arguments}}``; names are lower case. Text without ``{{`` is sent as
  typed, so variables are off unless the payload uses them.
- ``{{{{`` is a literal ``{{`` (so a payload can carry ``{{`` itself); a ``}}`` outside a variable is
  just text.
- ``{{counter}}`` the send number in decimal ASCII, 1, 2, 3 ... Arguments, comma-separated
  ``key=value``: ``start`` (first value, default 1), ``step`` (default 1), ``width`` (zero-padded
  to at least this many digits), ``bytes`` (1-8: binary, that many bytes, wrapping around) and
  ``order`` (``big`` or ``little`` with ``bytes``, default big). Example:
  ``{{counter:start=0,width=4}}`` gives 0000, 0001 ...; ``{{counter:bytes=2}}`` gives 00 01, 00 02.
- ``{{unixtime}}`` seconds since 1970 in decimal ASCII; ``{{unixtime:ms}}`` milliseconds.
- ``{{time}}`` local time as ``%H:%M:%S``; ``{{time:FORMAT}}`` any ``strftime`` format.
- ``{{random:N}}`` N random bytes (1 to 65,535), from ``os.urandom``.
- ``{{hex:..}}`` the bytes written in hex (as :func:`net.codec.parse_hex` reads them).

Text produced by counter, unixtime and time is encoded like the text around it; random and hex are
raw bytes. In hex payloads the text between variables is hex; in escapes payloads, escapes.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable

from net._i18n import _
from net._record import Record
from net.codec import LINE_ENDINGS, Mode, PayloadSpec, check_encoding, encode_payload, parse_hex
from net.errors import PayloadError

__all__ = [
    "MAX_RANDOM_BYTES",
    "Template",
    "escape_braces",
    "parse_template",
    "render_payload",
    "uses_variables",
]

MAX_RANDOM_BYTES = 65_535
_NAME = re.compile(r"[a-z]+")
_KNOWN = ("counter", "unixtime", "time", "random", "hex")


def uses_variables(text: str) -> bool:
    """Whether ``text`` contains ``{{`` and so is read as a template."""
    return "{{" in text


def escape_braces(text: str) -> str:
    """``text`` written so that :func:`parse_template` gives it back literally (``{{`` doubled)."""
    return text.replace("{{", "{{{{")


class _Variable(Record):
    name: str
    argument: str
    position: int  # 1-based, for error messages
    counter: tuple[int, int, int, int, str] = (
        1,
        1,
        0,
        0,
        "big",
    )  # start, step, width, bytes, order
    size: int = 0  # random
    data: bytes = b""  # hex


class Template(Record):
    """A parsed payload: literal text and variables, in order. ``render`` gives the bytes."""

    parts: tuple[str | _Variable, ...]
    has_variables: bool = False

    def render(
        self,
        mode: Mode | str = "text",
        encoding: str = "UTF-8",
        line_ending: str = "none",
        *,
        sequence: int = 0,
        now: float | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> bytes:
        """The bytes of the ``sequence``-th send (0 for the first) at wall-clock time ``now``
        (seconds since 1970; default: the current time).

        Raises:
            PayloadError: as :func:`net.codec.encode_payload`, for the text between variables or
                the text a variable produces.
        """
        if line_ending not in LINE_ENDINGS:
            raise PayloadError(
                _("unknown line ending {line_ending!r} (none, lf, crlf or cr)").format(
                    line_ending=line_ending
                )
            )
        clock = time.time() if now is None else now
        out = bytearray()
        for part in self.parts:
            if isinstance(part, str):
                out += encode_payload(part, mode, encoding)
            else:
                out += _expand(part, mode, encoding, sequence, clock, random_bytes)
        if mode != "hex":
            out += encode_payload(LINE_ENDINGS[line_ending], "text", encoding)
        return bytes(out)

    def renderer(
        self,
        mode: Mode | str = "text",
        encoding: str = "UTF-8",
        line_ending: str = "none",
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> Callable[[int], bytes]:
        """A function of the send number (0-based) giving what :meth:`render` gives at the
        current time, for a payload sent many times: the text between variables is encoded
        once, and a decimal ``{{counter}}`` is formatted without parsing anything again.

        Raises:
            PayloadError: as :meth:`render`, for the text between variables (at once) or the
                text a variable produces (at the call).
        """
        if line_ending not in LINE_ENDINGS:
            raise PayloadError(
                _("unknown line ending {line_ending!r} (none, lf, crlf or cr)").format(
                    line_ending=line_ending
                )
            )
        ending = (
            b"" if mode == "hex" else encode_payload(LINE_ENDINGS[line_ending], "text", encoding)
        )
        pieces = [
            encode_payload(part, mode, encoding) if isinstance(part, str) else part
            for part in self.parts
        ]
        variables = [part for part in pieces if isinstance(part, _Variable)]
        if all(var.name == "counter" and not var.counter[3] for var in variables) and (
            "1".encode(check_encoding(encoding)) == b"1"  # digits are ASCII (not UTF-16)
        ):
            return _decimal_counters([*pieces, ending], variables)
        parts = [
            piece if isinstance(piece, bytes) else _expander(piece, mode, encoding, random_bytes)
            for piece in pieces
        ]
        parts = [part for part in [*parts, ending] if part != b""]
        if len(parts) == 1 and not isinstance(parts[0], bytes):
            return parts[0]  # the one variable
        return lambda sequence: b"".join(
            part if isinstance(part, bytes) else part(sequence) for part in parts
        )


def parse_template(text: str) -> Template:
    """Read ``text`` as a payload template (syntax in the module docstring).

    Raises:
        PayloadError: an unknown variable, bad arguments, or a ``{{`` without its ``}}``; the
            sentence names the position (1-based) and what to write instead.
    """
    parts: list[str | _Variable] = []
    literal: list[str] = []
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            literal.append(text[i:])
            break
        literal.append(text[i:start])
        if text.startswith("{{{{", start):
            literal.append("{{")
            i = start + 4
            continue
        if text.startswith("{{{", start):
            # "{{{counter}}}": a literal "{" before a variable.
            literal.append("{")
            i = start + 1
            continue
        end = text.find("}}", start + 2)
        if end < 0:
            raise PayloadError(
                _(
                    "'{{{{' at position {start} has no closing '}}}}': write {{{{{{{{ to "
                    "send {{{{ itself"
                ).format(start=start + 1)
            )
        if literal:
            parts.append("".join(literal))
            literal.clear()
        parts.append(_parse_variable(text[start + 2 : end], start + 1))
        i = end + 2
    if any(literal):
        parts.append("".join(literal))
    return Template(tuple(parts), has_variables=any(isinstance(p, _Variable) for p in parts))


def render_payload(
    spec: PayloadSpec,
    *,
    sequence: int = 0,
    now: float | None = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The bytes of ``spec`` for its ``sequence``-th send (0-based), variables expanded.

    A payload without ``{{`` gives exactly ``spec.to_bytes()``.

    Raises:
        PayloadError: as :func:`parse_template` and :meth:`Template.render`.
    """
    if not uses_variables(spec.text):
        return spec.to_bytes()
    return parse_template(spec.text).render(
        spec.mode,
        spec.encoding,
        spec.line_ending,
        sequence=sequence,
        now=now,
        random_bytes=random_bytes,
    )


def _parse_variable(body: str, position: int) -> _Variable:
    name, _colon, argument = body.partition(":")
    name = name.strip()
    where = _("at position {position}").format(position=position)
    if name not in _KNOWN:
        shown = "{{" + body + "}}"
        raise PayloadError(
            _("unknown variable {shown} {where} (known: ").format(shown=shown, where=where)
            + ", ".join("{{" + known + "}}" for known in _KNOWN)
            + _("; write {{{{ to send {{ itself)")
        )
    if name == "counter":
        return _Variable(name, argument, position, counter=_counter_options(argument, where))
    if name == "unixtime":
        if argument.strip() not in ("", "s", "ms"):
            raise PayloadError(
                _("{{{{unixtime:{argument}}}}} {where}: write unixtime or unixtime:ms").format(
                    argument=argument, where=where
                )
            )
        return _Variable(name, argument.strip(), position)
    if name == "time":
        return _Variable(name, argument or "%H:%M:%S", position)
    if name == "random":
        size = _whole(argument, "random", where)
        if not 1 <= size <= MAX_RANDOM_BYTES:
            raise PayloadError(
                _(
                    "{{{{random:{argument}}}}} {where}: the size must be 1 to "
                    "{max_random_bytes} bytes"
                ).format(argument=argument, where=where, max_random_bytes=MAX_RANDOM_BYTES)
            )
        return _Variable(name, argument, position, size=size)
    try:
        data = parse_hex(argument)
    except PayloadError as exc:
        raise PayloadError(
            _("{{{{hex:{argument}}}}} {where}: {exc}").format(
                argument=argument, where=where, exc=exc
            )
        ) from None
    return _Variable(name, argument, position, data=data)


def _counter_options(argument: str, where: str) -> tuple[int, int, int, int, str]:
    options = {"start": 1, "step": 1, "width": 0, "bytes": 0}
    order = "big"
    for item in filter(None, (piece.strip() for piece in argument.split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep:
            raise PayloadError(
                _("counter option {item!r} {where} needs a value, like start=1 or width=4").format(
                    item=item, where=where
                )
            )
        if key == "order":
            if value not in ("big", "little"):
                raise PayloadError(
                    _("counter order {value!r} {where}: write big or little").format(
                        value=value, where=where
                    )
                )
            order = value
            continue
        if key not in options:
            raise PayloadError(
                _(
                    "unknown counter option {key!r} {where} (known: start, step, width, "
                    "bytes, order)"
                ).format(key=key, where=where)
            )
        options[key] = _whole(value, f"counter {key}", where, signed=key in ("start", "step"))
    if not 0 <= options["width"] <= 64:
        raise PayloadError(
            _("counter width {options} {where}: use 0 to 64 digits").format(
                options=options["width"], where=where
            )
        )
    if not 0 <= options["bytes"] <= 8:
        raise PayloadError(
            _("counter bytes {options} {where}: use 1 to 8 bytes").format(
                options=options["bytes"], where=where
            )
        )
    return options["start"], options["step"], options["width"], options["bytes"], order


def _whole(text: str, what: str, where: str, *, signed: bool = False) -> int:
    value = text.strip()
    digits = value[1:] if signed and value[:1] == "-" else value
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise PayloadError(
            _("{what} {text!r} {where} is not a whole number").format(
                what=what, text=text, where=where
            )
        )
    return int(value)


def _decimal_counters(
    pieces: list[bytes | _Variable], counters: list[_Variable]
) -> Callable[[int], bytes]:
    """Text and decimal counters (or text alone) as one ``bytes % values`` format: a send is
    one C call, not a parse."""
    template = b"".join(
        piece.replace(b"%", b"%%") if isinstance(piece, bytes) else b"%0*d" for piece in pieces
    )
    if not counters:
        data = template % ()
        return lambda _sequence: data
    steps = [(var.counter[2], var.counter[0], var.counter[1]) for var in counters]
    if len(steps) == 1:
        width, start, step = steps[0]
        return lambda sequence: template % (width, start + step * sequence)
    return lambda sequence: (
        template
        % tuple(value for width, start, step in steps for value in (width, start + step * sequence))
    )


def _expander(
    var: _Variable, mode: Mode | str, encoding: str, random_bytes: Callable[[int], bytes]
) -> Callable[[int], bytes]:
    """``_expand`` of one variable as a function of the send number."""
    return lambda sequence: _expand(var, mode, encoding, sequence, time.time(), random_bytes)


def _expand(
    var: _Variable,
    mode: Mode | str,
    encoding: str,
    sequence: int,
    now: float,
    random_bytes: Callable[[int], bytes],
) -> bytes:
    if var.name == "random":
        return random_bytes(var.size)
    if var.name == "hex":
        return var.data
    if var.name == "counter":
        start, step, width, size, order = var.counter
        value = start + step * sequence
        if size:
            return (value % (1 << (8 * size))).to_bytes(size, "big" if order == "big" else "little")
        text = f"{value:0{width}d}"
    elif var.name == "unixtime":
        text = str(int(now * 1000) if var.argument == "ms" else int(now))
    else:
        try:
            text = time.strftime(var.argument, time.localtime(now))
        except (ValueError, OverflowError) as exc:
            raise PayloadError(
                _("{{{{time:{argument}}}}} at position {position}: {exc}").format(
                    argument=var.argument, position=var.position, exc=exc
                )
            ) from None
    # Produced text is plain text, even in a hex payload: "{{counter}}" is ASCII digits.
    return encode_payload(text, "text", encoding)
