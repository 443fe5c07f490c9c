"""Issue 8, row 8: sending a big file over TCP, and iperf3 as the loopback's physical limit.

One listener for everyone: ``nc -l 127.0.0.1 PORT > /dev/null``, which exits at the end of the
stream. Senders, taking turns: ``nc -N`` (the peer), net.tcp.TcpClient.send_file in a plain Python
process (no GUI: the engine alone), and the GUI's TCP client panel (offscreen, via the bench_gui
driver). Each is already connected (nc: connects as it starts) when the clock starts; the clock
stops when the listener has read everything and exited.

    python benchmarks/bench_tcp.py [--quick] [--no-gui]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    format_table,
    free_port,
    make_random_file,
    median,
    not_measured,
    process,
    read_line_with,
    run_checked,
    say,
    wait_for_listener,
)

RATIO_TARGET = 0.9


@dataclass(frozen=True, slots=True)
class Plan:
    size: int
    rounds: int
    iperf_seconds: int


FULL = Plan(size=1024 * MIB, rounds=3, iperf_seconds=3)
QUICK = Plan(size=128 * MIB, rounds=3, iperf_seconds=1)

HEADLESS_SENDER = """\
import sys, threading
from net.events import Connected, FileSent
from net.tcp import TcpClient

port, path = int(sys.argv[1]), sys.argv[2]
connected = threading.Event()

def on_event(event):
    if isinstance(event, Connected):
        connected.set()
    elif isinstance(event, FileSent):
        client.shutdown()

client = TcpClient("127.0.0.1", port, on_event=on_event)
with client:
    thread = threading.Thread(target=client.run)
    thread.start()
    if connected.wait(10):
        print("connected", flush=True)
        sys.stdin.readline()
        client.send_file(path)
    else:
        client.shutdown()
    thread.join()
print("done", client.bytes_out, flush=True)
"""


@contextlib.contextmanager
def nc_listener() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``nc -l 127.0.0.1 PORT > /dev/null``: reads one connection to its end, then exits."""
    port = free_port()
    args = ["nc", "-l", LOOPBACK, str(port)]
    with process(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) as listener:
        wait_for_listener(port)
        yield port, listener


def until_listener_exits(listener: subprocess.Popen[bytes], started: float) -> float:
    listener.wait(600)
    return time.perf_counter() - started


def send_nc(path: Path) -> float:
    with nc_listener() as (port, listener), open(path, "rb") as source:
        started = time.perf_counter()
        sender = subprocess.Popen(["nc", "-N", LOOPBACK, str(port)], stdin=source)
        seconds = until_listener_exits(listener, started)
        sender.wait(30)
    return seconds


def send_headless(path: Path) -> float:
    with nc_listener() as (port, listener):
        args = [PYTHON, "-c", HEADLESS_SENDER, str(port), str(path)]
        with process(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as sender:
            read_line_with(sender, "connected", 15)
            assert sender.stdin is not None
            started = time.perf_counter()
            sender.stdin.write(b"go\n")
            sender.stdin.flush()
            seconds = until_listener_exits(listener, started)
            sender.wait(30)
    return seconds


def send_gui(path: Path, stalls: list[float]) -> float:
    from bench_gui import GuiDriver

    with nc_listener() as (port, listener), GuiDriver() as gui:
        gui.command(f"tcp-connect {port}", "connected")
        gui.command("mark", "marked")
        started = time.perf_counter()
        gui.send(f"send-file {path}")
        seconds = until_listener_exits(listener, started)
        result = gui.expect("finished", 60)
    stalls.append(float(result["stall_ms"]))
    if int(result["bytes_out"]) != path.stat().st_size:
        raise RuntimeError(f"the panel sent {result['bytes_out']} of {path.stat().st_size} bytes")
    return seconds


def iperf3(seconds: int) -> float:
    """iperf3's receiver-side throughput on loopback, bytes per second."""
    port = free_port()
    server = ["iperf3", "-s", "-1", "-B", LOOPBACK, "-p", str(port)]
    with process(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        wait_for_listener(port)
        client = ["iperf3", "-c", LOOPBACK, "-p", str(port), "-t", str(seconds), "-J"]
        report = json.loads(run_checked(client, timeout=seconds + 30))
    return float(report["end"]["sum_received"]["bits_per_second"]) / 8


def run(quick: bool = False, gui: bool = True) -> list[Row]:
    plan = QUICK if quick else FULL
    size_text = "1 GiB" if plan.size == 1024 * MIB else f"{plan.size // MIB} MiB"
    rows: list[Row] = []
    if shutil.which("nc") is None:
        return [not_measured("8. TCP file send", "nc is not installed")]
    with big_temp_dir("tcp") as folder:
        path = folder / "payload.bin"
        say(f"tcp: writing a {size_text} file")
        make_random_file(path, plan.size)
        stalls: list[float] = []
        trials: dict[str, Callable[[], float]] = {
            "nc": functools.partial(send_nc, path),
            "headless": functools.partial(send_headless, path),
        }
        if gui:
            trials["gui"] = functools.partial(send_gui, path, stalls)
        if shutil.which("iperf3"):
            trials["iperf3"] = lambda: plan.size / iperf3(plan.iperf_seconds)
        say(f"tcp: sending {size_text} to nc -l, x{plan.rounds} (iperf3: at its rate)")
        seconds = alternate(trials, plan.rounds, log=say, show="{:.3f} s".format)
    rate = {name: plan.size / median(values) for name, values in seconds.items()}
    target = f">= {RATIO_TARGET}x nc"
    if gui:
        ratio = rate["gui"] / rate["nc"]
        rows.append(
            Row(
                f"8. TCP send {size_text}: TCP client panel",
                fmt_mib_s(rate["gui"]),
                f"nc -N {fmt_mib_s(rate['nc'])}",
                ratio,
                target,
                ratio >= RATIO_TARGET,
                note=f"GUI stall max {median(stalls):.0f} ms",
            )
        )
    ratio = rate["headless"] / rate["nc"]
    rows.append(
        Row(
            f"8. TCP send {size_text}: TcpClient.send_file, no GUI",
            fmt_mib_s(rate["headless"]),
            f"nc -N {fmt_mib_s(rate['nc'])}",
            ratio,
            target,
            ratio >= RATIO_TARGET,
        )
    )
    if "iperf3" in rate:
        rows.append(
            Row(
                f"TCP loopback limit: iperf3 -t {plan.iperf_seconds} vs nc -N",
                f"nc -N {fmt_mib_s(rate['nc'])}",
                f"iperf3 {fmt_mib_s(rate['iperf3'])}",
                rate["nc"] / rate["iperf3"],
                "reference",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--no-gui", action="store_true", help="leave out the TCP client panel")
    args = parser.parse_args(argv)
    print(format_table(run(quick=args.quick, gui=not args.no_gui)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
