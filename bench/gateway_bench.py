"""Gateway overhead, three ways in one sitting: direct, through `recast serve`, through LiteLLM.

Runs the shared harness (``../shared/bench/gateway/bench.sh``: nginx fake upstream, wrk,
c=1 / c=64 / streaming c=16) against

* ``direct``          the fake upstream itself (the floor),
* ``recast``          ``recast serve`` with capture on (SQLite, the default),
* ``recast-nocap``    ``recast serve --no-capture`` (to price capture),
* ``litellm``         LiteLLM proxy as the harness README measured it (own venv,
                      2 workers, master key, no DB),

then prints the table and the overhead: added p50 at c=1, throughput ratios against
LiteLLM at c=64 and streaming c=16, and what capture costs. The two recast gateways run
side by side and their repeats alternate (the capture writer's backlog drained before
each run), so the capture price is not an artefact of a noisy spell on a shared machine;
after the runs the capture gateway reports its backlog and, at shutdown, its totals.
Single runs on a shared machine still vary by more than capture's price, so capture is
also priced from ``--capture-pairs`` short alternating c=64 pairs: the median cost with
a bootstrap 90 % interval.

    .venv/bin/python bench/gateway_bench.py            # full runs (~20 minutes)
    .venv/bin/python bench/gateway_bench.py --quick    # 3-second smoke runs
    .venv/bin/python bench/gateway_bench.py --skip litellm --workers 2

LiteLLM lives in its own venv (``--litellm-venv``, default /tmp/litellm-venv); the script
creates it with ``pip install 'litellm[proxy]'`` when missing and skips LiteLLM with a
note when that is impossible (no network to PyPI, say).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT.parent / "shared" / "bench" / "gateway"
UPSTREAM = "http://127.0.0.1:18080"
NGINX_PREFIX = Path("/tmp/gwbench-nginx")


def say(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def http_ok(url: str, timeout: float = 2.0, headers: dict[str, str] | None = None) -> bool:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return bool(200 <= reply.status < 300)
    except Exception:
        return False


def wait_for(url: str, seconds: float, headers: dict[str, str] | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http_ok(url, headers=headers):
            return True
        time.sleep(0.25)
    return False


def start_nginx() -> bool:
    """Start the fake upstream unless it already answers; return True if we started it."""
    if http_ok(UPSTREAM + "/health"):
        return False
    NGINX_PREFIX.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["nginx", "-p", f"{NGINX_PREFIX}/", "-c", str(HARNESS / "nginx.conf")], check=True
    )
    if not wait_for(UPSTREAM + "/health", 10):
        sys.exit("gateway_bench: the fake upstream (nginx) did not start")
    return True


def stop_nginx() -> None:
    pid_file = NGINX_PREFIX / "nginx.pid"
    if pid_file.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in task.read_text().split()]
    return found


def stop_tree(pid: int) -> None:
    """SIGTERM a process we started (its workers go with it); SIGKILL what is left after 20 s."""
    tree = _tree(pid)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in tree):
        time.sleep(0.2)
    for left in tree:
        with contextlib.suppress(OSError):
            os.kill(left, signal.SIGKILL)


def run_harness(
    label: str,
    base_url: str,
    args: argparse.Namespace,
    key: str = "sk-dummy",
    pids: list[int] | None = None,
    repeats: int | None = None,
) -> list[str]:
    """Run bench.sh; return its result lines (``target conc rps p50_ms p99_ms # ...``)."""
    runs = str(repeats or args.repeats)
    command = ["bash", str(HARNESS / "bench.sh"), "-l", label, "-k", key, "-r", runs]
    if pids:
        command += ["-p", ",".join(str(p) for p in pids)]
    if args.quick:
        command.append("-q")
    command.append(base_url)
    env = {"QUIET_WAIT": "30", "RETRIES": "1", **os.environ, "KEEP_NGINX": "1"}
    say(f"running {label} against {base_url}")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    sys.stderr.write(done.stderr)
    lines = [
        line
        for line in done.stdout.splitlines()
        if line and not line.startswith("target ") and not line.startswith("#")
    ]
    for line in lines:
        print(line, flush=True)
    if done.returncode != 0:
        say(f"{label}: bench.sh exited with {done.returncode}")
    return lines


@dataclass
class Gateway:
    """A running ``recast serve`` for the bench."""

    label: str
    url: str
    key: str
    process: subprocess.Popen[bytes]
    home: Path
    capture: bool


def recast_executable() -> str:
    """The project's ``recast`` (its .venv's, else the one on PATH)."""
    found = shutil.which("recast", path=str(ROOT / ".venv" / "bin")) or shutil.which("recast")
    if found is None:
        sys.exit("recast is not installed: run scripts/test or pip install -e .")
    return found


def write_config(home: Path, extra: str = "") -> Path:
    """The benches' gateway config in ``home``: the fake upstream, gateway keys required."""
    config = home / "gateway.yaml"
    config.write_text(
        "upstreams:\n"
        "  - name: fake\n"
        f"    base_url: {UPSTREAM}/v1\n"
        "    api_key_env: BENCH_UPSTREAM_KEY\n"
        "access:\n"
        "  require_key: true\n" + extra
    )
    return config


def create_key(recast: str, config: Path, env: dict[str, str]) -> str:
    """A gateway key for the bench's requests (printed once by ``recast serve keys``)."""
    return subprocess.run(
        [recast, "serve", "keys", "create", "bench", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()


def serve_arguments(config: Path, port: int, workers: int, capture: bool, log: str) -> list[str]:
    """``recast serve``'s arguments for a bench gateway."""
    command = ["serve", "--config", str(config), "--port", str(port), "--workers", str(workers)]
    return [*command, "--log-level", log, *([] if capture else ["--no-capture"])]


@contextlib.contextmanager
def running_recast(args: argparse.Namespace, capture: bool, port: int) -> Iterator[Gateway | None]:
    """Start ``recast serve`` (with or without capture) in its own home; stop it after."""
    home = Path(tempfile.mkdtemp(prefix="recast-bench-"))
    config = write_config(home)
    env = {**os.environ, "RECAST_HOME": str(home), "BENCH_UPSTREAM_KEY": "sk-dummy-upstream"}
    recast = recast_executable()
    key = create_key(recast, config, env)
    # log level info: lifecycle lines only (no access log), and the capture totals at shutdown
    command = [recast, *serve_arguments(config, port, args.workers, capture, "info")]
    log = open(home / "serve.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    label = "recast" if capture else "recast-nocap"
    try:
        if not wait_for(f"http://127.0.0.1:{port}/readyz", 60):
            say(f"{label}: gateway did not become ready; see {home / 'serve.log'}")
            yield None
        else:
            yield Gateway(label, f"http://127.0.0.1:{port}/v1", key, process, home, capture)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if capture:
            report_capture_totals(home / "serve.log")
        shutil.rmtree(home, ignore_errors=True)


def run_recast_pair(args: argparse.Namespace) -> list[str]:
    """Both recast targets up at once, their repeats alternating (capture, no capture, ...),
    so a noisy spell on this shared machine hits both alike. Before each run the capture
    gateway's writer finishes its backlog, so neither run pays for the other's captures."""
    lines: list[str] = []
    wanted = [c for c, name in ((True, "recast"), (False, "recast-nocap")) if name not in args.skip]
    with contextlib.ExitStack() as stack:
        gateways = [
            stack.enter_context(running_recast(args, capture, 18090 + index))
            for index, capture in enumerate(wanted)
        ]
        served = 0
        for _ in range(1 if args.quick else args.repeats):
            for gw in gateways:
                if gw is None:
                    continue
                for other in gateways:
                    if other is not None and other.capture:
                        wait_for_backlog(other.home / "recast.db")
                run = run_harness(gw.label, gw.url, args, gw.key, [gw.process.pid], repeats=1)
                lines += run
                if gw.capture:
                    served += sum(int(n) for line in run for n in re.findall(r"\bn=(\d+)", line))
        for gw in gateways:
            if gw is not None and gw.capture:
                report_capture_backlog(gw.home / "recast.db", _tree(gw.process.pid), served)
        up = {gw.capture: gw for gw in gateways if gw is not None}
        if args.capture_pairs and not args.quick and len(up) == 2:
            measure_capture_pairs(up[True], up[False], args)
    return lines


def _wrk_rps(gw: Gateway, conc: int, seconds: int) -> tuple[float, float]:
    """One closed-loop wrk run of the harness's chat request: (rps, gateway CPU µs/request)."""
    tree = _tree(gw.process.pid)
    cpu_before, started = _cpu_seconds(tree), time.monotonic()
    script, url = str(HARNESS / "chat.lua"), gw.url + "/chat/completions"
    done = subprocess.run(
        ["wrk", "-t1", f"-c{conc}", f"-d{seconds}s", "--timeout", "30s", "-s", script, url],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_CONC": str(conc), "BENCH_API_KEY": gw.key},
    )
    wall = time.monotonic() - started
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    rps = float(match.group(1)) if match else 0.0
    cpu = _cpu_seconds(_tree(gw.process.pid)) - cpu_before
    return rps, (cpu / (rps * wall) * 1e6 if rps else 0.0)


def median_interval(values: list[float], level: float = 0.9) -> tuple[float, float, float]:
    """The median of ``values`` and a bootstrap ``level`` interval for it (fixed seed, so a
    rerun on the same numbers prints the same interval)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    tail = int(len(medians) * (1 - level) / 2)
    return statistics.median(values), medians[tail], medians[-tail - 1]


def measure_capture_pairs(on: Gateway, off: Gateway, args: argparse.Namespace) -> None:
    """Price capture at c=64 from many short alternating pairs (ABBA order).

    Throughput on this kind of shared machine drifts by ±15 % from one 20 s run to the
    next, more than capture's price, so a handful of repeats cannot tell 5 % from 15 %.
    Each pair runs both gateways back to back (the capture writer's backlog drained
    before each run, as in the harness runs), the cost is ``1 - on/off`` per pair, and
    the median over pairs comes with a bootstrap 90 % interval.
    """
    seconds, count = args.pair_seconds, args.capture_pairs
    say(f"capture cost: {count} alternating pairs of {seconds} s at c=64")
    db = on.home / "recast.db"
    costs, cpu_changes = [], []
    for index in range(count):
        runs = {}
        for gw in (on, off) if index % 2 == 0 else (off, on):
            wait_for_backlog(db, quiet=1.5)
            runs[gw.capture] = _wrk_rps(gw, 64, seconds)
        (rps_on, cpu_on), (rps_off, cpu_off) = runs[True], runs[False]
        if not (rps_on and rps_off):
            say(f"pair {index + 1}: a wrk run failed; pair skipped")
            continue
        costs.append((1 - rps_on / rps_off) * 100)
        cpu_changes.append((cpu_on / cpu_off - 1) * 100)
        print(
            f"# pair {index + 1}: recast {rps_on:.0f} rps ({cpu_on:.0f} µs/req), "
            f"recast-nocap {rps_off:.0f} rps ({cpu_off:.0f} µs/req): cost {costs[-1]:+.1f}%",
            flush=True,
        )
    if len(costs) >= 3:
        middle, low, high = median_interval(costs)
        cpu = statistics.median(cpu_changes)
        print(
            f"capture cost c=64, median of {len(costs)} alternating {seconds} s pairs: "
            f"{middle:.1f}% of throughput (90% interval {low:.1f} to {high:.1f}%), "
            f"{cpu:+.1f}% gateway CPU per request",
            flush=True,
        )


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, index = [pid], 0
    while index < len(tree):
        tree += _children(tree[index])
        index += 1
    return tree


def _stored(db: Path) -> int:
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM exchanges").fetchone()[0])
    except sqlite3.Error:
        return -1


def wait_for_backlog(db: Path, quiet: float = 3.0) -> float:
    """Wait until the store stops growing for ``quiet`` seconds; return how long it grew."""
    started, last, still = time.monotonic(), _stored(db), 0.0
    while still < quiet and time.monotonic() - started < 600:
        time.sleep(0.5)
        now = _stored(db)
        still = still + 0.5 if now == last else 0.0
        last = now
    return time.monotonic() - started - still


def report_capture_backlog(db: Path, pids: list[int], served: int) -> None:
    """After the last run: how long the low-priority writer took to catch up, the CPU it
    spent doing so, and how many exchanges the store holds (printed for the note)."""
    cpu_before = _cpu_seconds(pids)
    spent = wait_for_backlog(db)
    cpu = _cpu_seconds(pids) - cpu_before
    print(
        f"# capture backlog: store holds {_stored(db)} exchanges for {served} measured requests "
        f"(+ the harness's warm-up and sanity requests); the writer caught up {spent:.1f} s "
        f"after the last run, using {cpu:.1f} CPU-s",
        flush=True,
    )


def report_capture_totals(serve_log: Path) -> None:
    """Sum what each worker's capture reported at shutdown (captured, dropped, failed)."""
    import json

    totals = {
        "workers": 0,
        "captured": 0,
        "dropped": 0,
        "failed": 0,
        "pending": 0,
        "catch_up_batches": 0,
    }
    for line in serve_log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            doc = json.loads(line)
            if isinstance(doc, dict) and doc.get("event") == "capture_closed":
                totals["workers"] += 1
                for key in list(totals)[1:]:  # all but "workers"
                    totals[key] += int(doc.get(key, 0))
    print("# capture totals at shutdown: " + ", ".join(f"{k} {v}" for k, v in totals.items()))


def ensure_litellm(venv: Path) -> Path | None:
    binary = venv / "bin" / "litellm"
    if binary.exists():
        return binary
    say(f"creating {venv} and installing 'litellm[proxy]' (a few minutes)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"], check=True, timeout=1800
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        say(f"LiteLLM skipped: could not install litellm[proxy] into {venv} ({exc})")
        return None
    return binary if binary.exists() else None


def litellm_target(args: argparse.Namespace) -> list[str]:
    venv = Path(args.litellm_venv)
    if ensure_litellm(venv) is None:
        return []
    config = HARNESS / "litellm_config.yaml"
    master = next(
        line.split(":", 1)[1].strip()
        for line in config.read_text().splitlines()
        if line.strip().startswith("master_key:")
    )
    env = {**os.environ, "LITELLM_VENV": str(venv)}
    started = subprocess.run(
        ["bash", str(HARNESS / "litellm_run.sh"), str(config), "14000", "2"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    pid = int(started.stdout.strip().splitlines()[-1])
    try:
        if not wait_for("http://127.0.0.1:14000/health/liveliness", 180):
            say("LiteLLM skipped: the proxy did not come up (see /tmp/litellm-14000.log)")
            return []
        return run_harness("litellm", "http://127.0.0.1:14000/v1", args, master, [pid])
    finally:
        stop_tree(pid)


Row = tuple[float, float, float, float | None]


def summarise(lines: list[str]) -> dict[tuple[str, str], Row]:
    """(target, conc) -> median (rps, p50_ms, p99_ms, gateway CPU µs per request) over repeats.

    The CPU figure comes from the harness's ``gw=`` share (the gateway's processes and their
    children, capture writers included): on a shared machine it is steadier than rps.
    """
    runs: dict[tuple[str, str], list[Row]] = {}
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 5 or fields[2] == "NA":
            continue
        target, conc = fields[0], fields[1]
        rps = float(fields[2])
        match = re.search(r"gw=(\d+)%", line)
        cpu = float(match.group(1)) * 10_000 / rps if match and rps else None
        runs.setdefault((target, conc), []).append((rps, float(fields[3]), float(fields[4]), cpu))
    table: dict[tuple[str, str], Row] = {}
    for key, values in runs.items():
        cpus = [c for *_, c in values if c is not None]
        table[key] = (
            statistics.median(v[0] for v in values),
            statistics.median(v[1] for v in values),
            statistics.median(v[2] for v in values),
            statistics.median(cpus) if cpus else None,
        )
    return table


def report(table: dict[tuple[str, str], Row]) -> None:
    print()
    print(f"{'target':<22}{'conc':>5}{'rps':>10}{'p50_ms':>10}{'p99_ms':>10}{'gw_cpu_us/req':>15}")
    for (target, conc), (rps, p50, p99, cpu) in table.items():
        cpu_text = f"{cpu:.0f}" if cpu is not None else "-"
        print(f"{target:<22}{conc:>5}{rps:>10.1f}{p50:>10.3f}{p99:>10.3f}{cpu_text:>15}")
    print()

    def get(target: str, conc: str) -> Row | None:
        return table.get((target, conc))

    direct1 = get("direct", "1")
    for target in ("recast", "recast-nocap", "litellm"):
        one = get(target, "1")
        if one and direct1:
            print(f"added p50 at c=1, {target}: {one[1] - direct1[1]:.3f} ms")
    for conc, label in (("64", ""), ("16", ":stream")):
        lite = get("litellm" + label, conc)
        for target in ("recast", "recast-nocap"):
            mine = get(target + label, conc)
            if mine and lite:
                print(
                    f"throughput c={conc}{' stream' if label else ''}, {target} / litellm: "
                    f"{mine[0] / lite[0]:.1f}x ({mine[0]:.0f} vs {lite[0]:.0f} rps)"
                )
    for conc, label in (("64", ""), ("16", ":stream")):
        on, off = get("recast" + label, conc), get("recast-nocap" + label, conc)
        if on and off:
            line = (
                f"capture cost c={conc}{' stream' if label else ''}: "
                f"{(1 - on[0] / off[0]) * 100:.1f}% of throughput"
            )
            if on[3] and off[3]:
                line += f", {(on[3] / off[3] - 1) * 100:+.1f}% gateway CPU per request"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3-second runs, one repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="recast serve --workers")
    parser.add_argument("--litellm-venv", default="/tmp/litellm-venv")
    parser.add_argument(
        "--capture-pairs",
        type=int,
        default=12,
        help="alternating short c=64 pairs that price capture (0: none; skipped with --quick)",
    )
    parser.add_argument("--pair-seconds", type=int, default=8, help="length of each paired run")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["direct", "recast", "recast-nocap", "litellm"],
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"gateway_bench: {tool!r} not found (apt-get install -y nginx-light wrk curl)")
    started = start_nginx()
    lines: list[str] = []
    try:
        print("target conc rps p50_ms p99_ms")
        if "direct" not in args.skip:
            lines += run_harness("direct", UPSTREAM + "/v1", args)
        lines += run_recast_pair(args)
        if "litellm" not in args.skip:
            lines += litellm_target(args)
    finally:
        if started:
            stop_nginx()
    report(summarise(lines))


if __name__ == "__main__":
    main()
