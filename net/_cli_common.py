"""What ``swb``'s commands share when they run: TLS options in and out, counted nouns, stopping on
signals, and the lines they write (results on stdout, status on stderr).

net.tls is imported only when a command asks for TLS, so plain commands start as fast as before.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from net._i18n import _, ngettext
from net._loop import StoppableLoop, raise_file_limit
from net.errors import AddressError

if TYPE_CHECKING:
    import ssl

    from net.tls import ClientTls, ServerCertificate

__all__ = [
    "announce_certificate",
    "client_tls",
    "counted",
    "out",
    "raise_file_limit",
    "server_certificate",
    "server_tls",
    "status",
    "stop_on_signals",
    "warn_if_insecure",
]


# One ngettext call per counted noun, so that each language gets its own plural forms.
_COUNTED: dict[str, Callable[[int], str]] = {
    "byte": lambda n: ngettext("{count} byte", "{count} bytes", n),
    "chunk": lambda n: ngettext("{count} chunk", "{count} chunks", n),
    "client": lambda n: ngettext("{count} client", "{count} clients", n),
    "connection": lambda n: ngettext("{count} connection", "{count} connections", n),
    "datagram": lambda n: ngettext("{count} datagram", "{count} datagrams", n),
    "file": lambda n: ngettext("{count} file", "{count} files", n),
    "packet": lambda n: ngettext("{count} packet", "{count} packets", n),
    "reply": lambda n: ngettext("{count} reply", "{count} replies", n),
    "send": lambda n: ngettext("{count} send", "{count} sends", n),
    "TLS handshake": lambda n: ngettext("{count} TLS handshake", "{count} TLS handshakes", n),
    "transfer": lambda n: ngettext("{count} transfer", "{count} transfers", n),
}


def counted(count: int, noun: str, *, grouped: bool = False) -> str:
    """ "1 datagram", "2 datagrams" in the user's language; ``grouped`` writes 12,345.

    ``noun`` is one of the English singulars above; another noun gets an English "s".
    """
    shown = f"{count:,}" if grouped else str(count)
    forms = _COUNTED.get(noun)
    if forms is None:
        return f"{shown} {noun if count == 1 else noun + 's'}"
    return forms(count).format(count=shown)


def client_tls(args: argparse.Namespace, *, tls: bool) -> ClientTls | None:
    """How a client checks a TLS server, from --insecure, --fingerprint and --cafile.

    Args:
        args: the parsed command line (with ``insecure``, ``fingerprint`` and ``cafile``).
        tls: the command asked for TLS in its own way (``--tls``, an ``https://`` URL).
    Returns:
        None when neither ``tls`` nor any of the three options was given (plain TCP).
    Raises:
        AddressError: a malformed fingerprint, or a CA file that cannot be used.
    """
    if not (tls or args.insecure or args.fingerprint is not None or args.cafile):
        return None
    from net.tls import ClientTls, client_context, normalize_fingerprint

    # normalize_fingerprint refuses a blank one, which ClientTls would take for "no pin".
    pin = normalize_fingerprint(args.fingerprint) if args.fingerprint is not None else None
    opts = ClientTls(verify=not args.insecure, fingerprint=pin, cafile=args.cafile)
    if opts.cafile:
        client_context(opts)  # a CA file that cannot be used is bad input, before any connection
    return opts


def warn_if_insecure(opts: ClientTls | None) -> None:
    """Print net.tls's warning on stderr when certificate checks are off."""
    if opts is not None and opts.insecure:
        from net.tls import INSECURE_WARNING

        status(_("swb: warning: {warning}").format(warning=_(INSECURE_WARNING)))


def server_certificate(args: argparse.Namespace) -> ServerCertificate | None:
    """The certificate a server presents: --cert/--key (which imply --tls), else with --tls the
    self-signed one from the data folder, else None (plain TCP).

    Raises:
        AddressError: only one of --cert and --key, or files that cannot be used.
        NetError: the self-signed certificate cannot be stored.
    """
    if bool(args.cert) != bool(args.key):
        given, missing = ("--cert", "--key") if args.cert else ("--key", "--cert")
        raise AddressError(
            _("{given} needs {missing} too: give both the certificate and its private key").format(
                given=given, missing=missing
            )
        )
    if args.cert:
        from net.tls import load_server_certificate

        return load_server_certificate(args.cert, args.key)
    if args.tls:
        from net.tls import default_server_certificate

        return default_server_certificate()
    return None


def server_tls(
    args: argparse.Namespace,
) -> tuple[ServerCertificate, ssl.SSLContext] | tuple[None, None]:
    """The certificate a server presents (:func:`server_certificate`) and the TLS context made
    from it; ``(None, None)`` for plain TCP. Raises what :func:`server_certificate` raises."""
    certificate = server_certificate(args)
    if certificate is None:
        return None, None
    from net.tls import server_context

    return certificate, server_context(certificate)


def announce_certificate(certificate: ServerCertificate, *, given: bool) -> None:
    """Print where the server's certificate is and the fingerprint clients can pin (stderr)."""
    origin = _("given with --cert") if given else _("self-signed, made by swb")
    status(
        _("TLS certificate: {cert_path} ({origin})").format(
            cert_path=certificate.cert_path, origin=origin
        )
    )
    status(
        _("TLS certificate SHA-256 fingerprint: {fingerprint}").format(
            fingerprint=certificate.fingerprint
        )
    )


@contextlib.contextmanager
def stop_on_signals(loop: StoppableLoop) -> Iterator[None]:
    """SIGINT, SIGTERM and (on Windows) SIGBREAK call ``loop.shutdown()`` while inside.

    The loop's wake-up socket is also the signal wake-up descriptor (``signal.set_wakeup_fd``):
    on Windows Ctrl+C does not interrupt ``select()``, and the handler would only run once traffic
    arrived; the byte the C-level handler writes wakes the selector, so the handler runs at once.
    Outside the main thread signals cannot be handled and nothing is changed.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.shutdown()

    signals: list[int] = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":
        signals.append(signal.SIGBREAK)  # Ctrl+Break in a console
    previous: dict[int, Any] = {}
    for signum in signals:
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave them be
            previous[signum] = signal.signal(signum, handler)
    old_wakeup: int | None = None
    if previous:
        with contextlib.suppress(ValueError, OSError):
            old_wakeup = signal.set_wakeup_fd(loop.wakeup_fileno(), warn_on_full_buffer=False)
    try:
        yield
    finally:
        if old_wakeup is not None:
            signal.set_wakeup_fd(old_wakeup)
        for number, old in previous.items():
            signal.signal(number, old)


def status(line: str) -> None:
    """A status line on stderr, flushed at once (stdout stays clean for pipes)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def out(line: str) -> None:
    """A result line on stdout, flushed at once (a pipe's reader sees it as it happens)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
