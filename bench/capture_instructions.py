"""Capture's price in instructions per request: a count that does not drift with the machine.

Throughput on a shared two-core VM moves by ±15 % from one minute to the next, more than
capture costs, so ``gateway_bench.py`` prices capture from many alternating pairs and
still gets a wide interval. This script counts instead: it runs ``recast serve`` (one
worker, serving in the main process) under valgrind's callgrind, with and without
capture side by side (and, with ``--baseline-src``, capture from another checkout),
drives each with the harness's chat request through ``wrk``, and counts the
instructions the gateway process executed for the requests of a measured window. The
count is the same on a quiet machine and a busy one (repeat runs agree within 1 %), so
a change to the capture path shows as a number, not as a hope.

    .venv/bin/python bench/capture_instructions.py              # 20 s measured window
    .venv/bin/python bench/capture_instructions.py --stream      # streamed completions
    git worktree add /tmp/base main                             # price a change against
    .venv/bin/python bench/capture_instructions.py --baseline-src /tmp/base/src

The headline is the serving (main) thread's count. The worker's other threads are
shown apart: the capture sender thread's share per request is inflated here, because
its time-based work (a ``/proc/stat`` sample at most every 0.1 s, the batch wait) is
spread over 50 times fewer requests than at full speed.

What it does not count: time in the kernel (the pipe writes to the capture writers),
cache misses, and the two writer processes (they run at idle priority;
``gateway_bench.py`` reports their CPU per request). Measured with a clock, capture costs
the workers about twice what the instruction share says (see docs/gateway.md, Speed).

Under valgrind the gateway runs about 50 times slower, so the capture config lets a
part-filled batch wait 5 s (``batch_wait_ms``): batches then fill to ``batch_size`` as
they do at full speed, instead of going every 50 ms a few exchanges at a time.

Needs ``valgrind`` (``apt-get install valgrind``), ``wrk`` and ``nginx`` (the harness in
``../shared/bench/gateway``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gateway_bench as harness  # the sibling script: nginx, wrk, paths


@dataclass
class Variant:
    """One gateway to count: with or without capture, from this tree or another."""

    name: str
    capture: bool
    port: int
    src: Path | None = None  # another checkout's src/, put first on PYTHONPATH


@dataclass
class Counted:
    """Instructions the gateway process executed while ``requests`` were served."""

    requests: int
    main_thread: int
    other_threads: int

    @property
    def other_per_request(self) -> float:
        return self.other_threads / self.requests

    @property
    def main_per_request(self) -> float:
        return self.main_thread / self.requests


def _config(home: Path, variant: Variant) -> Path:
    src = variant.src or harness.ROOT / "src"
    knows_wait = "batch_wait_ms" in (src / "recast" / "gateway" / "_config.py").read_text()
    wait = "capture:\n  batch_wait_ms: 5000\n" if variant.capture and knows_wait else ""
    return harness.write_config(home, wait)


@contextlib.contextmanager
def gateway_under_callgrind(variant: Variant, home: Path) -> Iterator[tuple[int, str, str]]:
    """Start one ``recast serve`` worker under callgrind, instrumentation off; yield its
    pid, URL and gateway key; stop it after."""
    env = {**os.environ, "RECAST_HOME": str(home), "BENCH_UPSTREAM_KEY": "sk-dummy-upstream"}
    if variant.src is not None:
        env["PYTHONPATH"] = str(variant.src)
    recast = harness.recast_executable()
    config = _config(home, variant)
    key = harness.create_key(recast, config, env)
    port = variant.port
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--separate-threads=yes",
        f"--callgrind-out-file={home / 'callgrind.out'}",
        sys.executable,
        recast,
        *harness.serve_arguments(config, port, 1, variant.capture, "warning"),
    ]
    log = open(home / "serve.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not harness.wait_for(url + "/healthz", 180):
            raise SystemExit(f"recast serve did not start under valgrind; see {home}/serve.log")
        yield process.pid, url, key
    finally:
        process.send_signal(2)
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wrk(url: str, key: str, seconds: int, args: argparse.Namespace) -> int:
    """Drive ``url`` with the harness's chat request; return the requests completed."""
    done = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "-s",
            str(harness.HARNESS / "chat.lua"),
            url + "/v1/chat/completions",
        ],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "BENCH_CONC": str(args.connections),
            "BENCH_API_KEY": key,
            "BENCH_STREAM": "1" if args.stream else "0",
        },
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        raise SystemExit(f"{errors.group(1)} requests failed against {url}:\n{done.stdout}")
    match = re.search(r"(\d+) requests in", done.stdout)
    if not match:
        raise SystemExit(f"wrk printed no request count:\n{done.stdout}{done.stderr}")
    return int(match.group(1))


