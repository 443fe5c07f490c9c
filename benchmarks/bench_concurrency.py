"""Issue 8, row 3: many parallel downloads of one file from `swb serve` and from nginx.

The same client for both servers: a Python process with one thread per download, all released at
once, each hashing what it reads (every copy's SHA-256 is checked). Reported: aggregate
throughput (N x size / wall time from release to the last copy), failures, and ours / nginx.
(curl --parallel writing N copies to tmpfs was tried first: page allocation made it the bottleneck.)

    python benchmarks/bench_concurrency.py [--quick]
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass

from _common import (
    MIB,
    PYTHON,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    make_random_file,
    median,
    nginx,
    quick_main,
    run_checked,
    say,
    swb_serve,
)

TARGET_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class Plan:
    size: int
    clients: tuple[int, ...]
    rounds: int


FULL = Plan(size=8 * MIB, clients=(64, 256), rounds=3)
QUICK = Plan(size=1 * MIB, clients=(16, 64), rounds=3)
FILE_NAME = "payload.bin"


# The client pool: one thread per download, all released at once; each hashes what it reads
# (hashlib and recv release the GIL, so the threads overlap). Prints one JSON summary line.
CLIENT_POOL = """\
import hashlib, http.client, json, sys, threading, time
port, path, clients, digest = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
results = [None] * clients
gate = threading.Barrier(clients + 1)

def download(index):
    gate.wait()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path)
        response = conn.getresponse()
        sha = hashlib.sha256()
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        while count := response.readinto(buffer):
            sha.update(view[:count])
        conn.close()
        ok = response.status == 200 and sha.hexdigest() == digest
        results[index] = "" if ok else f"status {response.status}, sha256 {sha.hexdigest()[:12]}"
    except Exception as exc:
        results[index] = f"{type(exc).__name__}: {exc}"

threads = [threading.Thread(target=download, args=(i,)) for i in range(clients)]
for thread in threads:
    thread.start()
gate.wait()
started = time.perf_counter()
for thread in threads:
    thread.join()
seconds = time.perf_counter() - started
errors = [r for r in results if r]
print(json.dumps({"seconds": seconds, "failed": len(errors), "first_error": errors[:1]}))
"""


@dataclass(frozen=True, slots=True)
class Result:
    """One pool run: how long all downloads took and how many did not arrive intact."""

    seconds: float
    failed: int
    first_error: str


def fetch_all(port: int, clients: int, digest: str) -> Result:
    """Download the file ``clients`` times at once; every copy's SHA-256 is checked."""
    args = [PYTHON, "-c", CLIENT_POOL, str(port), f"/{FILE_NAME}", str(clients), digest]
    report = json.loads(run_checked(args, timeout=300).strip().splitlines()[-1])
    errors = report["first_error"]
    return Result(float(report["seconds"]), int(report["failed"]), errors[0] if errors else "")


def measure(
    ports: dict[str, int], clients: int, size: int, rounds: int, digest: str
) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
    """Alternate the servers for ``rounds``; each one's throughputs (B/s) and failures."""
    failures: dict[str, list[str]] = {name: [] for name in ports}

    def trial(name: str) -> float:
        result = fetch_all(ports[name], clients, digest)
        if result.failed:
            failures[name].append(f"{result.failed} failed ({result.first_error})")
        return clients * size / result.seconds

    trials = {name: functools.partial(trial, name) for name in ports}
    return alternate(trials, rounds, log=say, show=fmt_mib_s), failures


def run(quick: bool = False) -> list[Row]:
    plan = QUICK if quick else FULL
    size, rounds = plan.size, plan.rounds
    rows: list[Row] = []
    with big_temp_dir("concurrency") as src:
        say(f"concurrency: writing a {size // MIB} MiB file")
        digest = make_random_file(src / FILE_NAME, size)
        with swb_serve(src / FILE_NAME) as (port, _ours), nginx(src) as nginx_port:
            ports = {"swb serve": port, "nginx": nginx_port}
            for name, server_port in ports.items():  # warm-up: page cache, lazy imports
                warm = fetch_all(server_port, 2, digest)
                if warm.failed:
                    say(f"  warm-up against {name}: {warm.failed} failed ({warm.first_error})")
            for clients in plan.clients:
                say(f"concurrency: {clients} parallel downloads of {size // MIB} MiB, x{rounds}")
                results, failures = measure(ports, clients, size, rounds, digest)
                ours_rate, peer_rate = median(results["swb serve"]), median(results["nginx"])
                ratio = ours_rate / peer_rate
                failed = {name: sum(int(f.split()[0]) for f in failures[name]) for name in ports}
                for name in ports:
                    for failure in failures[name]:
                        say(f"  {name}: {failure}")
                rows.append(
                    Row(
                        f"3. {clients} parallel downloads of {size // MIB} MiB, aggregate",
                        f"{fmt_mib_s(ours_rate)}, {failed['swb serve']} failed",
                        f"nginx {fmt_mib_s(peer_rate)}, {failed['nginx']} failed",
                        ratio,
                        f">= {TARGET_RATIO}x nginx, 0 failed",
                        ratio >= TARGET_RATIO and failed["swb serve"] == 0,
                    )
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
