"""Run swb (or a snippet) in a CPython that lacks what CPython lacks on Windows or macOS.

Nothing here runs Windows or macOS, so their branches are proven on Linux by taking away, before
``net`` is imported, what the other system's CPython does not have (design.md, "Platforms"):

- ``win32``: no ``os.sendfile/pread/preadv/pwrite/pwritev``, no xattr calls, no ``O_NONBLOCK`` /
  ``O_NOFOLLOW`` / ``O_CLOEXEC``, no ``statvfs``/``fdatasync``; no ``socket.EAI_ADDRFAMILY``,
  ``SO_REUSEPORT``, ``MSG_DONTWAIT``, ``TCP_USER_TIMEOUT``; ``select()`` is the only selector and
  refuses more than 512 sockets per set (CPython's FD_SETSIZE on Windows); no ``fcntl``,
  ``resource``, ``termios``, ``pwd``, ``grp`` modules; ``signal.SIGBREAK`` exists (as SIGUSR2's
  number, so a test can send "Ctrl+Break" with ``os.kill(pid, signal.SIGUSR2)``) and the POSIX-only
  signals do not; ``sys.platform == "win32"`` for our own code.
- ``darwin``: no xattr calls, no ``fdatasync``, ``posix_fadvise``, ``TCP_USER_TIMEOUT``, epoll;
  ``sys.platform == "darwin"``.

And it adds what they have and Linux lacks:

- ``win32``: the ``errno.WSA*`` numbers of Winsock (``errno.WSAEINVAL == 10022``; zeroconf reads
  it), and a ``msvcrt`` module whose ``locking()`` (all net/tls.py imports from it) locks with
  ``flock`` the way Windows does: per open file, ``LK_LOCK`` trying ten times a second apart.

Each simulated child gets a home folder of its own (``env(home=...)``, else a temporary one
removed at exit), so that the user data folder (``~/Library/Application Support`` on macOS,
``%APPDATA%`` = ``~/AppData/Roaming`` on Windows) is never this machine's.

``sys.platform`` is changed only after the standard-library modules that branch on it at import
time have been imported with the real value (their Windows code would need ``_winapi``), so the
stand-in changes what *our* code decides, not how the stdlib works underneath.

Usage::

    python -m tests.simulate win32 serve -p 0 FILE        # runs `swb serve -p 0 FILE`
    python -m tests.simulate darwin -c "import net; ..."  # runs a snippet

In tests, build the command with :func:`swb_command` / :func:`code_command`.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

PLATFORMS = ("win32", "darwin")

#: CPython on Windows builds select() with FD_SETSIZE 512.
WINDOWS_SELECT_LIMIT = 512

_MISSING: dict[str, dict[str, tuple[str, ...]]] = {
    "win32": {
        "os": (
            "sendfile",
            "pread",
            "preadv",
            "pwrite",
            "pwritev",
            "getxattr",
            "setxattr",
            "listxattr",
            "removexattr",
            "O_NONBLOCK",
            "O_NOFOLLOW",
            "O_CLOEXEC",
            "O_DIRECTORY",
            "O_NOCTTY",
            "statvfs",
            "fstatvfs",
            "fdatasync",
            "posix_fadvise",
            "posix_fallocate",
            "getloadavg",
            "mkfifo",
        ),
        "socket": (
            "EAI_ADDRFAMILY",
            "SO_REUSEPORT",
            "MSG_DONTWAIT",
            "MSG_NOSIGNAL",
            "TCP_USER_TIMEOUT",
            "SO_BINDTODEVICE",
            "TCP_QUICKACK",
            "TCP_CORK",
            "IP_RECVERR",
        ),
        "select": ("epoll", "poll", "devpoll", "kqueue"),
        "signal": (
            "SIGHUP",
            "SIGQUIT",
            "SIGPIPE",
            "SIGALRM",
            "SIGUSR1",
            "SIGUSR2",
            "SIGCHLD",
            "SIGWINCH",
        ),
    },
    "darwin": {
        "os": (
            "getxattr",
            "setxattr",
            "listxattr",
            "removexattr",
            "fdatasync",
            "posix_fadvise",
            "posix_fallocate",
        ),
        "socket": ("TCP_USER_TIMEOUT", "SO_BINDTODEVICE", "TCP_QUICKACK", "TCP_CORK"),
        "select": ("epoll", "devpoll"),
        "signal": (),
    },
}

#: Winsock's error numbers, which CPython's errno has on Windows only (winsock2.h).
WSA_ERRNOS = {
    "WSAEINTR": 10004,
    "WSAEBADF": 10009,
    "WSAEACCES": 10013,
    "WSAEFAULT": 10014,
    "WSAEINVAL": 10022,
    "WSAEMFILE": 10024,
    "WSAEWOULDBLOCK": 10035,
    "WSAEINPROGRESS": 10036,
    "WSAEALREADY": 10037,
    "WSAENOTSOCK": 10038,
    "WSAEDESTADDRREQ": 10039,
    "WSAEMSGSIZE": 10040,
    "WSAEPROTOTYPE": 10041,
    "WSAENOPROTOOPT": 10042,
    "WSAEPROTONOSUPPORT": 10043,
    "WSAESOCKTNOSUPPORT": 10044,
    "WSAEOPNOTSUPP": 10045,
    "WSAEPFNOSUPPORT": 10046,
    "WSAEAFNOSUPPORT": 10047,
    "WSAEADDRINUSE": 10048,
    "WSAEADDRNOTAVAIL": 10049,
    "WSAENETDOWN": 10050,
    "WSAENETUNREACH": 10051,
    "WSAENETRESET": 10052,
    "WSAECONNABORTED": 10053,
    "WSAECONNRESET": 10054,
    "WSAENOBUFS": 10055,
    "WSAEISCONN": 10056,
    "WSAENOTCONN": 10057,
    "WSAESHUTDOWN": 10058,
    "WSAETOOMANYREFS": 10059,
    "WSAETIMEDOUT": 10060,
    "WSAECONNREFUSED": 10061,
    "WSAELOOP": 10062,
    "WSAENAMETOOLONG": 10063,
    "WSAEHOSTDOWN": 10064,
    "WSAEHOSTUNREACH": 10065,
    "WSAENOTEMPTY": 10066,
    "WSAEPROCLIM": 10067,
    "WSAEUSERS": 10068,
    "WSAEDQUOT": 10069,
    "WSAESTALE": 10070,
    "WSAEREMOTE": 10071,
    "WSASYSNOTREADY": 10091,
    "WSAVERNOTSUPPORTED": 10092,
    "WSANOTINITIALISED": 10093,
    "WSAEDISCON": 10101,
}

#: The environment variable by which :func:`env` names a simulated child's home folder.
HOME_VARIABLE = "SWB_SIMULATED_HOME"

_MISSING_MODULES = {"win32": ("fcntl", "resource", "termios", "pwd", "grp"), "darwin": ()}

# Imported with the real sys.platform before it changes: they pick their implementation at import.
_PRELOAD = (
    "selectors",
    "socket",
    "ssl",
    "subprocess",
    "shutil",
    "tempfile",
    "pathlib",
    "mimetypes",
    "locale",
    "getpass",
    "urllib.parse",
    "email.utils",
    "asyncio",
    "concurrent.futures",
    "platform",
    "uuid",
    "ctypes",
    "ctypes.util",
    "zipfile",
    "hashlib",
    "http.client",
    "psutil",  # picks its backend (Linux, Windows, macOS) from sys.platform
)


def strip(platform: str) -> None:
    """Make this interpreter look like CPython on ``platform``; call before ``net`` is imported."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; choose from {PLATFORMS}")
    if any(name == "net" or name.startswith("net.") for name in sys.modules):
        raise RuntimeError("strip() must run before net is imported")
    import importlib
    import signal

    for name in _PRELOAD:
        importlib.import_module(name)
    import mimetypes

    mimetypes.init()
    _give_home(platform)
    if platform == "win32":
        signal.SIGBREAK = signal.SIGUSR2  # type: ignore[attr-defined]
        signal.Signals.SIGBREAK = signal.SIGUSR2  # type: ignore[attr-defined]
        _add_wsa_errnos()
        sys.modules["msvcrt"] = _msvcrt_like_windows()  # before fcntl goes, which it uses
        os.O_BINARY = 0  # type: ignore[attr-defined]  # Linux's open() has no text mode to turn off
    for module_name, attrs in _MISSING[platform].items():
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        for attr in attrs:
            if hasattr(module, attr):
                delattr(module, attr)
    for module_name in _MISSING_MODULES[platform]:
        sys.modules[module_name] = None  # type: ignore[assignment]
    if platform == "win32":
        _cap_select()
    import select
    import selectors

    # selectors picked DefaultSelector at import from what select had then; pick again.
    chosen: type[selectors.BaseSelector] = selectors.SelectSelector
    if platform != "win32" and hasattr(select, "poll"):
        chosen = selectors.PollSelector
    selectors.DefaultSelector = chosen  # type: ignore[misc,assignment]
    sys.platform = platform


