"""Conversation scripts: a TOML file of send / expect / delay steps run against a TCP, UDP or TLS
peer, with captures, variables and round-trip times (issue 18), and scripts or mock rules made
from a recorded conversation.

This module is the public face; the work is done beside it: reading and checking a script in
net._script_parse, running it in net._script_run, recordings and mock rules in net._script_records.

The file (read with the standard library's ``tomllib``)::

    [connection]
    protocol = "tcp"        # tcp | udp | tls (tls: insecure / fingerprint / cafile)
    host = "127.0.0.1"
    port = 5020
    encoding = "utf-8"      # for text steps
    repeat = 1              # run the step list this many times
    connect_timeout = 10.0  # seconds

    [[step]]
    send = "PING {{counter}}\\r\\n"   # escapes and net.variables; or send_hex = "01 03 00 00"
    checksum = "crc16-modbus"         # optional, appended to the send

    [[step]]
    expect = 'PONG (?P<seq>\\d+)'     # regex searched in the decoded text; or expect_hex (?? = any)
    timeout = 2.0                     # seconds (default 5)
    capture = true                    # named groups become variables: {{seq}}

    [[step]]
    delay = 0.25                      # seconds

``{{counter}}`` is the round number (1 for the first run of the step list); ``{{NAME}}`` is a
``--var`` value or a capture of an earlier step, as bytes in sends and as literal text in expects.
Over TCP and TLS an expectation reads the stream until the pattern matches (the bytes up to the end
of the match are used up; what follows stays for the next expect); over UDP each datagram is tried
on its own. An expectation keeps the last :data:`MAX_EXPECT_BUFFER` bytes that arrived and gives
its regex :data:`net.rules.MATCH_BUDGET` seconds per try.
"""

from __future__ import annotations

from net._script_parse import (
    MAX_EXPECT_BUFFER,
    MAX_KEPT_RESULTS,
    RunResult,
    Script,
    load_script,
    parse_script,
)
from net._script_records import (
    Record,
    mock_rules,
    records_from_script,
    rules_from_records,
    script_from_records,
)
from net._script_run import ScriptRunner, junit_xml
from net._script_step import Step
from net.errors import ScriptError
from net.events import StepResult

__all__ = [
    "MAX_EXPECT_BUFFER",
    "MAX_KEPT_RESULTS",
    "Record",
    "RunResult",
    "Script",
    "ScriptError",
    "ScriptRunner",
    "Step",
    "StepResult",
    "junit_xml",
    "load_script",
    "mock_rules",
    "parse_script",
    "records_from_script",
    "rules_from_records",
    "script_from_records",
]
