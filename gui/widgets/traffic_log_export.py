"""What leaves the traffic log: exports of rows (CSV, text, hex, raw bytes, pcapng) and receive to
file.

An export is written to ``NAME.part`` and renamed to ``NAME`` when complete, so a failed one
never leaves a half-written file that looks whole. :class:`ReceiveFile` streams received bytes
into a file as they come (raw, or one line per row with time and peer). Errors are
:class:`~net.errors.TransferError` / :class:`~net.errors.AddressError` with one sentence.
"""

from __future__ import annotations

import contextlib
import csv
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Literal

from gui.widgets.traffic_log_model import TrafficLogModel
from gui.widgets.traffic_log_rows import format_time
from net.codec import render_text, to_hex
from net.errors import TransferError

__all__ = [
    "EXPORT_KINDS",
    "ReceiveFile",
    "export_csv",
    "export_kind",
    "export_text",
    "rows_bytes",
    "rows_hex",
    "write_export",
]

ExportKind = Literal["csv", "text", "hex", "raw", "pcapng"]
#: File suffix -> export kind (anything else is tab-separated text).
EXPORT_KINDS: dict[str, ExportKind] = {
    ".csv": "csv",
    ".txt": "text",
    ".hex": "hex",
    ".bin": "raw",
    ".pcapng": "pcapng",
}


def export_kind(path: str | Path) -> ExportKind:
    """The export a file name asks for, by its suffix (see :data:`EXPORT_KINDS`)."""
    return EXPORT_KINDS.get(Path(path).suffix.lower(), "text")


def rows_bytes(model: TrafficLogModel, rows: Iterable[int]) -> bytes:
    """Every byte the rows keep, joined in row order (notes add nothing)."""
    return b"".join(model.row_data(row) for row in rows)


def rows_hex(model: TrafficLogModel, rows: Iterable[int]) -> str:
    """The rows' bytes in hex, one row per line (notes left out)."""
    return "".join(to_hex(model.row_data(row)) + "\n" for row in rows if model.row_data(row))


def _failed(path: Path, exc: OSError) -> TransferError:
    reason = exc.strerror or str(exc)
    return TransferError(f"cannot write {path}: {reason}")


def export_csv(model: TrafficLogModel, path: str | Path, rows: Iterable[int]) -> int:
    """Write ``rows`` as CSV, every byte they keep as shown (text or hex), and ``rtt_ms``, the
    round-trip time a first reply ends (empty for other rows); returns the row count."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        # rtt_ms before data: the data stays the last column, as readers of older exports
        # expect.
        writer.writerow(["time", "direction", "peer", "bytes", "rtt_ms", "data"])
        for row in rows:
            texts = model.row_texts(row)
            texts[0] = format_time(model.row_time(row), with_date=True)
            texts[1] = model.row_direction(row)
            rtt = model.row_rtt(row)
            texts.insert(4, "" if rtt is None else f"{rtt:.3f}")
            writer.writerow(texts)
            count += 1
    return count


def export_text(model: TrafficLogModel, path: str | Path, rows: Iterable[int]) -> int:
    """Write ``rows`` as tab-separated lines, as the table shows them; returns the row count."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            texts = model.row_texts(row)
            texts[0] = format_time(model.row_time(row), with_date=True)
            handle.write("\t".join(texts) + "\n")
            count += 1
    return count


def write_export(
    model: TrafficLogModel,
    path: str | Path,
    rows: Sequence[int] | None = None,
    *,
    kind: ExportKind | None = None,
    protocol: Literal["tcp", "udp"] = "tcp",
    local: str = "0.0.0.0:0",
    local_of: Mapping[str, str] | None = None,
    peer_connected: bool = True,
) -> int:
    """Write ``rows`` (all when None) to ``path``; returns the rows written (pcapng: packets).

    ``kind`` defaults to the one the suffix names (:func:`export_kind`): ``csv`` and ``text``
    as the table shows them with every byte, ``hex`` one row per line, ``raw`` the bytes
    themselves, ``pcapng`` one packet per in/out row with synthesized IP and ``protocol``
    headers (net.pcapng) between this end and each row's peer (``local_of[peer]``, else
    ``local``); each TCP peer's connection starts with a handshake from the peer
    (``peer_connected``: a server's log) or to it.

    Raises:
        TransferError: the file cannot be written (nothing is left under ``path``).
        AddressError: pcapng of a row whose peer is not an IP address and port.
    """
    target = Path(path)
    chosen = rows if rows is not None else range(model.rowCount())
    kind = kind or export_kind(target)
    if kind == "pcapng":
        from net.pcapng import PcapngFile  # lazily: CLI-light start-up

        opened: set[str] = set()
        ends = local_of or {}
        with PcapngFile(target) as capture:
            writer = capture.writer
            for stamp, outgoing, peer, data in model.traffic(chosen):
                here = ends.get(peer, local)
                if protocol == "tcp" and peer not in opened:
                    opened.add(peer)
                    writer.tcp_opened(stamp, here, peer, peer_connected=peer_connected)
                writer.add(stamp, protocol, outgoing, here, peer, data)
        return writer.packets
    part = target.with_name(target.name + ".part")
    try:
        if kind == "csv":
            count = export_csv(model, part, chosen)
        elif kind == "text":
            count = export_text(model, part, chosen)
        else:
            with open(part, "wb") as handle:
                if kind == "raw":
                    for row in chosen:
                        handle.write(model.row_data(row))
                else:
                    for row in chosen:
                        if model.row_data(row):
                            handle.write(to_hex(model.row_data(row)).encode("ascii") + b"\n")
            count = len(chosen)
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise _failed(target, exc) from exc
    return count


class ReceiveFile:
    """Received bytes streamed into a file: ``raw`` (the bytes as they came) or ``lines`` (one
    line per row: ISO time, peer, the bytes as one-line text in ``encoding``).

    ``size`` is the file's size in bytes; ``missed`` counts received bytes the log never saw
    (a stream faster than the window: the file has a gap there, and ``lines`` says so).

    Raises (every method that writes):
        TransferError: the file cannot be created or written (disk full, no permission); the
            file is closed then.
    """

    def __init__(
        self, path: str | Path, mode: Literal["raw", "lines"] = "raw", encoding: str = "UTF-8"
    ) -> None:
        self.path = Path(path)
        self.mode = mode
        self.encoding = encoding
        self.size = 0
        self.missed = 0
        try:
            self._file: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 - close()
        except OSError as exc:
            raise _failed(self.path, exc) from exc

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, stamp: float, peer: str, data: bytes, *, missed: int = 0) -> None:
        """Add one received row (``missed``: bytes of it the log did not keep)."""
        if self._file is None or (not data and not missed):
            return
        self.missed += missed
        if self.mode == "raw":
            chunk = data
        else:
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(stamp))
            text = render_text(data, self.encoding)
            gap = f" [{missed} bytes missed]" if missed else ""
            chunk = f"{when}.{int(stamp % 1 * 1000):03d}\t{peer}\t{text}{gap}\n".encode()
        try:
            self._file.write(chunk)
            self._file.flush()  # a full disk says so now, not at close
        except OSError as exc:
            self._abandon()
            raise _failed(self.path, exc) from exc
        self.size += len(chunk)

    def close(self) -> None:
        """Flush and close (a no-op when closed)."""
        if self._file is None:
            return
        handle, self._file = self._file, None
        try:
            handle.close()
        except OSError as exc:
            raise _failed(self.path, exc) from exc

    def _abandon(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):  # the write's error is the one reported
                handle.close()
