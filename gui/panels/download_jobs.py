"""The three transfers the Download panel runs, each on its own worker: one file
(:class:`net.download.Download`), several files or folders (:class:`net.mirror.Mirror`, the engine
of ``swb get --recursive``) and uploads (:class:`net.upload.FilesUpload`, as ``swb put``).

Each job starts its run, shows the run's progress batches (only the newest sample of a batch),
adds what it finished to the history and says how it ended on the status line. A 401 answer asks
for the share's password once; the run is tried again with it when the first one has ended.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.panels.download_history import DownloadHistory
from gui.panels.download_save import SaveBox
from gui.runner import Runner
from gui.widgets import StatusLine, format_bytes, format_count
from gui.widgets.units import format_progress, shorten
from net._i18n import _ as net_text
from net.download import Download, parse_share_url, with_password
from net.events import DownloadFinished, DownloadProgress
from net.mirror import Mirror, MirrorFile, MirrorProgress, MirrorResult
from net.tls import ClientTls
from net.upload import PASSWORD_NEEDED, FilesUpload, UploadSent

__all__ = ["FileJob", "JobPlace", "MirrorJob", "TransferJob", "UploadJob"]


@dataclass(frozen=True, slots=True)
class JobPlace:
    """What a job shows its run in, and asks through: the panel's parts."""

    status: StatusLine
    save: SaveBox
    history: DownloadHistory
    #: (usable, the certificate check for a URL: None for plain ones); not usable after
    #: saying why on the status line.
    checked_tls: Callable[[str], tuple[bool, ClientTls | None]]
    #: Asks for a server's password (None: cancelled).
    ask_password: Callable[[str], str | None]
    #: The window's activity line.
    set_activity: Callable[[str], None]


class TransferJob(QObject):
    """A run on ``runner``: Cancel stops it (what is saved is kept), a retry waits for its end.

    Signals:
        started(): a run started (also a retry).
        ended(): the run ended (the panel enables its buttons again); a retry starts after it.
    """

    started = Signal()
    ended = Signal()

    def __init__(self, runner: Runner, place: JobPlace) -> None:
        super().__init__(runner.parent())
        self.runner = runner
        self.place = place
        self.cancelling = False
        self._retry: Callable[[], None] | None = None
        runner.finished.connect(self._on_finished)

    @property
    def running(self) -> bool:
        return self.runner.running

    def cancel(self) -> None:
        if self.runner.running:
            self.cancelling = True
            self.runner.stop()

    def _launch(
        self, url: str, make: Callable[[ClientTls | None], Any], *, busy: bool = False
    ) -> bool:
        """Run what ``make(the certificate check for url)`` returns (its ``run()``, on the
        worker), the bar empty or busy (sizes not known yet). False, after saying why, when
        the certificate check is malformed."""
        ok, tls = self.place.checked_tls(url)
        if not ok:
            return False
        self.cancelling = False
        self.runner.start(lambda: make(tls), lambda transfer: transfer.run())
        self.started.emit()
        self.place.save.start(busy=busy)
        return True

    def _ask_again(self, url: str) -> str | None:
        """``url`` with the password the user gives for its server (a 401); None if none."""
        password = self.place.ask_password(parse_share_url(url).authority)
        return with_password(url, password, replace=True) if password else None

    def _on_finished(self) -> None:
        self.cancelling = False
        self.ended.emit()
        retry, self._retry = self._retry, None
        if retry is not None:
            retry()


