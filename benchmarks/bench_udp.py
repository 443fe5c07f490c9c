"""Issue 8, row 4: how many of a flood of UDP datagrams each receiver captures.

Senders: packetsender (``-u -A --num N --rate 0``) and a plain Python sendto loop. Receivers, taking
turns on the same flood: ``swb udp-listen --quiet`` (its summary line gives the count), a plain
Python recvfrom loop (SO_RCVBUF 4 MiB, the peer), and the GUI's receive panel (offscreen, via the
bench_gui driver). Reported: the fraction captured and ours / the plain loop.

    python benchmarks/bench_udp.py [--quick] [--no-gui]
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from _common import (
    DATAGRAM,
    LOOPBACK,
    PYTHON,
    Row,
    alternate,
    blast_udp,
    format_table,
    median,
    not_measured,
    process,
    read_line_with,
    run_checked,
    say,
)

CAPTURE_TARGET = 0.99
RATIO_TARGET = 0.95
#: After the sender is done, how long a receiver gets to drain its socket buffer.
SETTLE = 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    count: int
    rounds: int


FULL = Plan(count=100_000, rounds=3)
QUICK = Plan(count=20_000, rounds=3)

PLAIN_RECEIVER = """\
import signal, socket, sys
stop = False
def on_term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
limit = int(sys.argv[1])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
sock.bind(("127.0.0.1", 0))
sock.settimeout(0.2)
print("listening on", sock.getsockname()[1], flush=True)
recvfrom = sock.recvfrom
count = 0
while not stop and count < limit:
    try:
        recvfrom(65535)
        count += 1
    except TimeoutError:
        pass
print(count, "datagrams", flush=True)
"""

Sender = Callable[[int, int], int]


def send_packetsender(port: int, count: int) -> int:
    """packetsender's "intense traffic" mode, as fast as it goes; how many it says it sent."""
    out = run_checked(
        [
            "packetsender",
            "-q",
            "-u",
            "-A",
            "--num",
            str(count),
            "--rate",
            "0",
            LOOPBACK,
            str(port),
            DATAGRAM.decode(),
        ],
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen"},
    )
    match = re.search(r"Sent (\d+) packets", out)
    return int(match.group(1)) if match else count


SENDERS: dict[str, Sender] = {"packetsender": send_packetsender, "python sendto": blast_udp}


def capture(receiver: list[str], marker_stream: str, count: int, sender: Sender) -> float:
    """Start a receiver, flood it, stop it; the fraction of the sent datagrams it counted.

    The receiver prints "listening on ...:PORT" when bound and "N datagrams" when it ends (at N =
    count, or on SIGTERM after the sender finished and SETTLE passed).
    """
    with process(receiver, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        line = read_line_with(proc, "listening on", 15, stream=marker_stream)
        port = int(re.findall(r"(\d+)", line)[-1])
        sent = sender(port, count)
        try:
            proc.wait(SETTLE)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
        summary = read_line_with(proc, "datagram", 30, stream=marker_stream)
    received = int(summary.split()[0])
    return received / sent


def swb_receiver(count: int) -> list[str]:
    # --timeout only bounds a run that goes wrong; the run ends at --count or on SIGTERM.
    return [
        PYTHON,
        "-m",
        "net",
        "udp-listen",
        "0",
        "-H",
        LOOPBACK,
        "--quiet",
        "--count",
        str(count),
        "--timeout",
        "120",
    ]


def gui_capture(count: int, sender: Sender) -> float:
    from bench_gui import udp_capture

    sent, counted = udp_capture(count, sender)
    return counted / sent


def run(quick: bool = False, gui: bool = True) -> list[Row]:
    plan = QUICK if quick else FULL
    rows: list[Row] = []
    senders = dict(SENDERS)
    if shutil.which("packetsender") is None:
        rows.append(not_measured("4. UDP capture, packetsender", "packetsender is not installed"))
        del senders["packetsender"]
    target = f">= {CAPTURE_TARGET:.0%} and >= {RATIO_TARGET}x plain loop"
    for sender_name, sender in senders.items():
        trials: dict[str, Callable[[], float]] = {
            "swb udp-listen": functools.partial(
                capture, swb_receiver(plan.count), "stderr", plan.count, sender
            ),
            "plain loop": functools.partial(
                capture,
                [PYTHON, "-c", PLAIN_RECEIVER, str(plan.count)],
                "stdout",
                plan.count,
                sender,
            ),
        }
        if gui:
            trials["GUI receive panel"] = functools.partial(gui_capture, plan.count, sender)
        say(f"udp: {plan.count:,} datagrams from {sender_name}, x{plan.rounds}")
        results = alternate(trials, plan.rounds, log=say, show="{:.2%}".format)
        plain = median(results["plain loop"])
        for name, values in results.items():
            if name == "plain loop":
                continue
            fraction = median(values)
            ratio = fraction / plain if plain else None
            rows.append(
                Row(
                    f"4. UDP capture, {plan.count:,} from {sender_name}: {name}",
                    f"{fraction:.1%}",
                    f"plain loop {plain:.1%}",
                    ratio,
                    target,
                    fraction >= CAPTURE_TARGET and ratio is not None and ratio >= RATIO_TARGET,
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--no-gui", action="store_true", help="leave out the receive panel")
    args = parser.parse_args(argv)
    started = time.monotonic()
    print(format_table(run(quick=args.quick, gui=not args.no_gui)))
    say(f"udp: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
