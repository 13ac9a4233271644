"""`make bench`: order ingest of the daemon against the baseline of ARCHITECTURE §9, in the same run.

Each server runs alone (so they never share the 2 cores with each other) and wrk loads it on loopback with
the same script, concurrency and duration. Prints orders/s, p50, p99 and errors, then the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from daemon.config import DEMO

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
    """utime + stime of a process and its threads (the writer thread included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, url: str, headers: dict[str, str], args: argparse.Namespace, name: str, pid: int) -> Result:
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
        return run_wrk(wrk, f"http://127.0.0.1:{port}", headers, args, name, proc.pid)
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
    parser.add_argument("--log-level", default="INFO", help="the daemon's log level during the run")
    args = parser.parse_args()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="heard-bench-") as tmp:
        workdir = Path(tmp)
        baseline = bench_baseline(wrk, args, workdir)
        daemon = bench_daemon(wrk, args, workdir, "daemon")
        bare = bench_daemon(wrk, args, workdir, "no-printer", demo_without_printers(workdir / "no-printer.toml"))
    print(
        f"\ningest: wrk, {args.concurrency} connections, {args.threads} threads, {args.duration} s, "
        f"on {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    print("daemon: the embedded demo, printing each order's grill and expo chits to its file printer;")
    print("no-printer: the same kitchen without the printer (the order path the goal was set on)")
    print(f"{'':10} {'orders/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9} {'CPU µs/order':>13}")
    for r in (baseline, daemon, bare):
        print(
            f"{r.name:10} {r.orders_per_s:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d} {r.requests:9d}"
            f" {r.cpu_per_order_us:13.0f}"
        )
    for r in (daemon, bare):
        report(r, baseline)


def report(daemon: Result, baseline: Result) -> None:
    print(f"\n{daemon.name}:")
    ratio = daemon.orders_per_s / baseline.orders_per_s if baseline.orders_per_s else 0.0
    print(f"  ratio to the baseline: {ratio:.2f}  (goal ≥ {GOAL_RATIO}: {verdict(ratio >= GOAL_RATIO)})")
    if daemon.cpu_per_order_us:
        cpu_ratio = baseline.cpu_per_order_us / daemon.cpu_per_order_us
        print(
            f"  CPU per order, baseline/daemon: {cpu_ratio:.2f}  (the same comparison by cost: other processes on"
            " the machine disturb it much less than orders/s)"
        )
    print(
        f"  orders/s: {daemon.orders_per_s:.0f}  (goal ≥ {GOAL_ORDERS_PER_S}: "
        f"{verdict(daemon.orders_per_s >= GOAL_ORDERS_PER_S)})"
    )
    print(
        f"  p99: {daemon.p99_ms:.0f} ms  (goal < {GOAL_P99_MS} ms: {verdict(daemon.p99_ms < GOAL_P99_MS)}; the"
        f" baseline's own: {baseline.p99_ms:.0f} ms)"
    )
    if daemon.errors or baseline.errors:
        print(f"  note: errors {daemon.name}={daemon.errors} baseline={baseline.errors}")

if __name__ == "__main__":
    main()