def _totals(home: Path) -> tuple[int, int]:
    """Instructions of the dumped window: (main thread, all other threads)."""
    main = other = 0
    for path in home.glob("callgrind.out.1-*"):
        match = re.search(r"^totals: (\d+)", path.read_text(errors="replace"), re.MULTILINE)
        count = int(match.group(1)) if match else 0
        if path.name.endswith("-01"):
            main += count
        else:
            other += count
    return main, other


def _callgrind_control(pid: int, *command: str) -> None:
    subprocess.run(["callgrind_control", *command, str(pid)], check=True, capture_output=True)


def count(variant: Variant, args: argparse.Namespace) -> Counted:
    """Warm one gateway up, then count the instructions of a measured window of load."""
    home = Path(tempfile.mkdtemp(prefix="recast-instr-"))
    with gateway_under_callgrind(variant, home) as (pid, url, key):
        _wrk(url, key, args.warmup, args)
        time.sleep(2)
        _callgrind_control(pid, "-i", "on")
        served = _wrk(url, key, args.seconds, args)
        time.sleep(1)  # let the sender thread finish with what the window offered
        _callgrind_control(pid, "-i", "off")
        _callgrind_control(pid, "-d")
    main, other = _totals(home)
    if not main:
        raise SystemExit(f"callgrind wrote no counts; see {home}")
    shutil.rmtree(home, ignore_errors=True)
    return Counted(served, main, other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured window (default 20)")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up load (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--stream", action="store_true", help="streamed requests (SSE)")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also count capture from this checkout's src/ (e.g. a worktree of main)",
    )
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install valgrind wrk nginx-light")
    variants = [Variant("recast-nocap", False, 18311), Variant("recast", True, 18312)]
    if args.baseline_src:
        if not (args.baseline_src / "recast" / "gateway").is_dir():
            raise SystemExit(f"{args.baseline_src} is not a recast src/ directory")
        variants.append(Variant("recast@baseline", True, 18313, args.baseline_src.resolve()))
    started_nginx = harness.start_nginx()
    try:
        harness.say(
            f"counting instructions: {len(variants)} gateways under callgrind (about a minute)"
        )
        with ThreadPoolExecutor(len(variants)) as pool:
            counted = list(pool.map(lambda variant: count(variant, args), variants))
    finally:
        if started_nginx:
            harness.stop_nginx()
    report(variants, counted)


def report(variants: list[Variant], counted: list[Counted]) -> None:
    """The table, then what capture adds to the serving thread against no capture."""
    print(f"{'gateway':<17}{'requests':>9}{'serving thread':>16}{'other threads':>15}")
    for variant, result in zip(variants, counted, strict=True):
        print(
            f"{variant.name:<17}{result.requests:>9}{result.main_per_request:>16,.0f}"
            f"{result.other_per_request:>15,.0f}"
        )
    base = counted[0].main_per_request
    for variant, result in zip(variants[1:], counted[1:], strict=True):
        extra = result.main_per_request - base
        print(
            f"{variant.name}: capture adds {extra:,.0f} instructions per request "
            f"to the serving thread ({extra / base:.1%})"
        )


if __name__ == "__main__":
    main()