def _give_home(platform: str) -> None:
    """Point the home folder (and on Windows %APPDATA%, %USERPROFILE%) at the simulated one."""
    home = os.environ.get(HOME_VARIABLE)
    if not home:
        import atexit
        import shutil
        import tempfile

        home = tempfile.mkdtemp(prefix=f"swb-{platform}-home-")
        atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["HOME"] = home  # Path.home(): os.path stays posixpath under both stand-ins
    if platform == "win32":
        os.environ["USERPROFILE"] = home
        os.environ["APPDATA"] = str(Path(home, "AppData", "Roaming"))


def _add_wsa_errnos() -> None:
    import errno

    for name, number in WSA_ERRNOS.items():
        setattr(errno, name, number)
        errno.errorcode[number] = name  # type: ignore[index]  # typeshed: a Mapping; a dict


def _msvcrt_like_windows() -> types.ModuleType:
    """A ``msvcrt`` with ``locking()`` and its modes (Windows' values), built on ``flock``.

    As on Windows, a lock belongs to the open file (two descriptors exclude each other, in one
    process too), ``LK_LOCK``/``LK_RLCK`` try ten times a second apart and then raise OSError
    (EDEADLOCK), ``LK_NBLCK``/``LK_NBRLCK`` raise at once (EACCES). Unlike Windows, it locks the
    whole file rather than ``nbytes`` from the current position: net/_tls_server.py locks one byte of a
    lock file, where the two agree.
    """
    import errno
    import fcntl
    import time

    module = types.ModuleType("msvcrt")
    modes = {"LK_UNLCK": 0, "LK_LOCK": 1, "LK_NBLCK": 2, "LK_RLCK": 3, "LK_NBRLCK": 4}
    for name, value in modes.items():
        setattr(module, name, value)

    def locking(fd: int, mode: int, nbytes: int) -> None:
        if mode == modes["LK_UNLCK"]:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return
        tries = 10 if mode in (modes["LK_LOCK"], modes["LK_RLCK"]) else 1
        for attempt in range(tries):
            if attempt:
                time.sleep(1.0)  # what the C runtime does between tries
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        code = errno.EDEADLOCK if tries > 1 else errno.EACCES
        raise OSError(code, os.strerror(code))

    module.locking = locking  # type: ignore[attr-defined]
    return module


