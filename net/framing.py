"""Splitting a byte stream into frames (lines, fixed-size records, length-prefixed messages), sans-IO.

Like h11, a framer knows no sockets: :meth:`Framer.feed` takes bytes as they arrived and returns
the frames they completed; a partial frame waits inside; :meth:`Framer.flush` at the end of the
stream returns what is left. Every framer except ``raw`` gives the same frames however the stream
was split into chunks, and the frames joined give back the stream byte for byte (terminators and
length headers stay in :attr:`Frame.data`; :attr:`Frame.payload` leaves them out).

Spec syntax (``--framing`` of ``swb tcp-send`` / ``swb tcp-serve``, :func:`parse_framing`):

=================  ===================================================================
``raw``            each chunk as it was received (no framing)
``line``           a frame ends after LF (``\\n``); a CRLF line ends in ``\\r\\n``
``crlf``           a frame ends after CRLF only; a bare LF stays inside the line
``any``            ends after LF, CRLF or a lone CR (old Mac, some devices). A CR at the
                   end of the received bytes waits for the next byte, to see whether an
                   LF follows; at the end of the stream it ends the line
``fixed:N``        frames of exactly N bytes
``len1``           a 1-byte length, then that many bytes
``len2be``         a 2-byte big-endian length (``len2`` is the same); ``len2le`` little
``len4be``         a 4-byte big-endian length (``len4`` is the same); ``len4le`` little
``...+header``     the length counts its own header too (``len2be+header``)
``delim:HEX``      a frame ends after these bytes, in hex (``delim:03``, ``delim:0d0a``)
=================  ===================================================================

Every framer has a maximum frame size (:data:`DEFAULT_MAX_FRAME`): a frame longer than that is
given in pieces of at most that many bytes, each flagged :attr:`Frame.cut`, so a peer that never
sends a terminator (or announces a 4 GB message) costs no more memory than that.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from net._i18n import N_, _
from net._record import Record
from net.errors import PayloadError

__all__ = [
    "DEFAULT_MAX_FRAME",
    "FRAMING_HELP",
    "Frame",
    "Framer",
    "FramingSpec",
    "parse_framing",
]

#: Bytes in one frame before it is cut (1 MiB: a screenful of hex dump is far less).
DEFAULT_MAX_FRAME = 1 << 20

FRAMING_HELP = N_(
    "raw, line (LF), crlf, any (LF, CRLF or CR), fixed:N, len1, len2be, len2le, len4be, len4le "
    "(add +header when the length counts the header), or delim:HEX"
)

Kind = Literal["raw", "line", "crlf", "any", "fixed", "length", "delim"]


class Frame(NamedTuple):
    """One frame: ``data`` in full, as it was on the wire (header and terminator included).

    ``header`` and ``trailer`` are how many bytes at the start (a length prefix) and at the end
    (a line ending or delimiter) are framing rather than payload. ``cut``: a piece of a frame
    longer than the maximum size. ``incomplete``: what was left when the stream ended.
    A named tuple rather than a Record: a stream of short lines makes millions of them, and a
    tuple is built ten times faster.
    """

    data: bytes
    header: int = 0
    trailer: int = 0
    cut: bool = False
    incomplete: bool = False

    @property
    def payload(self) -> bytes:
        """``data`` without its length header and terminator."""
        return self.data[self.header : len(self.data) - self.trailer]


class FramingSpec(Record):
    """A parsed ``--framing`` value (see the module docstring); :meth:`framer` makes a framer."""

    kind: Kind
    size: int = 0  # fixed: frame size; length: header size (1, 2 or 4 bytes)
    byteorder: Literal["big", "little"] = "big"
    counts_header: bool = False
    delimiter: bytes = b""

    def framer(self, max_size: int = DEFAULT_MAX_FRAME) -> Framer:
        """A new framer for one stream, cutting frames longer than ``max_size`` bytes.

        Raises:
            PayloadError: ``max_size`` is smaller than a fixed frame or than 8 bytes.
        """
        if max_size < 8 or (self.kind == "fixed" and self.size > max_size):
            raise PayloadError(
                _("the maximum frame size {max_size} is too small for {framing}").format(
                    max_size=max_size, framing=self
                )
            )
        return Framer(self, max_size)

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{self.size}"
        if self.kind == "delim":
            return f"delim:{self.delimiter.hex()}"
        if self.kind == "length":
            order = "" if self.size == 1 else "be" if self.byteorder == "big" else "le"
            return f"len{self.size}{order}" + ("+header" if self.counts_header else "")
        return self.kind


_LENGTH = re.compile(r"len(?:(1)|([24])(be|le)?)(\+header)?")
_ANY_END = re.compile(rb"\r\n?|\n")


def parse_framing(spec: str) -> FramingSpec:
    """Parse a framing spec such as ``line``, ``fixed:16``, ``len2be+header`` or ``delim:0d0a``.

    Raises:
        PayloadError: the spec is not one of the forms in the module docstring.
    """
    text = spec.strip().lower()
    if text in ("raw", "line", "crlf", "any"):
        return FramingSpec(text)  # type: ignore[arg-type]  # one of the four literals
    if text.startswith("fixed:"):
        number = text[6:]
        if number.isdecimal() and 0 < int(number) <= DEFAULT_MAX_FRAME:
            return FramingSpec("fixed", int(number))
        raise PayloadError(
            _(
                "fixed:N needs a frame size from 1 to {default_max_frame} bytes, not {number!r}"
            ).format(default_max_frame=DEFAULT_MAX_FRAME, number=number)
        )
    if text.startswith("delim:"):
        try:
            delimiter = bytes.fromhex(text[6:])
        except ValueError:
            delimiter = b""
        if delimiter and len(delimiter) <= 16:
            return FramingSpec("delim", delimiter=delimiter)
        raise PayloadError(
            _("delim:HEX needs 1 to 16 bytes in hex, like delim:0d0a, not {spec!r}").format(
                spec=spec
            )
        )
    match = _LENGTH.fullmatch(text)
    if match:
        one, size, order, header = match.groups()
        return FramingSpec(
            "length",
            1 if one else int(size),
            "little" if order == "le" else "big",
            counts_header=bool(header),
        )
    raise PayloadError(
        _("unknown framing {spec!r}: use {framing_help}").format(
            spec=spec, framing_help=_(FRAMING_HELP)
        )
    )


class Framer:
    """Splits one stream into :class:`Frame` objects; not thread-safe (one per connection).

    Memory: at most ``max_size`` + 1 bytes are kept between calls, beside the chunk being fed.
    """

    def __init__(self, spec: FramingSpec, max_size: int = DEFAULT_MAX_FRAME) -> None:
        self.spec = spec
        self.max_size = max_size
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already searched for a terminator without one
        self._in_cut = False  # the frame being read is the tail of one that was cut
        self._cut_left = 0  # length framing: bytes still due of a frame that was cut

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes received; returns the frames they completed (possibly none)."""
        if self.spec.kind == "raw":
            step = self.max_size
            return [Frame(bytes(data[i : i + step])) for i in range(0, len(data), step)]
        self._buffer += data
        return self._frames(final=False)

    def flush(self) -> list[Frame]:
        """The end of the stream: returns the frames left, the last flagged ``incomplete`` when
        the stream ended inside it. The framer is empty (and reusable) afterwards."""
        frames = self._frames(final=True)
        if self._buffer:
            frames.append(
                Frame(bytes(self._buffer), cut=self._in_cut or self._cut_left > 0, incomplete=True)
            )
        self._buffer.clear()
        self._scanned = 0
        self._in_cut = False
        self._cut_left = 0
        return frames

    @property
    def pending(self) -> int:
        """Bytes waiting for the rest of their frame."""
        return len(self._buffer)

    def _frames(self, *, final: bool) -> list[Frame]:
        buffer = self._buffer
        limit = self.max_size
        frames: list[Frame] = []
        pos = 0
        kind = self.spec.kind
        if kind in ("line", "crlf", "delim") and not self._in_cut:
            pos = self._delimited(frames)
        elif kind == "length" and not self._cut_left:
            pos = self._prefixed(frames)
        while pos < len(buffer):
            available = len(buffer) - pos
            if self._cut_left:
                # The tail of a length-framed message that was too long: pieces of at most
                # `limit` bytes, at the same offsets however the stream was split.
                size = min(self._cut_left, limit)
                if available < size:
                    break
                frames.append(Frame(bytes(buffer[pos : pos + size]), cut=True))
                pos += size
                self._cut_left -= size
                continue
            end = self._end(pos, final)
            if end is None:
                if available <= limit:
                    break
                # No end within `limit` bytes: give the first `limit` bytes as a cut piece.
                frames.append(Frame(bytes(buffer[pos : pos + limit]), cut=True))
                self._in_cut = True
                pos += limit
                self._scanned = 0
                continue
            stop, header, trailer = end
            if stop - pos > limit:
                if available < limit:
                    break  # a message announced too long: cut when `limit` bytes of it are here
                frames.append(Frame(bytes(buffer[pos : pos + limit]), header, cut=True))
                if self.spec.kind == "length":
                    self._cut_left = stop - pos - limit
                else:
                    self._in_cut = True
                pos += limit
                self._scanned = 0
                continue
            frames.append(Frame(bytes(buffer[pos:stop]), header, trailer, cut=self._in_cut))
            self._in_cut = False
            self._scanned = 0
            pos = stop
        if pos:
            del buffer[:pos]
        return frames

    def _delimited(self, frames: list[Frame]) -> int:
        """The fast path of delimiter framing: whole frames up to ``max_size``, from offset 0;
        returns where it stopped (the general loop goes on from there)."""
        buffer = self._buffer
        kind = self.spec.kind
        delimiter = b"\n" if kind == "line" else b"\r\n" if kind == "crlf" else self.spec.delimiter
        size = len(delimiter)
        limit = self.max_size
        line = kind == "line"
        append = frames.append
        pos = 0
        start = self._scanned
        while (found := buffer.find(delimiter, start)) >= 0:
            stop = found + size
            if stop - pos > limit:
                break
            trailer = 2 if line and found > pos and buffer[found - 1] == 0x0D else size
            append(Frame(bytes(buffer[pos:stop]), 0, trailer))
            pos = start = stop
        if pos:
            self._scanned = 0
        return pos

    def _prefixed(self, frames: list[Frame]) -> int:
        """The fast path of length framing: whole messages up to ``max_size``, from offset 0."""
        buffer = self._buffer
        size = self.spec.size
        order = self.spec.byteorder
        counts_header = self.spec.counts_header
        limit = self.max_size
        append = frames.append
        pos = 0
        end = len(buffer)
        while pos + size <= end:
            length = int.from_bytes(buffer[pos : pos + size], order)
            stop = pos + (max(length, size) if counts_header else size + length)
            if stop > end or stop - pos > limit:
                break
            append(Frame(bytes(buffer[pos:stop]), size))
            pos = stop
        return pos

    def _end(self, pos: int, final: bool) -> tuple[int, int, int] | None:
        """(end offset, header bytes, trailer bytes) of the frame starting at ``pos``, or None
        when the buffer does not hold its end yet (``_scanned`` remembers how far was searched)."""
        spec = self.spec
        buffer = self._buffer
        kind = spec.kind
        if kind == "fixed":
            stop = pos + spec.size
            return (stop, 0, 0) if stop <= len(buffer) else None
        if kind == "length":
            size = spec.size
            if len(buffer) - pos < size:
                return None
            length = int.from_bytes(buffer[pos : pos + size], spec.byteorder)
            # A length smaller than the header it counts is taken as the header alone.
            total = max(length, size) if spec.counts_header else size + length
            stop = pos + total
            if stop - pos > self.max_size:
                return (stop, size, 0)  # too long: cut now, whatever has arrived of it
            return (stop, size, 0) if stop <= len(buffer) else None
        start = max(pos, pos + self._scanned)
        if kind == "any":
            match = _ANY_END.search(buffer, start)
            if match is None:
                self._scanned = len(buffer) - pos
                return None
            stop = match.end()
            if match.group() == b"\r" and stop == len(buffer) and not final:
                self._scanned = match.start() - pos  # an LF may follow in the next chunk
                return None
            return (stop, 0, stop - match.start())
        delimiter = b"\n" if kind == "line" else b"\r\n" if kind == "crlf" else spec.delimiter
        found = buffer.find(delimiter, start)
        if found < 0:
            self._scanned = max(0, len(buffer) - pos - len(delimiter) + 1)
            return None
        stop = found + len(delimiter)
        trailer = len(delimiter)
        if kind == "line" and found > pos and buffer[found - 1] == 0x0D:
            trailer = 2  # CRLF: the CR is part of the line ending too
        return (stop, 0, trailer)
