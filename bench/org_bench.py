"""Organisation-scale collection benchmark: 1,000 accounts × 17 regions, 30–80 ms per call.

    python -m bench.org_bench [--accounts 100] [--runs 3]
                              [--sides watchkeeper,bare-shared,bare]
                              [--concurrency N] [--watchkeeper-path DIR] [--label TEXT]
                              [--latency-ms 30 80] [--rss-limit-mib 4096] [--timeout 600]
                              [--json FILE]

Serves the estate of bench/org_estate.py from bench/org_server.py (a separate process),
then alternately runs `watchkeeper collect --organization` and the bare boto3 loops of
bench/org_bare.py — `bare-shared` (one client per service and region: the floor) and
`bare` (plain boto3, clients per account and region) — each in its own process, so all
pay interpreter start-up. Per side it reports the median wall time, the API calls, the
peak RSS and where the time went: the client's and the server's CPU time over the wall
time (cores kept busy), the whole machine's CPU use (the cores may be shared), and the
floor that latency alone sets (calls × mean latency / workers). The verdict names the
side that was the bottleneck.

--watchkeeper-path runs another checkout's collector (e.g. /work/main for the figures
before a change); the server and the bare loop always come from this one. A run whose
RSS passes --rss-limit-mib or whose wall time passes --timeout is stopped and reported
as such (with what it reached), so a collector that cannot cope does not take the
machine down with it.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import org_estate as est

HERE = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
# Cores one side can keep busy before it is the bottleneck: the collector and the loop are
# Python (one core under the GIL), the server too.
SATURATED = 0.85


def _die_with_parent() -> None:
    """In each child: be killed when the bench dies (Linux), so that a bench stopped from
    outside leaves no collection running against a server that is gone."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def default_workers(accounts: int) -> int:
    """watchkeeper's default for that many accounts (AwsOptions.workers), for the loop."""
    return min(64, 8 * accounts)


