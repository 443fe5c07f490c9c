"""`swb run SCRIPT.toml` as a real process against device simulators: exit codes 0/1/2, one line
per step, --json, and --junit parsed back with xml.etree."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from net.script import Record, script_from_records
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_cli_sockets import SWB, listener, swb
from tests.net.test_script import (
    closed_port,
    conversation,
    good_device,
    tcp_device,
    udp_device,
    wrong_device,
)


def write(tmp_path: Path, text: str, name: str = "device.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_run_passes_prints_a_line_per_step_and_writes_junit(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    with tcp_device(good_device) as device:
        script = write(tmp_path, conversation(device.port, repeat=2))
        result = swb("run", script, "--junit", str(junit))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10
    assert re.fullmatch(
        r"round 1 step 1  send  +8 bytes  elapsed \d+\.\d{3} ms  'PING 1\\r\\n'", lines[0]
    )
    assert re.fullmatch(
        r"round 1 step 2  expect +6 bytes  elapsed \d+\.\d{3} ms  rtt \d+\.\d{3} ms  'PONG 1'",
        lines[1],
    )
    assert lines[5].startswith("round 2 step 1  send")
    assert result.stderr.startswith("4 of 4 expectations matched, 10 steps in ")
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (
        "device.toml",
        "4",
        "0",
    )
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names[0] == "round 1 step 2: expect 'PONG (?P<seq>\\\\d+)'"
    assert not list(suite.iter("failure"))


def test_run_against_a_wrong_device_exits_1_naming_the_step(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    with tcp_device(wrong_device) as device:
        source = conversation(device.port).replace("timeout = 3", "timeout = 0.3", 1)
        result = swb("run", write(tmp_path, source), "--junit", str(junit))
    assert result.returncode == 1
    assert result.stderr == (
        "swb: step 2 (line 12) expect 'PONG (?P<seq>\\\\d+)': no match within 0.3 s; "
        "what arrived instead: 'ERR busy\\r\\n'\n"
    )
    assert result.stdout.splitlines()[1].startswith("step 2  expect  FAILED  elapsed ")
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = next(suite.iter("failure"))
    assert "no match within 0.3 s" in (failure.get("message") or "")
    assert (failure.text or "").rstrip() == "ERR busy"  # XML reads CR LF back as LF


def test_run_json_and_udp(tmp_path: Path) -> None:
    with udp_device(good_device) as port:
        result = swb("run", write(tmp_path, conversation(port, "udp")), "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in records] == ["send", "expect", "send", "expect", "delay"]
    assert records[1]["captures"] == {"seq": "1"} and records[1]["text"] == "PONG 1"
    assert records[1]["rtt_ms"] >= 0 and "rtt_ms" not in records[0]
    assert records[2]["text"] == "SET last 1\n"


@pytest.mark.posix_only  # a umask / a SIGINT sent to a child
def test_junit_report_has_the_permissions_of_a_new_file(tmp_path: Path) -> None:
    """CI systems often collect the report as another user: it is 0666 less the umask (0644
    here), not the 0600 of a temporary file, and no temporary file is left beside it."""
    junit = tmp_path / "report.xml"
    with tcp_device(good_device) as device:
        script = write(tmp_path, conversation(device.port))
        result = subprocess.run(
            [
                "sh",
                "-c",
                'umask 022 && exec "$@"',
                "sh",
                *SWB,
                "run",
                script,
                "--junit",
                str(junit),
            ],
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(junit.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["device.toml", "report.xml"]


def test_run_network_failure_exits_1_and_junit_has_an_error(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    result = swb("run", write(tmp_path, conversation(closed_port())), "--junit", str(junit))
    assert result.returncode == 1
    assert result.stderr.startswith("swb: ") and "refused" in result.stderr
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1"


def test_run_bad_script_exits_2_with_the_line(tmp_path: Path) -> None:
    result = swb("run", write(tmp_path, '[connection]\nhost = "h"\nport = = 5\n'))
    assert result.returncode == 2
    assert result.stderr.startswith("swb: device.toml: ")
    assert result.stderr.endswith("(at line 3, column 8)\n")
    assert result.stdout == ""
    bad_step = '[connection]\nhost = "h"\nport = 5\n\n[[step]]\nexpect = "(("\n'
    result = swb("run", write(tmp_path, bad_step))
    assert result.returncode == 2
    assert result.stderr.startswith("swb: device.toml line 5 (step 1): the expect '((' ")


def test_run_bad_options_exit_2(tmp_path: Path) -> None:
    script = write(tmp_path, conversation(9))
    for args, sentence in [
        (["--var", "novalue"], "must look like NAME=VALUE"),
        (["--var", "bad name=1"], "variable name 'bad name'"),
    ]:
        result = swb("run", script, *args)
        assert (result.returncode, result.stdout) == (2, "")
        assert sentence in result.stderr and len(result.stderr.splitlines()) == 1
    result = swb("run", str(tmp_path / "missing.toml"))
    assert result.returncode == 2 and "cannot read the script" in result.stderr


def test_run_unwritable_junit_is_refused_before_any_step(tmp_path: Path) -> None:
    """A --junit path that cannot be written is bad input: refused before the conversation runs
    (issue 18: bad input never starts anything), not after a whole run against the device."""
    with tcp_device(good_device) as device:
        script = write(tmp_path, conversation(device.port))
        for report, why in [
            (tmp_path / "no" / "report.xml", f"the folder {tmp_path / 'no'} does not exist"),
            (tmp_path, "it is a folder"),
        ]:
            result = swb("run", script, "--junit", str(report))
            assert result.returncode == 2
            assert result.stderr == f"swb: cannot write the JUnit report {report}: {why}\n"
            assert result.stdout == ""  # no step ran


@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_run_as_on_windows_and_macos(tmp_path: Path, platform: str) -> None:
    """The script runner's connect and wait (select() only on Windows) work where CPython lacks
    what Linux has."""
    with tcp_device(good_device) as device:
        script = write(tmp_path, conversation(device.port))
        result = subprocess.run(
            simulate.swb_command(platform, "run", script),
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=simulate.env(),
            timeout=WAIT,
        )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("2 of 2 expectations matched")


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_record_once_then_mock_and_replay(tmp_path: Path, protocol: str) -> None:
    """A conversation recorded once becomes a script; `swb tcp-serve|udp-listen --mock` answers
    like the device did, and `swb run` passes against it."""
    records = [
        Record("sent", b"GET temp\n"),
        Record("received", b"VAL temp=42\n"),
        Record("sent", b"\x01\x03\x00\x00"),
        Record("received", b"\x01\x03\x02\x00\x2a"),
    ]
    command = "tcp-serve" if protocol == "tcp" else "udp-listen"
    framing = ["--framing", "raw"] if protocol == "tcp" else []
    path = tmp_path / "recorded.toml"
    path.write_text(
        script_from_records(records, protocol=protocol, host="127.0.0.1", port=1), encoding="utf-8"
    )
    with listener(command, "0", "-H", "127.0.0.1", *framing, "--mock", str(path)) as proc:
        port = proc.listening_port()
        text = path.read_text(encoding="utf-8").replace("port = 1\n", f"port = {port}\n")
        script = write(tmp_path, text, "replay.toml")
        result = swb("run", script)
        proc.finish()
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("2 of 2 expectations matched")


def test_mock_from_a_script_without_pairs_exits_2(tmp_path: Path) -> None:
    script = write(tmp_path, conversation(5))
    result = swb("tcp-serve", "0", "--mock", script)
    assert result.returncode == 2
    assert result.stderr == (
        "swb: device.toml: no send followed by an exact expect, so no reply to mock\n"
    )
