"""`make bench`: order ingest of the daemon against the baseline of ARCHITECTURE §9, in the same run.

Each server runs alone (so they never share the 2 cores with each other) and wrk loads it on loopback with
the same script, concurrency and duration. Prints orders/s, p50, p99 and errors, then the ratios.

The four servers (the baseline, the demo daemon, that kitchen without a printer, and that as one process,
its front off) take turns, round after round (`--rounds`, 5 by default), each on fresh data: on a shared machine
the baseline alone moves by a quarter between runs a minute apart, so each round's ratio is taken within
the round, and the verdict is on the median round (of three, it still moved by 0.05 between runs minutes
apart).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from daemon.config import DEMO
from daemon.domain import compiled

HERE = Path(__file__).resolve().parent
GOAL_ORDERS_PER_S = 1000
GOAL_RATIO = 0.5
GOAL_P99_MS = 50


@dataclass
class Result:
    name: str
    orders_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_s: float = 0.0  # the server process's user + system CPU over the measured run (not the warm-up)

    @property
    def cpu_per_order_us(self) -> float:
        return self.cpu_s / self.requests * 1e6 if self.requests else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("bench: wrk is missing; installing Debian's wrk package (apt-get)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk could not be installed")
    return found


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: {url} not ready after {timeout} s")


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not found:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def process_cpu_s(pid: int) -> float:
    """utime + stime of a process and its threads (the writer thread included), and of its running children
    (the daemon's front process), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return own + sum(process_cpu_s(int(c)) for c in (children.read_text().split() if children.exists() else ()))


def run_wrk(
    wrk: str,
    url: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    name: str,
    pid: int,
    after_warmup: Callable[[], None] | None = None,
) -> Result:
    cmd = [
        wrk,
        "-t",
        str(args.threads),
        "-c",
        str(args.concurrency),
        "-d",
        f"{args.duration}s",
        "--latency",
        "-s",
        str(HERE / "orders.lua"),
    ]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    env = {**os.environ, "BENCH_NONCE": f"{name}{time.time_ns()}"}
    if args.warmup:
        subprocess.run([*cmd[:6], f"{args.warmup}s", *cmd[7:], url], env=env, capture_output=True, check=True)
        env["BENCH_NONCE"] += "m"
    if after_warmup is not None:
        after_warmup()
    cpu_before = process_cpu_s(pid)
    out = subprocess.run([*cmd, url], env=env, capture_output=True, text=True, check=True).stdout
    cpu_s = process_cpu_s(pid) - cpu_before
    if "requests in" not in out or "50%" not in out:
        raise SystemExit(f"bench: unexpected wrk output for {name}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(
        name,
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        errors,
        requests,
        cpu_s,
    )


def bench_baseline(wrk: str, args: argparse.Namespace, workdir: Path) -> Result:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.baseline", "--port", str(port), "--db", str(workdir / "baseline.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        headers = {"content-type": "application/json"}
        return run_wrk(wrk, f"http://127.0.0.1:{port}", headers, args, "baseline", proc.pid)
    finally:
        stop(proc)


def demo_without_printers(path: Path) -> Path:
    """The embedded demo's kitchen (stations, routing, dining room) without its printer, as a config file:
    the order path the performance goal was set on, before printing landed (JSON's string, list and
    boolean forms are TOML's too)."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in DEMO.items() if not isinstance(value, list)]
    for table in ("stations", "routing"):
        for row in DEMO[table]:
            lines += ["", f"[[{table}]]"]
            lines += [f"{k} = {json.dumps([] if k == 'printers' else v)}" for k, v in row.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def one_process(path: Path, config: Path) -> Path:
    """The same kitchen with the front process off (daemon/front): the daemon as one process at any load."""
    path.write_text(config.read_text() + "\n[server]\nfront = false\n")
    return path


def wait_front(url: str, timeout: float = 30) -> None:
    """Until /readyz says the front is up: before it is, the core serves every connection itself."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as resp:
            if json.loads(resp.read()).get("front", {}).get("up"):
                return
        time.sleep(0.05)  # polling a condition against a deadline
    raise SystemExit("bench: the daemon's front process did not come up")


def bench_daemon(wrk: str, args: argparse.Namespace, workdir: Path, name: str, config: Path | None = None) -> Result:
    port = free_port()
    data = workdir / name
    env = {**os.environ, "HEARD_LOG_LEVEL": args.log_level, "HEARD_CONFIG": str(config or "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "daemon.log").open("wb"),
        env=env,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        ctl = [sys.executable, "-c", "from daemon.cli import main; main()", "--data-dir", str(data)]
        token = subprocess.run(
            [*ctl, "integration-token", "create", "--name", "bench"], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        headers = {
            "content-type": "application/json",
            "x-integration-token": token,
            "x-location-id": "demo-location",
            "x-device-ids": "all",
        }
        url = f"http://127.0.0.1:{port}"
        # The warm-up's load starts the front (server.front_start_rate; never on one core): measured once it is up.
        front = (config is None or "front = false" not in config.read_text()) and (os.cpu_count() or 1) >= 2
        return run_wrk(
            wrk, url, headers, args, name, proc.pid, after_warmup=(lambda: wait_front(url)) if front else None
        )
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5, help="the four servers in turn, this often")
    parser.add_argument("--log-level", default="INFO", help="the daemon's log level during the run")
    args = parser.parse_args()
    wrk = ensure_wrk()
    rounds: list[tuple[Result, Result, Result, Result]] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="heard-bench-") as tmp:
            workdir = Path(tmp)
            baseline = bench_baseline(wrk, args, workdir)
            daemon = bench_daemon(wrk, args, workdir, "daemon")
            kitchen = demo_without_printers(workdir / "no-printer.toml")
            bare = bench_daemon(wrk, args, workdir, "no-printer", kitchen)
            alone = bench_daemon(wrk, args, workdir, "one-proc", one_process(workdir / "one.toml", kitchen))
        rounds.append((baseline, daemon, bare, alone))
    print(
        f"\ningest: wrk, {args.concurrency} connections, {args.threads} threads, {args.duration} s, "
        f"on {os.cpu_count()} cores, Python {sys.version.split()[0]}; {args.rounds} rounds, the servers in turn"
    )
    print(f"the daemon's domain: {compiled.describe()}")
    print("daemon: the embedded demo, printing each order's grill and expo chits to its file printer;")
    print("no-printer: the same kitchen without the printer (the order path the goal was set on);")
    print("  both as installed: the load starts the front process (order writes' HTTP on the second core),")
    print("  measured once it is up, their CPU per order that of both processes;")
    print("one-proc: no-printer with server.front = false: the daemon as one process")
    print(
        f"{'round':5} {'':10} {'orders/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}"
        f" {'CPU µs/order':>13} {'ratio':>6}"
    )
    for i, results in enumerate(rounds, 1):
        for r in results:
            ratio = r.orders_per_s / results[0].orders_per_s if results[0].orders_per_s else 0.0
            print(
                f"{i:5d} {r.name:10} {r.orders_per_s:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}"
                f" {r.requests:9d} {r.cpu_per_order_us:13.0f} {'' if r is results[0] else f'{ratio:6.2f}'}"
            )
    for column in (1, 2, 3):
        report([(results[column], results[0]) for results in rounds])


def report(pairs: list[tuple[Result, Result]]) -> None:
    """The goals, on the median round: each round's ratio is of two servers measured a minute apart."""
    name = pairs[0][0].name
    ratio = statistics.median(d.orders_per_s / b.orders_per_s if b.orders_per_s else 0.0 for d, b in pairs)
    cpu_ratio = statistics.median(
        b.cpu_per_order_us / d.cpu_per_order_us if d.cpu_per_order_us else 0.0 for d, b in pairs
    )
    orders = statistics.median(d.orders_per_s for d, _ in pairs)
    p99 = statistics.median(d.p99_ms for d, _ in pairs)
    base_p99 = statistics.median(b.p99_ms for _, b in pairs)
    print(f"\n{name} (the median of {len(pairs)} rounds):")
    print(f"  ratio to the baseline: {ratio:.2f}  (goal ≥ {GOAL_RATIO}: {verdict(ratio >= GOAL_RATIO)})")
    print(
        f"  CPU per order, baseline/daemon: {cpu_ratio:.2f}  (the same comparison by cost: other processes on"
        " the machine disturb it much less than orders/s)"
    )
    print(f"  orders/s: {orders:.0f}  (goal ≥ {GOAL_ORDERS_PER_S}: {verdict(orders >= GOAL_ORDERS_PER_S)})")
    print(
        f"  p99: {p99:.0f} ms  (goal < {GOAL_P99_MS} ms: {verdict(p99 < GOAL_P99_MS)};"
        f" the baseline's own: {base_p99:.0f} ms)"
    )
    errors = sum(d.errors + b.errors for d, b in pairs)
    if errors:
        print(f"  note: {errors} errors over the rounds (see the table)")


if __name__ == "__main__":
    main()
