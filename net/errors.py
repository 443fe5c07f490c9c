"""The error hierarchy of the net package: every error carries a sentence a person understands.

The original ``OSError`` (or ``ssl.SSLError``) is chained as ``__cause__`` so nothing is lost for
debugging, but ``str(error)`` is what the GUI and the CLI show. The whole tree lives here::

    NetError
    ├── InputError (also ValueError)    what the user typed or named is wrong: the CLI exits 2
    │   ├── AddressError                a host, port, timeout or option value
    │   ├── PayloadError                hex, escapes, an encoding
    │   │   └── ScriptError             a conversation script (names its file and line)
    │   ├── LibraryError                a saved-packets library or one of its packets
    │   └── LocalFileError              a file or folder here (also a TransferError)
    ├── BindError                       a local address cannot be listened on
    ├── ConnectError                    a peer cannot be reached, or the connection broke
    │   └── TlsError                    a TLS handshake or certificate check failed
    ├── ProtocolError                   a peer broke its protocol
    ├── TransferError                   a file transfer failed or did not verify
    │   ├── TransferCancelled           shutdown() ended a download
    │   ├── FileRefused                 a server refused one file of an upload
    │   └── UploadStopped               a stopped upload (resumable: sending again continues it)
    └── UploadRefused                   an upload this server cannot store (with its HTTP status)

Every error but an InputError is a failure of the network or the peer: the CLI exits 1.

An ``OSError`` becomes a sentence in one place, :func:`describe_os_error` (a table of sentences by
errno for each situation: binding, connecting, using a connection); ``describe_*_error`` are those
situations, and :func:`describe_stream_error` adds what TLS says.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Mapping

from net._i18n import N_, _

__all__ = [
    "CLI_ADVICE",
    "AddressError",
    "BindError",
    "ConnectError",
    "FileRefused",
    "InputError",
    "LibraryError",
    "LocalFileError",
    "NetError",
    "PayloadError",
    "ProtocolError",
    "ScriptError",
    "TlsError",
    "TransferCancelled",
    "TransferError",
    "UploadRefused",
    "UploadStopped",
    "describe_bind_error",
    "describe_connect_error",
    "describe_io_error",
    "describe_os_error",
    "describe_stream_error",
    "reason_words",
    "system_words",
]


#: Advice inside messages that names the command line's options, by kind. The CLI shows the
#: sentences as they are; the GUI replaces each piece with the controls to click (by its kind).
CLI_ADVICE: dict[str, str] = {
    "pin-or-insecure": N_("pin its fingerprint with --fingerprint or use --insecure"),
    "ca-pin-or-insecure": (
        N_(
            "give that authority's certificate with --cafile, pin the fingerprint with "
            "--fingerprint, or use --insecure"
        )
    ),
}


class NetError(Exception):
    """Base of every error the net package raises on purpose."""


class InputError(NetError, ValueError):
    """Input the user can fix: something typed, chosen or named that cannot be used (the CLI
    exits 2). Also a ValueError, as Python's own checks of bad values are."""


class AddressError(InputError):
    """A host, port or other value the user gave (timeout, keepalive range, CA file,
    fingerprint) that cannot be used."""


class PayloadError(InputError):
    """A payload (hex, escapes, encoding) that cannot be turned into bytes."""


class ScriptError(PayloadError):
    """A script that cannot run: the sentence names the file and line."""


class LibraryError(InputError):
    """A library file that cannot be read or written, or a packet that is not valid (bad input:
    the CLI exits 2)."""


class BindError(NetError):
    """A local address could not be bound or listened on."""


class ConnectError(NetError):
    """A connection to a peer could not be made, or it broke."""


class TlsError(ConnectError):
    """A TLS handshake or certificate check failed."""


class ProtocolError(NetError):
    """A peer sent something the protocol does not allow."""


class TransferError(NetError):
    """A file transfer failed or its result did not verify."""


class TransferCancelled(TransferError):
    """The download was cancelled with ``shutdown()`` (what was kept is said in the message)."""


class LocalFileError(InputError, TransferError):
    """A file or folder on this computer that the user named cannot be used (missing, unreadable,
    not a regular file). It is bad input: the CLI exits 2."""


class FileRefused(TransferError):
    """The server answered one file's upload with a refusal (409 name taken, 413 too big...):
    the other files of a batch are still sent."""


class UploadStopped(TransferError):
    """The upload was stopped (SIGINT/SIGTERM, Cancel); an interrupted upload stays resumable."""

    def __init__(self, message: str | None = None):
        super().__init__(
            _("the upload was stopped; sending it again continues it")
            if message is None
            else message
        )


