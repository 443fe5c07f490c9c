"""tests/simulate.py adds what Windows' and macOS' CPython have and Linux lacks: the Winsock
error numbers, ``msvcrt.locking``, and a home folder of the simulated machine's own, so that the
user data folder is never this machine's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import simulate
from tests.conftest import WAIT


def run_simulated(platform: str, code: str, *, home: Path | None = None) -> str:
    """Run ``code`` as on ``platform``; its stdout (the child must succeed)."""
    env = simulate.env(home=home)
    env.pop("SWB_DATA_DIR", None)  # the platform's own folder is what is tested here
    done = subprocess.run(
        simulate.code_command(platform, code),
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


ERRNOS = """
import errno, json
names = ["WSAEINVAL", "WSAEWOULDBLOCK", "WSAECONNRESET", "WSAEMSGSIZE", "WSAEADDRINUSE"]
print(json.dumps({n: [getattr(errno, n, None), errno.errorcode.get(getattr(errno, n, -1))]
                  for n in names}))
"""


def test_windows_has_the_winsock_errnos_and_macos_does_not() -> None:
    assert json.loads(run_simulated("win32", ERRNOS)) == {
        "WSAEINVAL": [10022, "WSAEINVAL"],
        "WSAEWOULDBLOCK": [10035, "WSAEWOULDBLOCK"],
        "WSAECONNRESET": [10054, "WSAECONNRESET"],
        "WSAEMSGSIZE": [10040, "WSAEMSGSIZE"],
        "WSAEADDRINUSE": [10048, "WSAEADDRINUSE"],
    }
    assert list(json.loads(run_simulated("darwin", ERRNOS)).values()) == [[None, None]] * 5


LOCKING = """
import errno, msvcrt, os, sys, threading
path = sys.argv[1]
first = os.open(path, os.O_RDWR | os.O_CREAT)
second = os.open(path, os.O_RDWR)
msvcrt.locking(first, msvcrt.LK_LOCK, 1)
try:
    msvcrt.locking(second, msvcrt.LK_NBLCK, 1)
except OSError as exc:
    print("refused", errno.errorcode[exc.errno])
box = []
def other_thread():  # a lock is the open file's: another thread of this process waits too
    try:
        msvcrt.locking(second, msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        box.append(errno.errorcode[exc.errno])
t = threading.Thread(target=other_thread)
t.start()
t.join()
print("thread", box)
msvcrt.locking(first, msvcrt.LK_UNLCK, 1)
msvcrt.locking(second, msvcrt.LK_LOCK, 1)
print("taken after unlock")
print(msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK, msvcrt.LK_RLCK, msvcrt.LK_NBRLCK)
"""


def test_msvcrt_locking_excludes_another_open_file_as_on_windows(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    code = LOCKING.replace("sys.argv[1]", repr(str(lock)))
    assert run_simulated("win32", code).splitlines() == [
        "refused EACCES",
        "thread ['EACCES']",
        "taken after unlock",
        "0 1 2 3 4",
    ]


def test_msvcrt_is_there_on_windows_only() -> None:
    probe = "import sys\ntry:\n    import msvcrt\n    print(True)\nexcept ImportError:\n    print(False)"
    assert run_simulated("win32", probe) == "True\n"
    assert run_simulated("darwin", probe) == "False\n"


DATA_DIR = """
from net.tls import default_server_certificate, user_data_dir
print(user_data_dir())
print(default_server_certificate().cert_path)
"""


@pytest.mark.parametrize(
    ("platform", "where"),
    [
        ("win32", ("AppData", "Roaming", "Socket Workbench")),
        ("darwin", ("Library", "Application Support", "Socket Workbench")),
    ],
)
def test_the_user_data_folder_is_the_simulated_homes(
    platform: str, where: tuple[str, ...], tmp_path: Path
) -> None:
    """The certificate a TLS server makes on first use lands in the simulated home (under the
    Windows lock, msvcrt's), not in this machine's ~/Library or ~/AppData."""
    folder, cert = run_simulated(platform, DATA_DIR, home=tmp_path).splitlines()
    assert Path(folder) == tmp_path.joinpath(*where)
    assert Path(cert) == tmp_path.joinpath(*where, "tls", "server.pem")
    assert Path(cert).read_text(encoding="ascii").startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_without_a_home_given_each_child_gets_a_temporary_one(platform: str) -> None:
    code = "import os, sys; print(os.path.expanduser('~')); print(os.environ.get('APPDATA'))"
    home, appdata = run_simulated(platform, code).splitlines()
    assert Path(home).name.startswith(f"swb-{platform}-home-")
    assert not Path(home).exists()  # removed when the child exited
    assert appdata == (str(Path(home, "AppData", "Roaming")) if platform == "win32" else "None")
