"""The file commands of ``swb``: ``serve`` (share files) and ``get`` (download one); net.cli parses them.

``serve`` prints the URLs on stdout, one per line, then one line per transfer (or JSON objects with
--json); the header, hints and the summary go to stderr. With --tls the same port speaks HTTP and
classic raw inside TLS, and the certificate's path and SHA-256 fingerprint are printed first.
Unless --no-announce (or SWB_NO_MDNS), the share announces itself on the local network (mDNS,
net.discovery) while it runs; a failure to announce is one warning line, never the end.

``get`` shows a progress line on stderr when it is a terminal, and prints one final line on stdout:
where the file went, its size, its SHA-256 and whether that was verified. ``https://`` and
``raw+tls://`` (classic raw inside TLS) are verified against the system's CAs unless --cafile,
--fingerprint or --insecure says otherwise. ``get`` continues a ``<name>.part`` left by an
earlier attempt (its resume state is in ``<name>.part.resume``); ``--timeout`` bounds the whole
download, ``--idle-timeout`` each wait, ``--max-size`` the file. SIGINT and SIGTERM stop either
command cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING

from net._cli_common import (
    announce_certificate,
    client_tls,
    counted,
    out,
    raise_file_limit,
    server_tls,
    status,
    stop_on_signals,
    warn_if_insecure,
)
from net._cli_output import ProgressLine
from net._i18n import _, ngettext
from net.codec import json_line
from net.download import Download, TransferCancelled, parse_share_url, with_password
from net.errors import ConnectError, TransferError
from net.events import (
    TransferFailed,
    TransferFinished,
    TransferProgress,
    TransferStarted,
)
from net.httpfile import human_size, shown_name
from net.share import LocalFileError, ShareTable

if TYPE_CHECKING:
    from net.fileserver import FileServer, TransferEvent
    from net.tls import ServerCertificate

__all__ = ["get", "serve"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: Classic raw inside TLS, as `swb serve --tls` prints it (the file server calls it "raw+tls" too).
RAW_TLS_SCHEME = "raw+tls://"
# swb serve and nginx answer plain HTTP on their TLS port with 400 and a page naming https://.
_ANSWERED_400 = "answered 400 "


def serve(args: argparse.Namespace) -> int:
    """``swb serve PATH...``: share files (and folders) until SIGINT/SIGTERM.

    With --tls (or --cert and --key) both dialects run inside TLS on the same port.
    """
    from net.fileserver import FileServer  # only serve needs it: `swb get` starts sooner

    certificate, context = server_tls(args)  # AddressError (exit 2) for unusable --cert/--key
    password = read_password(args) if args.password else None
    upload_dir = _upload_dir(args)
    raise_file_limit()
    share = ShareTable()
    try:
        for path in args.paths:
            if os.path.isdir(path):
                added = share.add_folder(
                    path, on_skip=_report_skipped, on_progress=_IndexProgress(path)
                )
                if not added and upload_dir is None:  # with uploads it is a drop box
                    raise LocalFileError(_("{path} has no files to share").format(path=path))
            else:
                share.add(path)
        printer = _ServePrinter(json_lines=args.json, quiet=args.quiet)
        with (
            FileServer(
                share,
                args.host,
                args.port,
                raw_dialect=not args.no_raw,
                ssl_context=context,
                password=password,
                upload_dir=upload_dir,
                max_upload=args.max_upload,
                part_max_age=args.part_max_age * 3600,
                on_event=printer.event,
            ) as server,
            stop_on_signals(server),
        ):  # before "Ctrl-C stops." is printed
            if certificate is not None:
                announce_certificate(certificate, given=bool(args.cert))
            files = share.files()
            total = sum(f.size for f in files)
            status(
                (
                    _("Sharing {files} ({total}) at these addresses:")
                    if len(server.urls()) > 1
                    else _("Sharing {files} ({total}) at this address:")
                ).format(files=counted(len(files), "file"), total=human_size(total))
            )
            for url in server.urls():
                out(url)
            if certificate is not None and not args.cert:
                status(
                    _(
                        "Clients must pin this self-signed certificate "
                        "(swb get --fingerprint FINGERPRINT URL) or skip the check (curl -k)."
                    )
                )
            raw = not args.no_raw and password is None
            if password is not None:
                status(_("A password is needed (HTTP Basic, any user name)."))
                if certificate is None:
                    status(
                        _(
                            "swb: warning: without --tls the password travels in clear text; "
                            "anyone on the network path can read it"
                        )
                    )
                if not args.no_raw:
                    status(_("Classic raw is off: it cannot carry a password."))
            if upload_dir is not None:
                limit = (
                    _(" up to {max_upload} each").format(max_upload=human_size(args.max_upload))
                    if args.max_upload
                    else ""
                )
                status(
                    _(
                        "Uploads go to {upload_dir}{limit} (curl -T FILE URL, swb put URL "
                        "FILE, or the page's form)."
                    ).format(upload_dir=upload_dir, limit=limit)
                )
            if raw:
                first = server.urls()[0].split("://", 1)[1].rstrip("/")
                if certificate is None:
                    how, scheme = _("send a file name"), "raw://"
                else:
                    how, scheme = _("send a file name inside TLS"), RAW_TLS_SCHEME
                status(
                    _(
                        "Classic raw clients: {how} to port {port} (swb get "
                        "{scheme}{first}/NAME). Ctrl-C stops."
                    ).format(how=how, port=server.port, scheme=scheme, first=first)
                )
            else:
                status(_("Ctrl-C stops."))
            with _announcement(args, server, certificate):
                server.serve_forever()
        status(printer.summary())
    finally:
        share.close()
    return EXIT_OK


def _announcement(
    args: argparse.Namespace, server: FileServer, certificate: ServerCertificate | None
) -> contextlib.AbstractContextManager[object]:
    """Announce the share on the local network while it runs, unless --no-announce."""
    if args.no_announce:
        return contextlib.nullcontext()
    from net.discovery import Announcer

    return Announcer(
        server.port,
        server.address.rsplit(":", 1)[0],
        fingerprint=certificate.fingerprint if certificate is not None else None,
        raw=not args.no_raw and not args.password,
        uploads=args.upload_dir is not None,
        password=bool(args.password),
        on_warning=lambda text: status(f"swb: {text}"),
        on_announced=lambda name: status(
            _("Announced on the local network as {name!r}.").format(name=name)
        ),
    )


def read_password(args: argparse.Namespace) -> str:
    """The share password: ``$SWB_PASSWORD``, else asked on the terminal (never argv, where
    other users of the machine can read it). Raises AddressError (exit 2) when neither gives one."""
    from net.errors import AddressError

    password = os.environ.get("SWB_PASSWORD", "")
    if not password and sys.stdin.isatty():
        import getpass

        with contextlib.suppress(EOFError):
            password = getpass.getpass(_("Password for the share: "))
    if not password:
        raise AddressError(
            _("--password needs the password in $SWB_PASSWORD or typed at the prompt")
        )
    return password


def _upload_dir(args: argparse.Namespace) -> str | None:
    """--upload-dir, checked: an existing, writable folder (AddressError, exit 2, otherwise)."""
    from net.errors import AddressError

    if args.upload_dir is None:
        if args.max_upload is not None:
            raise AddressError(_("--max-upload needs --upload-dir"))
        return None
    if not args.part_max_age > 0:  # also NaN
        raise AddressError(_("--part-max-age must be a positive number of hours"))
    path: str = os.path.abspath(str(args.upload_dir))
    if not os.path.isdir(path):
        raise AddressError(
            _("--upload-dir {upload_dir}: no such folder").format(upload_dir=args.upload_dir)
        )
    if not os.access(path, os.W_OK):
        raise AddressError(
            _("--upload-dir {upload_dir}: the folder is not writable").format(
                upload_dir=args.upload_dir
            )
        )
    return path


def get(args: argparse.Namespace) -> int:
    """``swb get URL``: download one file; exit 0 done, 1 network/transfer failure, 2 bad input.

    ``raw+tls://host:port/name`` is classic raw inside TLS. ``--timeout`` bounds the whole
    download, ``--idle-timeout`` each wait, ``--max-size`` the file's size. An existing ``.part``
    with its resume state is always continued.
    With --recursive the URL is a share or a folder in it, mirrored by net._cli_mirror.
    """
    args.url = with_password(args.url.strip(), os.environ.get("SWB_PASSWORD"))
    if getattr(args, "recursive", False):
        from net._cli_mirror import mirror

        return mirror(args)
    try:
        return _get_once(args)
    except TransferError as exc:
        if "(401" not in str(exc) or not sys.stdin.isatty():
            raise
        import getpass

        try:
            password = getpass.getpass(_("The share needs a password: "))
        except EOFError:
            raise exc from None
        args.url = with_password(args.url, password, replace=True)
        return _get_once(args)


def _get_once(args: argparse.Namespace) -> int:
    """One ``swb get`` of one file (see :func:`get`)."""
    text = args.url
    url = parse_share_url(text)  # AddressError: exit 2 (net.cli)
    secure = url.scheme in ("https", "raw+tls")
    tls = client_tls(args, tls=secure)
    if tls is not None and not secure:
        option = (
            "--insecure" if args.insecure else "--fingerprint" if args.fingerprint else "--cafile"
        )
        return _bad(
            _(
                "swb: {option} is for TLS servers, but {scheme}:// is plain TCP: use "
                "https:// (or {raw_tls_scheme} for classic raw inside TLS)"
            ).format(option=option, scheme=url.scheme, raw_tls_scheme=RAW_TLS_SCHEME)
        )
    warn_if_insecure(tls)
    show = not args.quiet and sys.stderr.isatty()
    line = ProgressLine() if show else None
    download = Download(
        text,
        args.output,
        raw=args.raw,
        tls=tls,
        timeout=args.idle_timeout,
        deadline=args.timeout,
        max_size=args.max_size,
        on_progress=line.update if line else None,
    )
    try:
        with download, stop_on_signals(download):
            result = download.run()
    except TransferCancelled as exc:
        if line:
            line.clear()
        status(f"swb: {exc}")
        return EXIT_INTERRUPTED
    except (ConnectError, TransferError) as exc:
        if secure or isinstance(exc, LocalFileError) or not _like_a_tls_server(download, exc):
            raise
        scheme = RAW_TLS_SCHEME if download.raw else "https://"
        where = with_password(text, None).split("://", 1)[1]
        where = where.split("@", 1)[1] if "@" in where.split("/", 1)[0] else where  # no password
        status(
            _("swb: {exc}; if it is a TLS server, use {scheme}{where}").format(
                exc=exc, scheme=scheme, where=where
            )
        )
        return EXIT_NETWORK
    finally:
        if line:
            line.clear()
    if result.verified:
        check = _("verified")
    elif download.raw:
        check = _("not verified: the classic raw protocol carries no checksum")
    else:
        check = _("not verified: the server sent no checksum")
    out(
        ngettext(
            "{path}  {size:,} byte  sha256 {sha256}  {check}",
            "{path}  {size:,} bytes  sha256 {sha256}  {check}",
            result.size,
        ).format(path=result.path, size=result.size, sha256=result.sha256, check=check)
    )
    return EXIT_OK


def _like_a_tls_server(download: Download, exc: Exception) -> bool:
    """Whether a plain download failed the way a TLS server answers plain text: with a TLS record
    (an alert), by ending the connection at once without a byte, or with the 400 that swb serve
    and nginx send to plain HTTP on their TLS port. A reset or an end after the server sent
    anything else is no such sign."""
    return download.looks_like_tls() or download.received_bytes == 0 or _ANSWERED_400 in str(exc)


class _ServePrinter:
    """Turns transfer events into lines (or JSON objects) and keeps the totals for the summary."""

    def __init__(self, *, json_lines: bool, quiet: bool) -> None:
        self.json_lines = json_lines
        self.quiet = quiet
        self.started: dict[int, TransferStarted] = {}
        self.finished = 0
        self.failed = 0
        self.sent = 0
        self.received = 0  # bytes of uploads

    def event(self, event: TransferEvent) -> None:
        if isinstance(event, TransferStarted):
            self.started[event.transfer_id] = event
        elif isinstance(event, TransferFinished | TransferFailed):
            if isinstance(event, TransferFinished):
                self.finished += 1
            else:
                self.failed += 1
            start = self.started.get(event.transfer_id)
            if start is not None and start.direction == "in":
                self.received += event.done
            else:
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
            out(json_line({"event": kind, **event.as_dict()}))
        elif isinstance(event, TransferStarted):
            if not event.total:
                return  # nothing to send (an unknown name, an empty file): the end line says it
            where = _(" from byte {offset:,}").format(offset=event.offset) if event.offset else ""
            line = (
                _("{peer} is sending {name!r}: {size}{where} ({dialect})")
                if event.direction == "in"
                else _("{peer} started {name!r}: {size}{where} ({dialect})")
            )
            out(
                line.format(
                    peer=event.peer,
                    name=event.name,
                    size=human_size(event.total),
                    where=where,
                    dialect=event.dialect,
                )
            )
        elif isinstance(event, TransferFinished | TransferFailed):
            start = self.started.get(event.transfer_id)
            name = repr(start.name) if start else _("transfer {id}").format(id=event.transfer_id)
            peer = start.peer if start else "?"
            took = _(" in {seconds:.1f} s").format(seconds=event.time - start.time) if start else ""
            if isinstance(event, TransferFinished):
                line = (
                    _("{peer} uploaded {name}: {size}{took}")
                    if start and start.direction == "in"
                    else _("{peer} finished {name}: {size}{took}")
                )
                out(line.format(peer=peer, name=name, size=human_size(event.done), took=took))
            else:
                out(
                    _("{peer} failed {name} after {done}: {reason}").format(
                        peer=peer, name=name, done=human_size(event.done), reason=event.reason
                    )
                )
        if not isinstance(event, TransferStarted | TransferProgress):
            self.started.pop(event.transfer_id, None)

    def summary(self) -> str:
        text = _("{transfers}, {sent:,} bytes sent").format(
            transfers=counted(self.finished, "transfer"), sent=self.sent
        )
        if self.received:
            text += _(", {received:,} bytes received").format(received=self.received)
        if self.failed:
            text += _(", {failed} failed").format(failed=self.failed)
        return text


class _IndexProgress:
    """Says how far the walk of a big folder got: "indexed 20000 files in DIR…" every 10,000
    files (on stderr), so that a minute-long walk of a slow disk does not look like a hang."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, count: int) -> None:
        if count % 10000 == 0:
            status(
                _("indexed {files} in {name}…").format(
                    files=counted(count, "file"), name=shown_name(self.path)
                )
            )


def _report_skipped(path: str, reason: str) -> None:
    status(
        _("swb: skipped {shown_name}: {reason}").format(shown_name=shown_name(path), reason=reason)
    )


def _bad(line: str) -> int:
    status(line)
    return EXIT_BAD_INPUT