class FileJob(TransferJob):
    """One file: resumes its ``.part``, verifies the SHA-256 the server announced."""

    def __init__(self, runner: Runner, place: JobPlace) -> None:
        super().__init__(runner, place)
        self.download: Any = None  # the Download, once the worker opened it
        self.result: DownloadFinished | None = None
        self.last: tuple[str, str, bool] | None = None  # (url, folder, raw) of the last attempt
        runner.opened.connect(self._on_opened)
        runner.events.connect(self._on_progress)
        runner.returned.connect(self._on_downloaded)
        runner.failed.connect(self._on_failed)

    def run(self, url: str, folder: str, raw: bool) -> None:
        push = self.runner.push
        if not self._launch(
            url, lambda tls: Download(url, folder, raw=raw, tls=tls, on_progress=push)
        ):
            return
        self.last = (url, folder, raw)
        self.download = None
        self.result = None
        self.place.save.show_verified(None)
        name = parse_share_url(url)
        self.place.status.show_info(
            self.tr("Downloading {name} from {server}…").format(
                name=(name.raw_name if raw else name.name) or url, server=name.authority
            )
        )

    def _on_opened(self, download: Any) -> None:
        self.download = download

    def _on_progress(self, events: list[Any]) -> None:
        latest = next((e for e in reversed(events) if isinstance(e, DownloadProgress)), None)
        if latest is None:
            return
        progress = self.place.save.show_transfer(latest.received, latest.total, latest.speed)
        self.place.set_activity(
            self.tr("Downloading {name}: {progress}").format(
                name=getattr(self.download, "file_name", ""), progress=progress
            )
        )

    def _on_downloaded(self, result: Any) -> None:
        if not isinstance(result, DownloadFinished):
            return
        self.result = result
        self.place.save.finish(format_bytes(result.size))
        self.place.save.show_verified(result, raw=self.last[2] if self.last else False)
        path = Path(result.path)
        self.place.history.add(
            dict(
                name=path.name,
                path=str(path),
                size=result.size,
                sha256=result.sha256,
                verified=result.verified,
                time=result.time,
            )
        )
        text = self.tr("Saved {name} ({size}) in {folder}").format(
            name=path.name, size=format_bytes(result.size), folder=str(path.parent)
        )
        if result.notes:
            text += " (" + "; ".join(result.notes) + ")"
        self.place.status.show_info(text)

    def _on_failed(self, message: str) -> None:
        if "(401" in message and self.last is not None and not self.cancelling:
            url = self._ask_again(self.last[0])
            if url is not None:
                folder, raw = self.last[1], self.last[2]
                if self.runner.running:  # tried again once this run has ended
                    self._retry = lambda: self.run(url, folder, raw)
                else:  # it ended while the dialog was open
                    self.run(url, folder, raw)
                return
        if self.cancelling:
            self.place.status.show_warning(message)
        else:
            self.place.status.show_error(message)
        self.place.save.progress_label.setText("")
        self.place.save.stop_busy()


class MirrorJob(TransferJob):
    """Several files, a folder or the whole share: files already there with the server's
    SHA-256 are not fetched, each file is verified, and a cancelled or failed run can be resumed
    (only what is missing is fetched)."""

    def __init__(self, runner: Runner, place: JobPlace) -> None:
        super().__init__(runner, place)
        self.result: MirrorResult | None = None
        # (folder URL, save folder, names or None) of the last run, and whether it ended before
        # finishing (then Resume runs it again).
        self.last: tuple[str, str, tuple[str, ...] | None] | None = None
        self.unfinished = False
        runner.events.connect(self._on_events)
        runner.returned.connect(self._on_mirrored)
        runner.failed.connect(self._on_failed)

    @property
    def resumable(self) -> bool:
        return self.unfinished and self.last is not None

    def resume(self) -> None:
        if self.last is not None:
            self.run(*self.last)

    def run(self, url: str, target: str, names: tuple[str, ...] | None) -> None:
        push = self.runner.push

        def open_mirror(tls: ClientTls | None) -> Mirror:
            return Mirror(url, target, tls=tls, on_file=push, on_progress=push, only=names)

        if not self._launch(url, open_mirror, busy=True):  # busy until the lists are in
            return
        self.last = (url, target, names)
        self.unfinished = False
        self.result = None
        self.place.save.show_verified(None)
        self.place.status.show_info(
            self.tr("Downloading from {server} into {folder}…").format(
                server=parse_share_url(url).authority, folder=shorten(target)
            )
        )

    def _on_events(self, events: list[Any]) -> None:
        done = [e for e in events if isinstance(e, MirrorFile)]
        if self.cancelling:  # files cut short by Cancel are not results
            done = [e for e in done if e.reason != "stopped"]
        if done and self.last is not None:
            folder = Path(self.last[1])
            now = time.time()
            self.place.history.add(
                *(
                    dict(
                        name=result.path,
                        path=str(folder / result.path),
                        size=result.size,
                        sha256=result.sha256 or "",
                        verified=result.verified,
                        time=now,
                        outcome=result.outcome,
                        reason=result.reason,
                    )
                    for result in done
                )
            )
        latest = next((e for e in reversed(events) if isinstance(e, MirrorProgress)), None)
        if latest is None:
            return
        if latest.bytes_total:
            fraction = latest.bytes_done / latest.bytes_total
        else:
            fraction = latest.files_done / latest.files_total if latest.files_total else 1.0
        self.place.save.show_fraction(fraction)
        files = self.tr("{done} of {count} files", "", latest.files_total).format(
            done=format_count(latest.files_done), count=format_count(latest.files_total)
        )
        text = f"{files} · {format_progress(latest.bytes_done, latest.bytes_total)}"
        self.place.save.progress_label.setText(text)
        self.place.set_activity(self.tr("Downloading: {progress}").format(progress=text))

    def _on_mirrored(self, result: Any) -> None:
        if not isinstance(result, MirrorResult):
            return
        self.result = result
        self.unfinished = bool(result.failed)
        self.place.save.show_fraction(1.0)
        text = self.tr("{downloaded} downloaded, {current} up to date, {failed} failed").format(
            downloaded=format_count(result.downloaded),
            current=format_count(result.up_to_date),
            failed=format_count(result.failed),
        )
        folder = self.last[1] if self.last else ""
        text = self.tr("{summary} in {folder}").format(summary=text, folder=shorten(folder))
        if result.failed:
            path, reason = result.failures[0]
            self.place.status.show_error(
                text + " " + self.tr("(first: {path}: {reason})").format(path=path, reason=reason)
            )
        else:
            self.place.status.show_info(text)

    def _on_failed(self, message: str) -> None:
        self.unfinished = True
        self.place.save.stop_busy()
        if self.cancelling:
            self.place.status.show_warning(
                self.tr(
                    "The download was cancelled: Resume fetches only what is missing "
                    "(partial files are kept)"
                )
            )
        else:
            self.place.status.show_error(message)


