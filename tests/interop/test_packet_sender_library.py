"""Packet Sender's own saved packets against ours: the same packet, sent by `packetsender -n NAME`
from its packets.ini and by `swb send NAME` after importing its JSON export, puts the same bytes
on the wire."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WAIT
from tests.net.test_packets import export, packet_sender_item

pytestmark = pytest.mark.interop

SWB = [sys.executable, "-m", "net"]

PAYLOADS = [
    b"\x02WAKE\r\n\x00\xff",
    "温度?".encode("gbk"),
    bytes(range(256)),
    b"{{counter}} stays literal",
]


def packets_ini(name: str, port: int, payload: bytes) -> str:
    """A packets.ini as Packet Sender keeps it (QSettings INI: a NAMES array, a group per packet)."""
    return (
        f"[NAMES]\n1\\name={name}\nsize=1\n\n[{name}]\nname={name}\ntoIP=127.0.0.1\n"
        f"port={port}\ntcpOrUdp=UDP\nhexString={payload.hex(' ').upper()}\nfromPort=0\nrepeat=0\n"
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=["binary", "gbk", "all-bytes", "braces"])
def test_packetsender_and_swb_send_the_same_saved_packet(tmp_path: Path, payload: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(WAIT)
        port = listener.getsockname()[1]

        # Packet Sender reads packets.ini from its working folder first (its portable mode).
        (tmp_path / "packets.ini").write_text(packets_ini("Wake", port, payload))
        home = tmp_path / "home"
        env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"))
        # No check=True: packetsender 8 exits with the number of bytes it sent (mod 256).
        subprocess.run(
            ["packetsender", "-q", "-n", "Wake"],
            cwd=tmp_path,
            env=env,
            timeout=WAIT,
            capture_output=True,
        )
        theirs = listener.recv(65535)

        (tmp_path / "export.json").write_bytes(
            export(packet_sender_item("Wake", payload, port=str(port)))
        )
        library = str(tmp_path / "lib.json")
        for command in (["packets", "import", str(tmp_path / "export.json")], ["send", "Wake"]):
            result = subprocess.run(
                [*SWB, *command, "--library", library],
                capture_output=True,
                text=True,
                timeout=WAIT,
            )
            assert result.returncode == 0, result.stderr
        ours = listener.recv(65535)
    assert theirs == payload
    assert ours == theirs
