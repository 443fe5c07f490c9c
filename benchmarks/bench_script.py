"""Issue 18: conversation scripts and rule-based replies.

1. ``swb run`` doing N send/expect round trips against a local echo server, against a plain
   Python socket loop doing the same round trips (target: at least 0.5x its rate). Both talk to
   the same echo server (a small blocking Python process); the script runs in its own process, as
   ``swb run`` (start-up included, bytecode cached as an installed copy has it), and in-process
   through ScriptRunner (the engine alone). Five alternating rounds; a row's ratio is the
   median of the ratios within each round.
2. ``swb tcp-serve`` with 100 rules answering requests from 8 pipelining client connections, in
   requests/s (target 10,000/s), against the same server with ``--echo`` and no rules.

    python benchmarks/bench_script.py [--quick]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    LOOPBACK,
    PYTHON,
    Row,
    alternate,
    bytecode_env,
    format_table,
    free_port,
    median,
    process,
    read_line_with,
    say,
    wait_for_listener,
)

ECHO_SERVER = """\
import socket, sys
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)
"""

SCRIPT = """\
[connection]
host = "127.0.0.1"
port = {port}
repeat = {count}

[[step]]
send = "PING {{{{counter}}}}\\n"

[[step]]
expect = 'PING \\d+\\n'
timeout = 5
"""


PLAIN_LOOP = """\
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
with socket.create_connection(("127.0.0.1", port)) as sock:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    for index in range(1, count + 1):
        sock.sendall(b"PING %d\\n" % index)
        while b"\\n" not in pending:
            pending += sock.recv(65536)
        pending = pending.split(b"\\n", 1)[1]
"""


def plain_loop(port: int, count: int) -> float:
    """Round trips per second of the simplest correct Python client, in this process."""
    namespace = {"__name__": "plain"}
    started = time.perf_counter()
    sys.argv[1:] = [str(port), str(count)]
    exec(PLAIN_LOOP, namespace)
    return count / (time.perf_counter() - started)


def plain_process(port: int, count: int) -> float:
    """The same loop as its own Python process, timed from outside like ``swb run``."""
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-c", PLAIN_LOOP, str(port), str(count)], check=True, env=bytecode_env()
    )
    return count / (time.perf_counter() - started)


def engine(path: Path, count: int) -> float:
    from net.script import ScriptRunner, load_script

    with ScriptRunner(load_script(path)) as runner:
        outcome = runner.run()
    if not outcome.ok:
        raise RuntimeError(outcome.problem)
    return count / outcome.elapsed


def cli(path: Path, count: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "net", "run", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=bytecode_env(),
    )
    return count / (time.perf_counter() - started)


def rule_args(count: int) -> list[str]:
    """``count`` rules; a request ``CMD{i} x`` matches rule i (half regex, half prefix)."""
    args = []
    for index in range(count):
        if index % 2:
            args += ["--rule", rf"regex:^CMD{index} (\w+)$ => R{index} {{{{1}}}}\n"]
        else:
            args += ["--rule", f"prefix:CMD{index} => R{index}\\n"]
    return args


def requests_per_second(extra: list[str], clients: int, per_client: int, rules: int) -> float:
    port = free_port()
    args = [PYTHON, "-m", "net", "tcp-serve", str(port), "-H", LOOPBACK, "--quiet", *extra]
    with process(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
        wait_for_listener(port)
        batch = 100
        # Requests spread over every rule, so the average request tries half of them.
        lines = [b"CMD%d v%d\n" % (i % max(rules, 1), i) for i in range(batch)]
        payload = b"".join(lines)
        barrier = threading.Barrier(clients + 1)
        errors: list[BaseException] = []

        def client() -> None:
            try:
                with socket.create_connection((LOOPBACK, port)) as sock:
                    barrier.wait()
                    for _ in range(per_client // batch):
                        sock.sendall(payload)
                        seen = 0
                        while seen < batch:
                            data = sock.recv(65536)
                            if not data:
                                raise RuntimeError("the server closed the connection")
                            seen += data.count(b"\n")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return clients * per_client / seconds


def run(quick: bool = False) -> list[Row]:
    count = 2_000 if quick else 10_000
    rounds = 3 if quick else 5
    rows: list[Row] = []
    port = free_port()
    with (
        process([PYTHON, "-c", ECHO_SERVER, str(port)], stdout=subprocess.PIPE) as echo,
        tempfile.TemporaryDirectory() as folder,
    ):
        read_line_with(echo, "ready", 10)
        path = Path(folder) / "echo.toml"
        path.write_text(SCRIPT.format(port=port, count=count), encoding="utf-8")
        trials: dict[str, Callable[[], float]] = {
            "plain": lambda: plain_loop(port, count),
            "plain process": lambda: plain_process(port, count),
            "engine": lambda: engine(path, count),
            "cli": lambda: cli(path, count),
        }
        cli(path, count)  # writes the bytecode cache, as installing does
        say(f"script: {count:,} round trips against an echo server, x{rounds}")
        rates = alternate(trials, rounds, log=say, show="{:,.0f}/s".format)
    plain, process_rate, ours_engine, ours_cli = (
        median(rates[k]) for k in ("plain", "plain process", "engine", "cli")
    )
    # The ratio is the median of the ratios within each round: a round's two runs are seconds apart,
    # so a slow phase of the shared machine moves both (the rates alone swing 3x under load).
    cli_ratio = median([a / b for a, b in zip(rates["cli"], rates["plain process"], strict=True)])
    engine_ratio = median([a / b for a, b in zip(rates["engine"], rates["plain"], strict=True)])
    rows.append(
        Row(
            f"swb run, {count:,} send/expect round trips (processes, start-up included)",
            f"{ours_cli:,.0f}/s",
            f"{process_rate:,.0f}/s plain Python socket loop",
            cli_ratio,
            ">= 0.5x",
            cli_ratio >= 0.5,
        )
    )
    rows.append(
        Row(
            f"ScriptRunner in-process, {count:,} round trips",
            f"{ours_engine:,.0f}/s",
            f"{plain:,.0f}/s plain loop in-process",
            engine_ratio,
            ">= 0.5x",
            engine_ratio >= 0.5,
        )
    )
    clients, per_client = 8, (500 if quick else 2_000)
    say(f"rules: {clients} clients x {per_client:,} pipelined requests, 100 rules vs --echo")
    server_rates = alternate(
        {
            "rules": lambda: requests_per_second(rule_args(100), clients, per_client, 100),
            "echo": lambda: requests_per_second(["--echo"], clients, per_client, 100),
        },
        rounds,
        log=say,
        show="{:,.0f}/s".format,
    )
    with_rules, echo_rate = median(server_rates["rules"]), median(server_rates["echo"])
    rows.append(
        Row(
            "swb tcp-serve, 100 rules, 8 clients",
            f"{with_rules:,.0f} requests/s",
            f"{echo_rate:,.0f}/s with --echo",
            with_rules / echo_rate,
            ">= 10,000/s",
            with_rules >= 10_000,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(format_table(run(quick=args.quick)))


if __name__ == "__main__":
    main()
