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
    if platform == "win32":
        signal.SIGBREAK = signal.SIGUSR2  # type: ignore[attr-defined]
        signal.Signals.SIGBREAK = signal.SIGUSR2  # type: ignore[attr-defined]
    for module_name, attrs in _MISSING[platform].items():
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        for attr in attrs:
            if hasattr(module, attr):
                delattr(module, attr)
    for module_name in _MISSING_MODULES[platform]:
        sys.modules[module_name] = None  # type: ignore[assignment]
    if platform == "win32":
        _cap_select()
    import selectors

    # selectors picked DefaultSelector at import from what select had then; pick again.
    if platform == "win32":
        selectors.DefaultSelector = selectors.SelectSelector  # type: ignore[misc]
    else:
        selectors.DefaultSelector = (  # type: ignore[misc]
            selectors.PollSelector
            if hasattr(selectors.select, "poll")
            else selectors.SelectSelector
        )
    sys.platform = platform


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


def env(**extra: str) -> dict[str, str]:
    """The environment for a simulated child: this checkout first on the import path."""
    result = dict(os.environ)
    result["PYTHONPATH"] = os.pathsep.join(filter(None, [_root(), result.get("PYTHONPATH")]))
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
