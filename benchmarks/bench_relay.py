"""Relay benchmarks (issue 19): `swb relay` against socat's relays, in the same run.

    python benchmarks/bench_relay.py [--quick]

1. TCP, no faults: a file (1 GiB; 128 MiB with --quick) from `socat -u -b 262144 OPEN:file TCP:`
   through the relay into a socat sink that writes /dev/null; swb relay vs
   `socat TCP-LISTEN:..,fork,reuseaddr TCP:..` (target >= 0.9x).
2. Added latency: median round trip of a 64-byte message to a socat PIPE echo, through each relay,
   minus the direct one (target < 0.2 ms for swb relay).
3. UDP, no faults: datagrams from a Python sendto loop through the relay into a counting sink:
   datagrams per second forwarded, and the sink's count against what the sender sent; swb relay
   --udp vs `socat UDP-LISTEN:..,reuseaddr UDP:..` (target >= 0.9x); then a quarter as many,
   paced at the rate socat forwarded, through swb relay (target: all arrive).
4. Fault accuracy through `swb relay`: `--delay 100` on a round trip (100 ms +- 10 ms), `--rate
   524288` on 2 MiB (4 s +- 15 %), `--udp --loss 10 --seed 1` on 20,000 datagrams (10 % +- 1.5).
5. The Relay panel (offscreen) while the same file goes through it: the longest gap of a 5 ms
   QTimer probe on the GUI thread (target < 50 ms).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    REPO,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    free_port,
    make_random_file,
    median,
    not_measured,
    process,
    quick_main,
    say,
    wait_for_port,
)

RATIO_TARGET = 0.9
LATENCY_TARGET_MS = 0.2


@dataclass(frozen=True)
class Plan:
    size: int
    rounds: int
    round_trips: int
    datagrams: int


FULL = Plan(size=1024 * MIB, rounds=3, round_trips=2000, datagrams=200_000)
QUICK = Plan(size=128 * MIB, rounds=3, round_trips=500, datagrams=50_000)

SWB = [PYTHON, "-m", "net"]


#: Process ids of the relays running now, by port (for CPU time).
PIDS: dict[int, int] = {}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and of its children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def swb_relay(target: int, *extra: str) -> Iterator[int]:
    """`swb relay` on a free port towards 127.0.0.1:target; yields its port once it listens."""
    port = free_port(socket.SOCK_DGRAM if "--udp" in extra else socket.SOCK_STREAM)
    args = [*SWB, "relay", str(port), LOOPBACK, str(target), "-H", LOOPBACK, "--quiet", *extra]
    with process(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        if not line.startswith("listening on"):
            raise RuntimeError(f"swb relay did not start: {line.strip()}")
        PIDS[port] = proc.pid
        try:
            yield port
        finally:
            del PIDS[port]


@contextlib.contextmanager
def socat(*args: str) -> Iterator[int]:
    """socat with these arguments; yields its process id."""
    with process(["socat", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        yield proc.pid


# -- 1. TCP throughput ---------------------------------------------------------------------------


def send_file(path: Path, port: int) -> float:
    """Seconds `socat -u` takes to push the file into 127.0.0.1:port (and close)."""
    start = time.perf_counter()
    subprocess.run(
        ["socat", "-u", "-b", "262144", f"OPEN:{path}", f"TCP:{LOOPBACK}:{port}"],
        check=True,
        timeout=600,
    )
    return time.perf_counter() - start


def tcp_throughput(plan: Plan) -> list[Row]:
    sink = free_port()
    ours_port = free_port()
    with (
        big_temp_dir("relay", memory=True) as folder,
        socat("-u", f"TCP-LISTEN:{sink},reuseaddr,fork,bind={LOOPBACK}", "OPEN:/dev/null,wronly"),
    ):
        wait_for_port(sink)
        path = folder / "payload.bin"
        make_random_file(path, plan.size)
        socat_port = free_port()
        with (
            swb_relay(sink) as ours_port,
            socat(
                f"TCP-LISTEN:{socat_port},reuseaddr,fork,bind={LOOPBACK}", f"TCP:{LOOPBACK}:{sink}"
            ) as socat_pid,
        ):
            wait_for_port(socat_port)
            size = f"{plan.size // MIB} MiB"
            say(f"relay: {size} through swb relay and through socat, x{plan.rounds}")
            pids = {"swb": PIDS[ours_port], "socat": socat_pid}
            cpu = {"swb": 0.0, "socat": 0.0}

            def timed(name: str, port: int) -> float:
                before = cpu_seconds(pids[name])
                seconds = send_file(path, port)
                if name == "socat":
                    wait_for_port(socat_port)  # the probe lets socat reap the child that served
                cpu[name] += cpu_seconds(pids[name]) - before
                return seconds

            seconds = alternate(
                {
                    "swb": lambda: timed("swb", ours_port),
                    "socat": lambda: timed("socat", socat_port),
                },
                plan.rounds,
                log=say,
                show="{:.3f} s".format,
            )
    rate = {name: plan.size / median(values) for name, values in seconds.items()}
    ratio = rate["swb"] / rate["socat"]
    per_gib = 1024 * MIB / (plan.size * plan.rounds)
    label = "1 GiB" if plan.size == 1024 * MIB else f"{plan.size // MIB} MiB"
    return [
        Row(
            f"9. TCP relay {label}, no faults: swb relay",
            fmt_mib_s(rate["swb"]),
            f"socat fork {fmt_mib_s(rate['socat'])}",
            ratio,
            f">= {RATIO_TARGET}x socat",
            ratio >= RATIO_TARGET,
            note=(
                f"CPU per GiB: swb {cpu['swb'] * per_gib:.2f} s, "
                f"socat {cpu['socat'] * per_gib:.2f} s"
            ),
        )
    ]


# -- 2. latency ------------------------------------------------------------------------------------


def round_trips(port: int, count: int) -> float:
    """Median seconds of a 64-byte round trip to 127.0.0.1:port (an echo), after a warm-up."""
    payload = b"x" * 64
    samples = []
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(count + 50):
            start = time.perf_counter()
            sock.sendall(payload)
            got = 0
            while got < len(payload):
                got += len(sock.recv(65536))
            if index >= 50:
                samples.append(time.perf_counter() - start)
    return median(samples)


def latency(plan: Plan) -> list[Row]:
    echo = free_port()
    with socat(f"TCP-LISTEN:{echo},reuseaddr,fork,bind={LOOPBACK}", "PIPE"):
        wait_for_port(echo)
        socat_port = free_port()
        with (
            swb_relay(echo) as ours,
            socat(
                f"TCP-LISTEN:{socat_port},reuseaddr,fork,bind={LOOPBACK}", f"TCP:{LOOPBACK}:{echo}"
            ),
        ):
            wait_for_port(socat_port)
            say(f"relay: {plan.round_trips} round trips direct, through swb relay and socat")
            results = alternate(
                {
                    "direct": lambda: round_trips(echo, plan.round_trips),
                    "swb": lambda: round_trips(ours, plan.round_trips),
                    "socat": lambda: round_trips(socat_port, plan.round_trips),
                },
                plan.rounds,
                log=say,
                show=lambda s: f"{s * 1e3:.3f} ms",
            )
    direct = median(results["direct"])
    added = {name: median(results[name]) - direct for name in ("swb", "socat")}
    return [
        Row(
            "9. TCP relay added latency (median round trip minus direct)",
            f"{added['swb'] * 1e3:.3f} ms",
            f"socat {added['socat'] * 1e3:.3f} ms",
            None,
            f"< {LATENCY_TARGET_MS} ms",
            added["swb"] * 1e3 < LATENCY_TARGET_MS,
            note=f"direct {direct * 1e3:.3f} ms",
        )
    ]


# -- 3. UDP ----------------------------------------------------------------------------------------

UDP_SINK = textwrap.dedent(
    """\
    import socket, sys, time
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    print("ready", flush=True)
    sock.settimeout(30)
    count, first, last = 0, 0.0, 0.0
    recv = sock.recv
    try:
        recv(65535)
        count, first = 1, time.perf_counter()
        last = first
        sock.settimeout(1.0)
        while True:
            recv(65535)
            count += 1
            last = time.perf_counter()
    except TimeoutError:
        pass
    print(count, last - first, flush=True)
    """
)

UDP_SENDER = textwrap.dedent(
    """\
    import socket, sys, time
    port, count, source = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    pace = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0  # seconds between bursts of 100
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", source))  # the same client every round: socat serves one peer
    address, payload, sent = ("127.0.0.1", port), b"x" * 64, 0
    sendto = sock.sendto
    for n in range(count):
        if pace and n % 100 == 0:
            time.sleep(pace)
        try:
            sendto(payload, address)
            sent += 1
        except OSError:
            pass
    print(sent)
    """
)


def udp_round(
    relay_port: int, sink_port: int, count: int, source: int, pace: float = 0.0
) -> tuple[float, int, int]:
    """(datagrams per second at the sink, received, sent) for one burst through a relay."""
    with process(
        [PYTHON, "-c", UDP_SINK, str(sink_port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as sink:
        assert sink.stdout is not None
        assert sink.stdout.readline().strip() == b"ready"
        sender = subprocess.run(
            [PYTHON, "-c", UDP_SENDER, str(relay_port), str(count), str(source), str(pace)],
            capture_output=True,
            check=True,
            timeout=300,
        )
        received_text, span_text = sink.stdout.readline().split()
    if int(received_text) == 0:
        raise RuntimeError("no datagram came through")
    received, span, sent = int(received_text), float(span_text), int(sender.stdout.split()[-1])
    return (received / span if span > 0 else 0.0), received, sent


def wait_for_udp_bind(port: int, timeout: float = 10.0) -> None:
    """Wait until something has bound UDP 127.0.0.1:port (socat prints no ready line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                return  # taken: the relay is there
        time.sleep(0.02)
    raise RuntimeError(f"nothing bound UDP port {port} within {timeout:g} s")


def udp(plan: Plan) -> list[Row]:
    sink = free_port(socket.SOCK_DGRAM)
    socat_port = free_port(socket.SOCK_DGRAM)
    results: dict[str, list[tuple[float, int, int]]] = {"swb": [], "socat": []}
    sources = {name: free_port(socket.SOCK_DGRAM) for name in results}
    with (
        swb_relay(sink, "--udp") as ours,
        socat(f"UDP-LISTEN:{socat_port},reuseaddr,bind={LOOPBACK}", f"UDP:{LOOPBACK}:{sink}"),
    ):
        wait_for_udp_bind(socat_port)
        say(
            f"relay: {plan.datagrams:,} datagrams through swb relay --udp and socat, x{plan.rounds}"
        )
        for index in range(plan.rounds):
            order = ["swb", "socat"] if index % 2 == 0 else ["socat", "swb"]
            for name in order:
                port = ours if name == "swb" else socat_port
                outcome = udp_round(port, sink, plan.datagrams, sources[name])
                results[name].append(outcome)
                say(
                    f"  round {index + 1}/{plan.rounds} {name}: {outcome[0]:,.0f}/s, "
                    f"{outcome[1]:,} of {outcome[2]:,}"
                )
        # At the rate socat forwards, swb relay should lose nothing: the sender paced to it.
        socat_rate = median([r[0] for r in results["socat"]])
        pace = 100 / socat_rate if socat_rate else 0.0
        say(f"relay: {plan.datagrams // 4:,} datagrams paced at {socat_rate:,.0f}/s through swb")
        paced = udp_round(ours, sink, plan.datagrams // 4, sources["swb"], pace)
    rate = {name: median([r[0] for r in rows]) for name, rows in results.items()}
    kept = {name: median([r[1] / r[2] for r in rows]) for name, rows in results.items()}
    ratio = rate["swb"] / rate["socat"]
    return [
        Row(
            "9. UDP relay, no faults: datagrams/s forwarded",
            f"{rate['swb']:,.0f}/s, {kept['swb']:.1%} arrived",
            f"socat {rate['socat']:,.0f}/s, {kept['socat']:.1%} arrived",
            ratio,
            f">= {RATIO_TARGET}x socat",
            ratio >= RATIO_TARGET,
        ),
        Row(
            "9. UDP relay at socat's rate: datagrams that arrived",
            f"{paced[1]:,} of {paced[2]:,} ({paced[1] / paced[2]:.2%})",
            target="all",
            met=paced[1] == paced[2],
            note=f"paced at {socat_rate:,.0f}/s",
        ),
    ]


# -- 5. the Relay panel stays responsive -----------------------------------------------------------

GUI_RELAY = textwrap.dedent(
    """\
    import os, sys, time
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, QTimer
    from gui.app import create_app
    app = create_app([sys.argv[0]])
    from gui.panels.relay import RelayPanel
    from gui.runner import stop_all
    target, size = int(sys.argv[1]), int(sys.argv[2])
    panel = RelayPanel()
    panel.show()
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.target_host.set_text("127.0.0.1")
    panel.target_port.set_text(str(target))
    state = {"last": 0.0, "gap": 0.0, "flowing": False}
    def tick():
        now = time.perf_counter()
        if state["last"]:
            state["gap"] = max(state["gap"], now - state["last"])
        state["last"] = now
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(5)
    probe.timeout.connect(tick)
    probe.start()
    def opened(relay):
        print("port", relay.port, flush=True)
    panel.runner.opened.connect(opened)
    def check():
        relay = panel.relay
        moved = relay.counters()["->"].bytes if relay is not None else 0
        if moved and not state["flowing"]:
            state["flowing"] = True  # measure from the first bytes on, not the start-up
            state["gap"] = 0.0
        if moved >= size and not relay.connections():
            print("done", round(state["gap"] * 1000, 1), panel.log.model.rowCount(), flush=True)
            stop_all()
            app.quit()
    watch = QTimer()
    watch.setInterval(100)
    watch.timeout.connect(check)
    watch.start()
    panel.trigger_start()
    app.exec()
    """
)


def gui_stall(plan: Plan) -> list[Row]:
    sink = free_port()
    with (
        big_temp_dir("relay-gui", memory=True) as folder,
        socat("-u", f"TCP-LISTEN:{sink},reuseaddr,fork,bind={LOOPBACK}", "OPEN:/dev/null,wronly"),
    ):
        wait_for_port(sink)
        path = folder / "payload.bin"
        make_random_file(path, plan.size)
        args = [PYTHON, "-c", GUI_RELAY, str(sink), str(plan.size)]
        with process(args, stdout=subprocess.PIPE, cwd=str(REPO)) as gui:
            assert gui.stdout is not None
            word, port = gui.stdout.readline().split()
            if word != b"port":
                raise RuntimeError("the Relay panel did not start")
            say(f"relay: {plan.size // MIB} MiB through the Relay panel")
            seconds = send_file(path, int(port))
            done = gui.stdout.readline().split()
            if not done or done[0] != b"done":
                raise RuntimeError("the Relay panel did not report the end")
    stall, rows = float(done[1]), int(done[2])
    label = "1 GiB" if plan.size == 1024 * MIB else f"{plan.size // MIB} MiB"
    return [
        Row(
            f"9. Relay panel, {label} through it: longest GUI stall",
            f"{stall:.0f} ms",
            target="< 50 ms",
            met=stall < 50,
            note=f"{fmt_mib_s(plan.size / seconds)}, {rows:,} log rows",
        )
    ]


# -- 4. fault accuracy -----------------------------------------------------------------------------


def faults(plan: Plan) -> list[Row]:
    rows: list[Row] = []
    echo = free_port()
    with socat(f"TCP-LISTEN:{echo},reuseaddr,fork,bind={LOOPBACK}", "PIPE"):
        wait_for_port(echo)
        direct = round_trips(echo, 50)
        with swb_relay(echo, "--delay", "100") as port:
            added = round_trips(port, 20) - direct
    rows.append(
        Row(
            "9. --delay 100: added round trip",
            f"{added * 1e3:.1f} ms",
            target="100 ms +- 10",
            met=abs(added * 1e3 - 100) <= 10,
        )
    )
    size = 2 * MIB
    source = free_port()
    with socat(
        f"TCP-LISTEN:{source},reuseaddr,fork,bind={LOOPBACK}", f"OPEN:/dev/zero,readbytes={size}"
    ):
        wait_for_port(source)
        with swb_relay(source, "--rate", "524288") as port:
            start = time.perf_counter()
            got = 0
            with socket.create_connection((LOOPBACK, port), timeout=30) as sock:
                while data := sock.recv(65536):
                    got += len(data)
            seconds = time.perf_counter() - start
    rows.append(
        Row(
            "9. --rate 524288: 2 MiB took",
            f"{seconds:.2f} s" + ("" if got == size else f" ({got} bytes)"),
            target="4 s +- 15 %",
            met=got == size and abs(seconds - 4.0) <= 0.6,
        )
    )
    sink = free_port(socket.SOCK_DGRAM)
    with swb_relay(sink, "--udp", "--loss", "10", "--seed", "1") as port:
        # Paced (100 datagrams every 5 ms), so that what is lost is the relay's choice alone.
        _rate, received, sent = udp_round(port, sink, 20_000, free_port(socket.SOCK_DGRAM), 0.005)
    lost = 1 - received / sent
    rows.append(
        Row(
            "9. --udp --loss 10 --seed 1: 20,000 datagrams lost",
            f"{lost:.2%}",
            target="10 % +- 1.5",
            met=abs(lost - 0.10) <= 0.015,
        )
    )
    return rows


def run(quick: bool = False) -> list[Row]:
    import shutil

    if shutil.which("socat") is None:
        return [not_measured("9. relay", "socat is not installed")]
    plan = QUICK if quick else FULL
    rows: list[Row] = []
    for part in (tcp_throughput, latency, udp, faults, gui_stall):
        try:
            rows.extend(part(plan))
        except Exception as exc:  # one broken part must not hide the others
            rows.append(not_measured(f"9. relay: {part.__name__}", str(exc)))
    return rows


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