def _cap_select() -> None:
    import select

    real = select.select

    def select_like_windows(rlist, wlist, xlist, timeout=None):  # type: ignore[no-untyped-def]
        for fds in (rlist, wlist, xlist):
            if len(fds) > WINDOWS_SELECT_LIMIT:
                raise ValueError("too many file descriptors in select()")
        return real(rlist, wlist, xlist, timeout)

    select.select = select_like_windows


def _root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def env(*, home: str | os.PathLike[str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a simulated child: this checkout first on the import path; ``home``
    its home folder (default: a temporary one of its own, removed when it exits)."""
    result = dict(os.environ)
    result["PYTHONPATH"] = os.pathsep.join(filter(None, [_root(), result.get("PYTHONPATH")]))
    if home is not None:
        result[HOME_VARIABLE] = os.fspath(home)
    result.update(extra)
    return result


def swb_command(platform: str, *args: str) -> list[str]:
    """The argv that runs ``swb ARGS`` as on ``platform``; start it with ``env=simulate.env()``."""
    return [sys.executable, "-m", "tests.simulate", platform, "--", *args]


def code_command(platform: str, code: str) -> list[str]:
    """The argv that runs the snippet ``code`` as on ``platform`` (``env=simulate.env()``)."""
    return [sys.executable, "-m", "tests.simulate", platform, "-c", code]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in PLATFORMS:
        print(__doc__, file=sys.stderr)
        return 2
    platform, rest = argv[0], argv[1:]
    strip(platform)
    if rest[0] == "-c":
        code = rest[1]
        sys.argv = ["-c", *rest[2:]]
        exec(compile(code, "<simulated>", "exec"), {"__name__": "__main__"})
        return 0
    if rest[0] == "--":
        rest = rest[1:]
    from net.cli import main as swb_main

    sys.argv = ["swb", *rest]
    return swb_main(rest)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