class UploadJob(TransferJob):
    """Files sent to a share that takes uploads, one after another, each resumed where an
    interrupted upload of its name stopped and checked by the server's SHA-256."""

    def __init__(self, runner: Runner, place: JobPlace) -> None:
        super().__init__(runner, place)
        self.last: tuple[str, tuple[str, ...]] | None = None  # (share URL, files)
        runner.events.connect(self._on_events)
        runner.failed.connect(self._on_failed)

    def send(self, paths: list[str], target_url: Callable[[], str | None]) -> None:
        """Send the files among ``paths`` (folders are left out) to the share ``target_url()``
        names (None: it said what is wrong), which must be http:// or https://."""
        files = [p for p in paths if os.path.isfile(p)]
        if not files:
            self.place.status.show_error(self.tr("Only files can be sent (not folders)"))
            return
        url = target_url()
        if url is None:
            return
        if parse_share_url(url).scheme not in ("http", "https"):
            self.place.status.show_error(self.tr("Uploads go to http:// or https:// shares"))
            return
        self.run(url, tuple(files))

    def run(self, url: str, files: tuple[str, ...]) -> None:
        push = self.runner.push

        def open_upload(tls: ClientTls | None) -> FilesUpload:
            return FilesUpload(
                url,
                list(files),
                tls=tls,
                on_progress=lambda file, event: push((file, event)),
                on_sent=push,
            )

        if not self._launch(url, open_upload):
            return
        self.last = (url, files)
        self.place.status.show_info(
            self.tr("Sending {count} files to {server}…", "", len(files)).format(
                count=format_count(len(files)), server=parse_share_url(url).authority
            )
        )

    def _on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, UploadSent):
                name = Path(event.file).name
                self.place.history.add(
                    dict(
                        name=name,
                        path=event.file,
                        size=event.size,
                        sha256=event.sha256,
                        verified=True,
                        time=time.time(),
                        outcome="uploaded",
                    )
                )
                self.place.status.show_info(
                    self.tr("Sent {name} ({size}): the server verified its SHA-256").format(
                        name=name, size=format_bytes(event.size)
                    )
                )
        latest = next((e for e in reversed(events) if isinstance(e, tuple)), None)
        if latest is None:
            return
        file, progress = latest
        total = progress.total or 0
        self.place.save.show_fraction(progress.received / total if total else 1.0)
        sent = self.place.save.show_bytes(
            progress.received, progress.total, progress.speed, eta=False
        )
        self.place.set_activity(
            self.tr("Sending {name}: {progress}").format(name=Path(file).name, progress=sent)
        )

    def _on_failed(self, message: str) -> None:
        if message.startswith(net_text(PASSWORD_NEEDED)) and self.last and not self.cancelling:
            url = self._ask_again(self.last[0])
            if url is not None:
                files = self.last[1]
                self._retry = lambda: self.run(url, files)
                return
        if self.cancelling:
            self.place.status.show_warning(
                self.tr("The upload was stopped: sending the file again continues it")
            )
        else:
            self.place.status.show_error(message)
