"""How fast does an audition score, and does the live runner keep the upstream busy?

1. **Scoring**: loads the 500 arena-hard cases (baseline gpt-4-0314) and three
   replay candidates (gpt-4-0613, gpt-3.5-turbo-0125, and gpt-4-0314 itself as
   a control), scores them with the lexical content scorer (chrF), style,
   structure, refusal and ROUGE-L, bootstraps every metric, and prints
   cases/second for the whole run (load + score + rank). Target: under 20 s.
2. **Embeddings** (when the ``[embed]`` extra is installed): texts/second of
   the local all-MiniLM-L6-v2 embedder on CPU over the baseline answers.
3. **Live runner**: ``run_candidates`` (store, limits, retries) against the fake
   upstream of ``tests/providers/fakes.py`` (a real uvicorn server on
   127.0.0.1, its own process) with injected latency; prints achieved vs
   configured requests/s (target ratio at least 0.90) for a concurrency-bound
   and an RPM-bound run.

Usage::

    .venv/bin/python bench/audition_speed.py [--skip-embed] [--requests 240]
        [--concurrency 24] [--latency 1.0] [--rpm 1200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARENA = ROOT.parent / "shared" / "data" / "recorded" / "arena-hard"
FAKES = ROOT / "tests" / "providers" / "fakes.py"


def scoring() -> None:
    from recast.audition import (
        Candidate,
        align_replay,
        build_scorers,
        load_cases,
        load_responses,
        score_audition,
    )

    started = time.perf_counter()
    cases = load_cases([ARENA / "gpt-4-0314.jsonl"]).cases
    replays = {}
    for model in ("gpt-4-0613", "gpt-3.5-turbo-0125", "gpt-4-0314"):
        by_id, by_prompt, _ = load_responses(ARENA / f"{model}.jsonl")
        replays[Candidate(f"{model}-replay", model=model)] = align_replay(cases, by_id, by_prompt)
    loaded = time.perf_counter()
    scorers = build_scorers(["content", "style", "structure", "refusal", "rouge_l"])
    report = score_audition(cases, replays, scorers=scorers)
    done = time.perf_counter()
    total = done - started
    pairs = len(cases) * len(replays)
    load = os.getloadavg()[0]
    print(
        f"scoring: {len(cases)} cases x {len(replays)} replay candidates (load average {load:.1f})"
    )
    print(
        f"  load {loaded - started:.2f}s, score+bootstrap {done - loaded:.2f}s, total {total:.2f}s"
    )
    print(f"  {len(cases) / total:.1f} cases/s ({pairs / total:.1f} case-candidate pairs/s)")
    print(
        f"  target: whole run < 20 s -> {'OK' if total < 20 else 'SLOW'} "
        f"({total / 20:.2f} of the budget)"
    )
    for c in report.candidates:
        print(f"  {c.name:24s} fidelity {c.estimates['fidelity'].mean:.3f}")


def embedding() -> None:
    from recast.audition import load_cases

    try:
        from recast.audition.scorers import LocalEmbedder

        embedder = LocalEmbedder()
    except Exception as exc:
        print(f"embeddings: skipped ({exc})")
        return
    texts = [c.baseline.text for c in load_cases([ARENA / "gpt-4-0314.jsonl"]).cases if c.baseline]
    embedder.embed(texts[:16])  # warm up
    started = time.perf_counter()
    embedder.embed(texts[:200])
    elapsed = time.perf_counter() - started
    print(
        f"embeddings: {200 / elapsed:.1f} texts/s (all-MiniLM-L6-v2, CPU, {os.cpu_count()} cores)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/models", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the fake upstream at {url} did not start")


async def _live(url: str, requests: int, concurrency: int, rpm: float | None) -> float:
    from recast.audition import Case, Response
    from recast.audition._runner import run_candidates
    from recast.providers import parse_candidate_spec
    from recast.store import open_store

    cases = [
        Case(
            id=f"b{i}",
            messages=({"role": "user", "content": f"bench question {i} {time.time_ns()}"},),
            baseline=Response(text="x", output_tokens=4),
        )
        for i in range(requests)
    ]
    spec = parse_candidate_spec(f"bench=openai-compatible:{url}#bench-model")
    marks: list[float] = []

    def progress(name: str, done: int, total: int, spent: float) -> None:
        marks.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        await run_candidates(
            cases,
            [spec],
            store=store,
            prices=None,
            concurrency=concurrency,
            rpm=rpm,
            use_cache=False,
            progress=progress,
        )
        store.close()
    # From the first call sent (the first progress tick, after the run is set up in
    # the store) to the last answer saved.
    return requests / (marks[-1] - marks[0])


def live(requests: int, concurrency: int, latency: float, rpm: float) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(FAKES), "--port", str(port), "--latency", str(latency)]
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(url)
        print("live runner: bound        ideal_rps  achieved_rps  ratio")
        ideal = concurrency / latency
        achieved = asyncio.run(_live(url, requests, concurrency, None))
        print(f"             concurrency  {ideal:9.1f}  {achieved:12.1f}  {achieved / ideal:5.2f}")
        ideal = rpm / 60
        achieved = asyncio.run(_live(url, requests, max(64, concurrency), rpm))
        print(f"             rpm          {ideal:9.1f}  {achieved:12.1f}  {achieved / ideal:5.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--skip-embed", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--requests", type=int, default=240)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--rpm", type=float, default=1200.0)
    args = parser.parse_args()
    os.environ.setdefault("RECAST_HOME", tempfile.mkdtemp(prefix="recast-bench-"))
    scoring()
    if not args.skip_embed:
        embedding()
    if not args.skip_live:
        live(args.requests, args.concurrency, args.latency, args.rpm)


if __name__ == "__main__":
    main()