class UploadRefused(NetError):
    """An upload cannot be stored; ``status`` is the HTTP status that says why (409, 413, 400...);
    ``offset`` the bytes the server holds when a resumed upload named the wrong offset."""

    def __init__(self, status: int, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.offset = offset


def describe_os_error(
    exc: OSError, sentences: Mapping[int, str], fallback: str, **names: object
) -> str:
    """Turn ``exc`` into a sentence: the one ``sentences`` holds for its errno (any TimeoutError
    counts as ETIMEDOUT), else ``fallback``, formatted with ``names`` and ``system_words`` (the
    system's own words for it). The sentences are msgids (marked with N_) and are translated here.
    """
    code = errno.ETIMEDOUT if isinstance(exc, TimeoutError) else exc.errno
    sentence = sentences.get(code, fallback) if code is not None else fallback
    return _(sentence).format(system_words=system_words(exc), **names)


# What binding, connecting (or sending a datagram) and using a connection say, by errno.
_BIND_SENTENCES = {
    errno.EADDRINUSE: N_("port {port} is already in use by another program ({where})"),
    errno.EADDRNOTAVAIL: N_(
        "{host} is not an address of this computer, so nothing can listen on it"
    ),
    errno.EAFNOSUPPORT: N_("this computer does not support the address family of {host}"),
}
_CONNECT_SENTENCES = {
    errno.ETIMEDOUT: N_("no answer from {where} before the time limit"),
    errno.ECONNREFUSED: N_("connection refused by {where}: nothing is listening on that port"),
    errno.ENETUNREACH: N_("{host} cannot be reached from this computer (no route to it)"),
    errno.EHOSTUNREACH: N_("{host} cannot be reached from this computer (no route to it)"),
    errno.ECONNRESET: N_("{where} reset the connection"),
    errno.EADDRNOTAVAIL: N_("cannot reach {where} from here (address not available)"),
    errno.EACCES: N_("permission denied to send to {where} (broadcast needs the broadcast option)"),
    errno.EMSGSIZE: N_("the message is too large to send to {where} in one datagram"),
}
_IO_SENTENCES = {
    errno.ETIMEDOUT: N_("{peer} stopped answering (timed out)"),
    errno.ECONNRESET: N_("{peer} reset the connection"),
    errno.EPIPE: N_("{peer} closed the connection"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EFBIG: N_("the file is larger than this system allows"),
}


def describe_bind_error(exc: OSError, host: str, port: int) -> str:
    """Say why binding ``host:port`` failed, in a user's words."""
    where = _join(host, port)
    if exc.errno in (errno.EACCES, errno.EPERM):
        if 0 < port < 1024:
            return _(
                "permission denied to use port {port}: ports below 1024 need "
                "administrator rights; pick a port from 1024 to 65535"
            ).format(port=port)
        return _("permission denied to bind {where}").format(where=where)
    return describe_os_error(
        exc,
        _BIND_SENTENCES,
        N_("cannot listen on {where}: {system_words}"),
        where=where,
        host=host,
        port=port,
    )


def describe_connect_error(exc: OSError, host: str, port: int) -> str:
    """Say why connecting to (or sending to) ``host:port`` failed, in a user's words."""
    return describe_os_error(
        exc,
        _CONNECT_SENTENCES,
        N_("cannot reach {where}: {system_words}"),
        where=_join(host, port),
        host=host,
    )


def describe_io_error(exc: OSError, peer: str) -> str:
    """Say why reading from or writing to an established connection with ``peer`` failed."""
    return describe_os_error(
        exc, _IO_SENTENCES, N_("connection with {peer} failed: {system_words}"), peer=peer
    )


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_stream_error(exc: OSError, peer: str, *, receiving: bool = True) -> str:
    """Say why reading from or writing to a connection with ``peer`` failed, inside TLS too.

    A TLS connection that ended without close_notify is a cut (RFC 8446 section 6.1): what the
    peer sent may be incomplete, so a receiver never describes it as an orderly end. A sender
    (``receiving`` False: a server sending a body) only learns that the peer left.
    """
    ssl = sys.modules.get("ssl")
    if ssl is None:  # nothing imported ssl, so no TLS connection exists and exc is not its error
        return describe_io_error(exc, peer)
    if not receiving and isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return _("{peer} closed the connection").format(peer=peer)
    if isinstance(exc, ssl.SSLEOFError):
        return _(
            "{peer} cut the connection without closing TLS (no close_notify): what "
            "it sent may be incomplete"
        ).format(peer=peer)
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLSyscallError):
        reason = getattr(exc, "reason", None)
        if reason:
            detail = reason_words(str(reason))
        else:  # "TLS/SSL connection has been closed (EOF) (_ssl.c:2427)": drop the source line
            detail = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(exc.strerror or exc))
        return _("the TLS connection with {peer} failed: {detail}").format(peer=peer, detail=detail)
    return describe_io_error(exc, peer)


def reason_words(reason: str) -> str:
    """OpenSSL's reason code in words: "WRONG_VERSION_NUMBER" -> "wrong version number"."""
    return reason.replace("_", " ").lower()


def system_words(exc: OSError) -> str:
    """The system's own words for ``exc`` ("no such device"), to end a sentence with."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]
