"""How ``swb`` shows what moves while a command runs: the rows of the socket commands (one line, or
one JSON object, per datagram, chunk or frame) and the self-overwriting progress line of ``get``
and ``put`` on a terminal.

Rows go to stdout, announcements (connected, disconnected) to stderr, so that stdout stays clean
for pipes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from net._cli_common import status
from net._i18n import _
from net.checksum import ByteOrder, verify_checksum
from net.codec import StreamDecoder, json_line, render_text, to_hex
from net.events import Connected, Disconnected, Received, Sent

if TYPE_CHECKING:
    from net.events import Datagram, DownloadProgress
    from net.framing import Frame, Framer, FramingSpec

__all__ = ["OUT", "Printer", "ProgressLine"]

#: Marks a row of what this end sent (replies by rule), before the peer it went to.
OUT = "to "


class Printer:
    """Writes received data to stdout: ``peer  text`` lines, or JSON objects with --json."""

    def __init__(
        self,
        encoding: str,
        *,
        json_lines: bool,
        quiet: bool = False,
        announce: bool = False,
        framing: FramingSpec | None = None,
    ) -> None:
        self._encoding = encoding
        self._framing = framing
        self._framers: dict[int, Framer] = {}
        self._json = json_lines
        self._quiet = quiet
        self._announce = announce  # (re)connections as status lines, when not --json
        self._decoders: dict[int, StreamDecoder] = {}
        self._connected: set[int] = set()
        self._write = sys.stdout.write
        #: (name, byte order) of a checksum each datagram or frame should end with (--checksum),
        #: and how many did not.
        self.checksum: tuple[str, ByteOrder | None] | None = None
        self.bad_checksums = 0

    def datagram(self, datagram: Datagram, rtt_ms: float | None = None) -> None:
        data = datagram.data
        checked = None if datagram.outgoing else self._checked(data)
        if self._quiet:
            return
        if self._json:
            record: dict[str, Any] = {
                "time": round(datagram.time, 6),
                "peer": datagram.peer,
                "size": len(data),
                "text": render_text(data, self._encoding, one_line=False),
                "hex": to_hex(data, ""),
            }
            if datagram.truncated:
                record["truncated"] = True
            if checked is not None:
                record["checksum_ok"] = checked
            if datagram.outgoing:
                record["direction"] = "out"
            if rtt_ms is not None:
                record["rtt_ms"] = round(rtt_ms, 3)
            self._write(json_line(record) + "\n")
        else:
            mark = "[truncated] " if datagram.truncated else ""
            mark += "[bad checksum] " if checked is False else ""
            to = OUT if datagram.outgoing else ""
            text = render_text(data, self._encoding)
            self._write(f"{to}{datagram.peer}  {mark}{text}{_rtt_text(rtt_ms)}\n")

    def tcp_event(
        self, event: Connected | Received | Sent | Disconnected, rtt_ms: float | None = None
    ) -> None:
        if self._quiet:
            if self.checksum is not None and isinstance(event, Received | Disconnected):
                self._check_quietly(event)
            return
        if isinstance(event, Sent):  # a reply by rule: one out row per reply
            text = render_text(event.data, self._encoding, one_line=not self._json)
            if self._json:
                self._object(
                    event, "sent", size=len(event.data), text=text, hex=to_hex(event.data, "")
                )
            else:
                self._write(f"{OUT}{event.peer}  {text}\n")
        elif isinstance(event, Received) and self._framing is not None:
            for frame in self._framer(event.conn_id, self._framing).feed(event.data):
                self._frame(event, frame, rtt_ms)
                rtt_ms = None  # the round trip ends at the first reply
        elif isinstance(event, Received):
            decoder = self._decoders.get(event.conn_id)
            if decoder is None:
                decoder = self._decoders[event.conn_id] = StreamDecoder(
                    self._encoding, one_line=not self._json
                )
            text = decoder.decode(event.data)
            self._received(event, text, rtt_ms, checked=self._checked(event.data))
        elif isinstance(event, Connected):
            self._connected.add(event.conn_id)
            tls = event.tls
            if self._json:
                extra: dict[str, Any] = {}
                if tls is not None:
                    extra["tls"] = {
                        "version": tls.version,
                        "cipher": tls.cipher,
                        "fingerprint": tls.peer_fingerprint or None,
                    }
                self._object(event, "connected", local=event.local, **extra)
            elif self._announce:
                status(
                    _("{peer} connected").format(peer=event.peer)
                    + (f" ({tls.version})" if tls else "")
                )
        else:
            framer = self._framers.pop(event.conn_id, None)
            for frame in framer.flush() if framer is not None else ():
                self._frame(event, frame, None)
            decoder = self._decoders.pop(event.conn_id, None)
            rest = decoder.decode(b"", final=True) if decoder is not None else ""
            if rest:  # a character cut short by the end of the stream
                self._received(Received(event.time, event.conn_id, event.peer, b""), rest)
            was_connected = event.conn_id in self._connected
            self._connected.discard(event.conn_id)
            if self._json:
                self._object(event, "disconnected", reason=event.reason, error=event.error)
            elif self._announce:
                if not was_connected and event.peer in event.reason:
                    # Turned away before it was a client (a failed TLS handshake): the reason
                    # already names it, as in "client 1.2.3.4:5 spoke plain TCP to a TLS port".
                    status(event.reason)
                else:
                    status(
                        _("{peer} disconnected: {reason}").format(
                            peer=event.peer, reason=event.reason
                        )
                    )

    def flush(self) -> None:
        sys.stdout.flush()

    def _framer(self, conn_id: int, framing: FramingSpec) -> Framer:
        framer = self._framers.get(conn_id)
        if framer is None:
            framer = self._framers[conn_id] = framing.framer()
        return framer

    def _checked(self, payload: bytes) -> bool | None:
        """Whether ``payload`` ends with its --checksum (None without one); failures counted."""
        if self.checksum is None or not payload:
            return None
        ok = verify_checksum(payload, *self.checksum)
        self.bad_checksums += not ok
        return ok

    def _check_quietly(self, event: Received | Disconnected) -> None:
        """--quiet prints no rows, yet its summary counts the frames that fail the checksum."""
        if isinstance(event, Received) and self._framing is None:
            self._checked(event.data)
            return
        framer = self._framers.pop(event.conn_id, None) if isinstance(event, Disconnected) else None
        if isinstance(event, Received) and self._framing is not None:
            frames = self._framer(event.conn_id, self._framing).feed(event.data)
        else:
            frames = framer.flush() if framer is not None else []
        for frame in frames:
            self._checked(frame.payload)

    def _received(
        self,
        event: Received,
        text: str,
        rtt_ms: float | None = None,
        checked: bool | None = None,
        **flags: bool,
    ) -> None:
        if self._json:
            extra: dict[str, Any] = {name: True for name, on in flags.items() if on}
            if checked is not None:
                extra["checksum_ok"] = checked
            if rtt_ms is not None:
                extra["rtt_ms"] = round(rtt_ms, 3)
            self._object(
                event,
                "received",
                size=len(event.data),
                text=text,
                hex=to_hex(event.data, ""),
                **extra,
            )
        else:
            marks = "".join(f"[{name}] " for name, on in flags.items() if on)
            marks += "[bad checksum] " if checked is False else ""
            self._write(f"{event.peer}  {marks}{text}{_rtt_text(rtt_ms)}\n")

    def _frame(self, event: Received | Disconnected, frame: Frame, rtt_ms: float | None) -> None:
        """One row per frame (--framing): its full bytes, flagged when cut or incomplete."""
        row = Received(event.time, event.conn_id, event.peer, frame.data)
        text = render_text(frame.data, self._encoding, one_line=not self._json)
        checked = self._checked(frame.payload)
        self._received(row, text, rtt_ms, checked, cut=frame.cut, incomplete=frame.incomplete)

    def _object(
        self, event: Connected | Received | Sent | Disconnected, kind: str, **fields: Any
    ) -> None:
        record = {"time": round(event.time, 6), "event": kind, "peer": event.peer, **fields}
        self._write(json_line(record) + "\n")


def _rtt_text(rtt_ms: float | None) -> str:
    return "" if rtt_ms is None else f"  [rtt {rtt_ms:.3f} ms]"


class ProgressLine:
    """One self-overwriting progress line on stderr (a terminal), redrawn at most ~10 times/s."""

    def __init__(self) -> None:
        # Not at the top: the socket commands print rows and need no HTTP module (issue 22).
        from net.httpfile import human_size

        self.width = 0
        self._size = human_size

    def update(self, event: DownloadProgress) -> None:
        human_size = self._size
        speed = f"{human_size(int(event.speed))}/s"
        if event.total:
            percent = 100.0 * event.received / event.total if event.total else 100.0
            left = event.total - event.received
            eta = f"  ETA {_duration(left / event.speed)}" if event.speed > 0 else ""
            text = (
                f"  {human_size(event.received)} / {human_size(event.total)}  "
                f"{percent:3.0f}%  {speed}{eta}"
            )
        else:
            text = f"  {human_size(event.received)}  {speed}"
        pad = max(0, self.width - len(text))
        self.width = len(text)
        sys.stderr.write("\r" + text + " " * pad)
        sys.stderr.flush()

    def clear(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