@dataclass
class Measured:
    side: str
    run: int
    outcome: str  # "ok", or why it was stopped
    wall_s: float
    client_cpu_s: float
    peak_rss_mib: float
    calls: int | None
    server_requests: int
    server_cpu_s: float
    machine_busy: float  # share of all cores busy during the run, every process counted
    latency_floor_s: float
    bottleneck: str
    # RSS when a quarter, half and three quarters of the run had passed: flat, or growing?
    rss_mib_quartiles: list[float]


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _machine() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _served(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/__bench/stats", timeout=30) as reply:
        served: dict[str, int] = json.loads(reply.read())
    return served


def _bottleneck(client: float, server: float, machine: float, wall: float, floor: float) -> str:
    cores = f"client {client / wall:.2f} / server {server / wall:.2f} cores"
    if client / wall >= SATURATED:
        return f"client CPU ({cores})"
    if server / wall >= SATURATED:
        return f"server CPU ({cores})"
    if floor >= 0.7 * wall:
        return f"latency: calls × latency / workers ({cores})"
    if machine >= 0.9:
        # Neither process got a whole core: other processes had the rest of the machine.
        return f"client CPU, on cores shared with other work ({cores}; machine {machine:.0%})"
    return f"neither saturated: waits, start-up ({cores})"


class Bench:
    def __init__(self, args: argparse.Namespace, env: dict[str, str]):
        self.args = args
        self.env = env
        self.mean_latency = sum(args.latency_ms) / 2 / 1000
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.org_server",
                "--accounts",
                str(args.accounts),
                "--latency-ms",
                *(str(x) for x in args.latency_ms),
            ],
            stdout=subprocess.PIPE,
            env=dict(env, PYTHONPATH=str(HERE)),
            preexec_fn=_die_with_parent,
        )
        assert self.server.stdout is not None
        ready = json.loads(self.server.stdout.readline())
        self.url: str = ready["url"]
        print(f"server: {ready['replies']} replies rendered in {ready['render_s']}s", flush=True)

    def close(self) -> None:
        self.server.terminate()
        self.server.wait()

    def run(self, side: str, run: int, workdir: Path) -> Measured:
        a = self.args
        workers = a.concurrency or default_workers(a.accounts)
        db = workdir / f"{side}-{run}.duckdb"
        if side == "watchkeeper":
            cmd = [sys.executable, "-m", "watchkeeper", "collect", "--db", str(db), "--quiet"]
            cmd += ["--endpoint-url", self.url, "--organization", "--role-name", est.ROLE]
            if a.concurrency:
                cmd += ["--concurrency", str(a.concurrency)]
            path = a.watchkeeper_path
        else:
            cmd = [sys.executable, "-m", "bench.org_bare", self.url, str(workers), est.ROLE]
            if side == "bare-shared":
                cmd.append("--shared-clients")
            path = HERE
        served0, cpu0, (busy0, total0) = _served(self.url), _proc_cpu(self.server.pid), _machine()
        # Run from the code's own directory: `python -m` puts the working directory first
        # on the path, ahead of PYTHONPATH.
        env = dict(self.env, PYTHONPATH=str(path))
        outcome, wall, usage, out, quartiles = self._watched(cmd, env, path)
        busy1, total1 = _machine()
        server_cpu = _proc_cpu(self.server.pid) - cpu0
        served1 = _served(self.url)
        requests = sum(served1.values()) - sum(served0.values())
        calls: int | None = None
        if outcome == "ok" and side != "watchkeeper":
            calls = int(json.loads(out)["calls"])
        elif side == "watchkeeper" and db.exists():
            calls = self._snapshot_calls(db, path)
        client_cpu = usage.ru_utime + usage.ru_stime
        machine = (busy1 - busy0) / max(1, total1 - total0)
        floor = requests * self.mean_latency / workers
        return Measured(
            side,
            run,
            outcome,
            round(wall, 2),
            round(client_cpu, 1),
            round(usage.ru_maxrss / 1024, 1),
            calls,
            requests,
            round(server_cpu, 1),
            round(machine, 2),
            round(floor, 1),
            _bottleneck(client_cpu, server_cpu, machine, wall, floor),
            quartiles,
        )

    def _snapshot_calls(self, db: Path, path: Path) -> int | None:
        listed = subprocess.run(
            [sys.executable, "-m", "watchkeeper", "snapshots", "--db", str(db), "--json"],
            capture_output=True,
            env=dict(self.env, PYTHONPATH=str(path)),
            cwd=path,
        )
        if listed.returncode != 0:
            return None
        last = json.loads(listed.stdout)[-1]
        return int(last["api_calls"]) if last.get("status") == "complete" else None

    def _watched(
        self, cmd: list[str], env: dict[str, str], cwd: Path
    ) -> tuple[str, float, Any, str, list[float]]:
        """Run ``cmd``, stopping it past the RSS limit or the timeout; (outcome, wall
        seconds, rusage, stdout)."""
        limit_kib, timeout = self.args.rss_limit_mib * 1024, self.args.timeout
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            preexec_fn=_die_with_parent,
        )
        out: list[bytes] = []
        err: list[bytes] = []
        readers = [
            threading.Thread(target=lambda: out.append(proc.stdout.read())),  # type: ignore[union-attr]
            threading.Thread(target=lambda: err.append(proc.stderr.read())),  # type: ignore[union-attr]
        ]
        for r in readers:
            r.start()
        outcome = "ok"
        samples: list[tuple[float, int]] = []
        while True:
            # wait4, not poll(): poll would reap the child and lose its resource usage.
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - start
            samples.append((elapsed, _rss_kib(proc.pid)))
            if outcome == "ok" and samples[-1][1] > limit_kib:
                outcome = f"stopped: RSS over {self.args.rss_limit_mib} MiB after {elapsed:.0f}s"
                proc.kill()
            elif outcome == "ok" and elapsed > timeout:
                outcome = f"stopped: over {timeout:.0f}s"
                proc.kill()
            time.sleep(0.2)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        for r in readers:
            r.join()
        # collect exits 1 when there were collection errors; the bench estate has none.
        if outcome == "ok" and proc.returncode != 0:
            outcome = f"failed (exit {proc.returncode}): {err[0].decode()[-300:].strip()}"
        quartiles = [
            round(next((kib for t, kib in samples if t >= q * wall), 0) / 1024, 1)
            for q in (0.25, 0.5, 0.75)
        ]
        return outcome, wall, usage, out[0].decode() if out else "", quartiles


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def summarise(results: list[Measured]) -> dict[str, Any]:
    sides: dict[str, Any] = {}
    for side in dict.fromkeys(r.side for r in results):
        mine = [r for r in results if r.side == side]
        ok = [r for r in mine if r.outcome == "ok"]
        use = ok or mine
        sides[side] = {
            "runs": len(mine),
            "ok": len(ok),
            "median_wall_s": _median([r.wall_s for r in use]),
            "median_client_cpu_s": _median([r.client_cpu_s for r in use]),
            "peak_rss_mib": max(r.peak_rss_mib for r in use),
            "calls": use[-1].calls,
            "server_requests": use[-1].server_requests,
            "median_server_cpu_s": _median([r.server_cpu_s for r in use]),
            "median_client_cores": _median([r.client_cpu_s / r.wall_s for r in use]),
            "median_server_cores": _median([r.server_cpu_s / r.wall_s for r in use]),
            "bottleneck": statistics.mode(r.bottleneck.split(" (")[0] for r in use),
            "outcomes": sorted({r.outcome for r in mine}),
        }
    for bare in ("bare", "bare-shared"):
        if "watchkeeper" in sides and bare in sides:
            sides[f"wall_ratio_to_{bare}"] = round(
                sides["watchkeeper"]["median_wall_s"] / sides[bare]["median_wall_s"], 3
            )
    return sides


