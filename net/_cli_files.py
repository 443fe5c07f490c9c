"""The file commands of ``swb``: ``serve`` (share files) and ``get`` (download one); net.cli parses them.

``serve`` prints the URLs on stdout, one per line, then one line per transfer (or JSON objects with
--json); the header, hints and the summary go to stderr. ``get`` shows a progress line on stderr
when it is a terminal, and prints one final line on stdout: where the file went, its size, its
SHA-256 and whether that was verified. SIGINT and SIGTERM stop either command cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from net._loop import StoppableLoop
from net.download import Download, TransferCancelled, parse_share_url
from net.events import (
    DownloadProgress,
    TransferFailed,
    TransferFinished,
    TransferProgress,
    TransferStarted,
)
from net.httpfile import human_size
from net.share import LocalFileError, ShareTable

if TYPE_CHECKING:
    from net.fileserver import TransferEvent

__all__ = ["get", "serve"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
TLS_NOT_AVAILABLE = "swb: TLS is not available yet for this command"


def serve(args: argparse.Namespace) -> int:
    """``swb serve PATH...``: share files (and folders) until SIGINT/SIGTERM."""
    if args.tls or args.cert or args.key:
        return _bad(TLS_NOT_AVAILABLE)
    from net.fileserver import FileServer  # only serve needs it: `swb get` starts sooner

    _raise_file_limit()
    share = ShareTable()
    try:
        for path in args.paths:
            if os.path.isdir(path):
                added = share.add_folder(path, on_skip=_report_skipped)
                if not added:
                    raise LocalFileError(f"{path} has no files to share")
            else:
                share.add(path)
        printer = _ServePrinter(json_lines=args.json, quiet=args.quiet)
        with FileServer(
            share,
            args.host,
            args.port,
            raw_dialect=not args.no_raw,
            on_event=printer.event,
        ) as server:
            files = share.files()
            total = sum(f.size for f in files)
            _status(
                f"Sharing {_plural(len(files), 'file')} ({human_size(total)}) at "
                f"{'these addresses' if len(server.urls()) > 1 else 'this address'}:"
            )
            for url in server.urls():
                _out(url)
            if not args.no_raw:
                first = server.urls()[0].split("://", 1)[1].rstrip("/")
                _status(
                    f"Classic raw clients: send a file name to port {server.port} "
                    f"(swb get raw://{first}/NAME). Ctrl-C stops."
                )
            else:
                _status("Ctrl-C stops.")
            with _stop_on_signals(server):
                server.serve_forever()
        _status(printer.summary())
    finally:
        share.close()
    return EXIT_OK


def get(args: argparse.Namespace) -> int:
    """``swb get URL``: download one file; exit 0 done, 1 network/transfer failure, 2 bad input."""
    if args.insecure or args.fingerprint or args.cafile:
        return _bad(TLS_NOT_AVAILABLE)
    url = parse_share_url(args.url)  # AddressError: exit 2 (net.cli)
    if url.scheme == "https":
        return _bad(TLS_NOT_AVAILABLE)
    show = not args.quiet and sys.stderr.isatty()
    line = _ProgressLine() if show else None
    download = Download(
        args.url,
        args.output,
        raw=args.raw,
        timeout=args.timeout,
        on_progress=line.update if line else None,
    )
    try:
        with download, _stop_on_signals(download):
            result = download.run()
    except TransferCancelled as exc:
        if line:
            line.clear()
        _status(f"swb: {exc}")
        return EXIT_INTERRUPTED
    finally:
        if line:
            line.clear()
    if result.verified:
        check = "verified"
    elif download.raw:
        check = "not verified: the classic raw protocol carries no checksum"
    else:
        check = "not verified: the server sent no checksum"
    _out(f"{result.path}  {result.size:,} bytes  sha256 {result.sha256}  {check}")
    return EXIT_OK


class _ServePrinter:
    """Turns transfer events into lines (or JSON objects) and keeps the totals for the summary."""

    def __init__(self, *, json_lines: bool, quiet: bool) -> None:
        self.json_lines = json_lines
        self.quiet = quiet
        self.started: dict[int, TransferStarted] = {}
        self.finished = 0
        self.failed = 0
        self.sent = 0

    def event(self, event: TransferEvent) -> None:
        if isinstance(event, TransferStarted):
            self.started[event.transfer_id] = event
        elif isinstance(event, TransferFinished):
            self.finished += 1
            self.sent += event.done
        elif isinstance(event, TransferFailed):
            self.failed += 1
            self.sent += event.done
        if self.quiet:
            if not isinstance(event, TransferStarted | TransferProgress):
                self.started.pop(event.transfer_id, None)
            return
        if self.json_lines:
            kind = {
                TransferStarted: "started",
                TransferProgress: "progress",
                TransferFinished: "finished",
                TransferFailed: "failed",
            }[type(event)]
            _out(json.dumps({"event": kind, **dataclasses.asdict(event)}, ensure_ascii=False))
        elif isinstance(event, TransferStarted):
            where = f" from byte {event.offset:,}" if event.offset else ""
            _out(
                f"{event.peer} started {event.name!r}: {human_size(event.total)}{where} "
                f"({event.dialect})"
            )
        elif isinstance(event, TransferFinished | TransferFailed):
            start = self.started.get(event.transfer_id)
            name = repr(start.name) if start else f"transfer {event.transfer_id}"
            peer = start.peer if start else "?"
            took = f" in {event.time - start.time:.1f} s" if start else ""
            if isinstance(event, TransferFinished):
                _out(f"{peer} finished {name}: {human_size(event.done)}{took}")
            else:
                _out(f"{peer} failed {name} after {human_size(event.done)}: {event.reason}")
        if not isinstance(event, TransferStarted | TransferProgress):
            self.started.pop(event.transfer_id, None)

    def summary(self) -> str:
        text = f"{_plural(self.finished, 'transfer')}, {self.sent:,} bytes sent"
        if self.failed:
            text += f", {self.failed} failed"
        return text


class _ProgressLine:
    """One self-overwriting progress line on stderr (a terminal), redrawn at most ~10 times/s."""

    def __init__(self) -> None:
        self.width = 0

    def update(self, event: DownloadProgress) -> None:
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


@contextlib.contextmanager
def _stop_on_signals(loop: StoppableLoop) -> Iterator[None]:
    """SIGINT and SIGTERM call ``loop.shutdown()`` (which wakes its selector) while inside."""

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.shutdown()

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave them be
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _raise_file_limit() -> None:
    """Let the server hold its connection caps: raise the soft descriptor limit to the hard one."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _report_skipped(path: str, reason: str) -> None:
    _status(f"swb: skipped {path}: {reason}")


def _bad(line: str) -> int:
    _status(line)
    return EXIT_BAD_INPUT


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _status(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun if count == 1 else noun + 's'}"