def table(results: list[Measured], label: str) -> str:
    head = (
        "| label | side | run | wall s | calls | requests | peak RSS MiB | RSS at ¼ ½ ¾ "
        "| client CPU s | server CPU s | machine busy | latency floor s | bottleneck | outcome |"
    )
    rows = [head, "|" + "---|" * 14]
    for r in results:
        rss = " / ".join(str(x) for x in r.rss_mib_quartiles)
        rows.append(
            f"| {label} | {r.side} | {r.run} | {r.wall_s} | {r.calls} | {r.server_requests} "
            f"| {r.peak_rss_mib} | {rss} | {r.client_cpu_s} | {r.server_cpu_s} | {r.machine_busy} "
            f"| {r.latency_floor_s} | {r.bottleneck} | {r.outcome} |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sides", default="watchkeeper,bare-shared,bare")
    ap.add_argument("--concurrency", type=int, help="workers of both sides (default: auto)")
    ap.add_argument("--watchkeeper-path", type=Path, default=HERE)
    ap.add_argument("--label", default="")
    ap.add_argument("--latency-ms", type=float, nargs=2, default=(30.0, 80.0))
    ap.add_argument("--rss-limit-mib", type=int, default=4096)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=est.CALLER_KEY,
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=est.HOME,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    label = args.label or str(args.watchkeeper_path)
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    code = subprocess.run(
        [sys.executable, "-c", "import watchkeeper; print(watchkeeper.__file__)"],
        capture_output=True,
        text=True,
        env=dict(env, PYTHONPATH=str(args.watchkeeper_path)),
        cwd=args.watchkeeper_path,
    ).stdout.strip()
    print(f"{label}: watchkeeper from {code}", flush=True)
    bench = Bench(args, env)
    results: list[Measured] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(1, args.runs + 1):
                for side in sides:
                    m = bench.run(side, run, Path(tmp))
                    results.append(m)
                    print(
                        f"{label} run {run} {side}: {m.wall_s}s, {m.calls} calls, "
                        f"{m.peak_rss_mib} MiB (at ¼ ½ ¾: {m.rss_mib_quartiles}), "
                        f"client {m.client_cpu_s}s CPU, server "
                        f"{m.server_cpu_s}s CPU, machine {m.machine_busy:.0%} busy → "
                        f"{m.bottleneck} [{m.outcome}]",
                        flush=True,
                    )
    finally:
        bench.close()
    summary = {
        "label": label,
        "accounts": args.accounts,
        "regions": len(est.REGIONS),
        "latency_ms": list(args.latency_ms),
        "workers": args.concurrency or default_workers(args.accounts),
        "summary": summarise(results),
        "runs": [asdict(r) for r in results],
    }
    print(table(results, label))
    print(json.dumps(summary["summary"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
