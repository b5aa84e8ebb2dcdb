"""The live runner against a real local HTTP server (the providers' fake LLM server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.fakes import Fail, FakeLLMServer, Hang, Reply, echo
from recast.audition import Case, Response
from recast.audition._runner import run_candidates
from recast.catalog import Prices
from recast.errors import BudgetExceeded, ProviderRejected
from recast.providers import parse_candidate_spec
from recast.store import open_store

ROOT = Path(__file__).resolve().parents[2]
PRICE = Prices(input=1000.0, output=1000.0)  # USD per 1M tokens: 1 token = $0.001


def prices(model: str) -> Prices | None:
    return PRICE


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def fake(server: FakeLLMServer) -> FakeLLMServer:
    server.reset()
    server.default = echo
    return server


def _cases(n: int) -> list[Case]:
    return [
        Case(
            id=f"c{i}",
            messages=({"role": "user", "content": f"question number {i}"},),
            baseline=Response(text=f"answer {i}", output_tokens=4),
        )
        for i in range(n)
    ]


def _spec(server: FakeLLMServer) -> object:
    return parse_candidate_spec(f"fake=openai-compatible:{server.openai_url}#fake-model")


async def _run(server: FakeLLMServer, cases: list[Case], tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        return await run_candidates(
            cases,
            [_spec(server)],
            store=store,
            prices=prices,
            **kw,  # type: ignore[list-item, arg-type]
        )
    finally:
        store.close()


async def test_calls_every_case_and_persists(fake: FakeLLMServer, tmp_path: Path) -> None:
    outcome = await _run(fake, _cases(12), tmp_path, concurrency=4, use_cache=False)
    texts = [r.text for r in outcome.responses["fake"]]  # type: ignore[union-attr]
    assert texts == [f"echo: question number {i}" for i in range(12)]
    assert fake.request_count == 12 and fake.max_in_flight <= 4
    assert outcome.spent_usd["fake"] > 0
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    assert len(store.results_for(outcome.run_id)) == 12
    store.close()


async def test_rerun_pays_nothing_twice(fake: FakeLLMServer, tmp_path: Path) -> None:
    await _run(fake, _cases(6), tmp_path, use_cache=False)
    fake.reset()
    outcome = await _run(fake, _cases(6), tmp_path, use_cache=False)
    assert fake.request_count == 0 and outcome.resumed == 6 and outcome.called == 0


async def test_cache_hit_is_free(fake: FakeLLMServer, tmp_path: Path) -> None:
    await _run(fake, _cases(3), tmp_path / "a")
    fake.reset()
    outcome = await _run(fake, _cases(3), tmp_path / "b")  # a new run, same requests
    assert fake.request_count == 0
    assert all(r is not None and r.cached for r in outcome.responses["fake"])
    assert outcome.spent_usd["fake"] == 0


async def test_429_with_retry_after_and_5xx_are_retried(
    fake: FakeLLMServer, tmp_path: Path
) -> None:
    fake.script(Fail(429, headers={"retry-after": "1"}), Fail(503), Fail(500))
    started = time.monotonic()
    outcome = await _run(fake, _cases(1), tmp_path, use_cache=False)
    assert outcome.responses["fake"][0].text == "echo: question number 0"  # type: ignore[union-attr]
    assert fake.request_count == 4
    assert time.monotonic() - started >= 1.0  # the Retry-After was honoured


async def test_timeout_is_recorded_as_a_failure(fake: FakeLLMServer, tmp_path: Path) -> None:
    fake.script(*[Hang(5.0)] * 2)
    outcome = await _run(fake, _cases(1), tmp_path, use_cache=False, timeout=0.3, max_attempts=2)
    response = outcome.responses["fake"][0]
    assert response is not None and response.error
    # A resumed run retries the failed pair.
    fake.reset()
    outcome = await _run(fake, _cases(1), tmp_path, use_cache=False, timeout=5)
    assert outcome.responses["fake"][0].text.startswith("echo")  # type: ignore[union-attr]


async def test_auth_error_stops_at_once(fake: FakeLLMServer, tmp_path: Path) -> None:
    fake.default = Fail(401, body={"error": {"message": "bad key"}})
    with pytest.raises(ProviderRejected, match="OPENAI_COMPATIBLE_API_KEY"):
        await _run(fake, _cases(20), tmp_path, use_cache=False, concurrency=2)
    assert fake.request_count < 20


async def test_budget_preflight_and_hard_stop(fake: FakeLLMServer, tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded, match="estimated"):
        await _run(fake, _cases(50), tmp_path, budget_usd=0.001, use_cache=False)
    assert fake.request_count == 0
    # Real answers are longer than the estimate: the hard cap stops the run midway.
    fake.default = Reply("word " * 40, usage=(10, 40, 0))
    budget = 0.8
    with pytest.raises(BudgetExceeded, match="Stopped at the --budget"):
        await _run(
            fake, _cases(50), tmp_path / "b", budget_usd=budget, use_cache=False, concurrency=2
        )
    store = open_store(f"sqlite:///{tmp_path / 'b' / 'runs.db'}")
    run = store.list_runs()[0]
    # Calls already in flight when the cap is reached still finish (at most the concurrency).
    assert budget - 0.05 <= store.spent_usd(run.id) <= budget + 2 * 0.05 + 1e-9
    assert 0 < len(store.results_for(run.id)) < 50
    store.close()


async def test_rate_limit_is_respected(fake: FakeLLMServer, tmp_path: Path) -> None:
    started = time.monotonic()
    await _run(fake, _cases(8), tmp_path, rpm=240, concurrency=8, use_cache=False)
    arrivals = sorted(r.at for r in fake.requests)
    # 240 rpm = 4/s: after the initial burst allowance, 8 calls take well over a second.
    assert arrivals[-1] - arrivals[0] >= 0.9
    assert time.monotonic() - started >= 0.9


_CHILD = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from recast.audition import Case, Response
from recast.audition._runner import run_candidates
from recast.catalog import Prices
from recast.providers import parse_candidate_spec
from recast.store import open_store
cases = [Case(id=f"c{{i}}", messages=({{"role": "user", "content": f"question number {{i}}"}},),
              baseline=Response(text="x", output_tokens=4)) for i in range(40)]
spec = parse_candidate_spec("fake=openai-compatible:{url}#fake-model")
store = open_store({db!r})
asyncio.run(run_candidates(cases, [spec], store=store, prices=lambda m: Prices(1000.0, 1000.0),
                           concurrency=2, use_cache=False))
"""


def test_resume_after_kill_has_no_duplicate_spend(fake: FakeLLMServer, tmp_path: Path) -> None:
    fake.default = Reply("slow answer", latency=0.15, usage=(10, 5, 0))
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    script = _CHILD.format(tests=str(ROOT / "tests"), url=fake.openai_url, db=db)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, "-c", script], env=env)
    store = open_store(db)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = store.list_runs()
        if runs and len(store.results_for(runs[0].id)) >= 8:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    run_id = store.list_runs()[0].id
    done_before = len(store.results_for(run_id))
    assert 8 <= done_before < 40
    first_prompts = Counter(r.prompt for r in fake.requests)
    child = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert child.returncode == 0
    results = store.results_for(run_id)
    assert len(results) == 40 and len({r.case_id for r in results}) == 40
    # Each case was answered (and paid) once: requests after the restart only for the rest.
    prompts = Counter(r.prompt for r in fake.requests)
    repeated = [p for p, n in prompts.items() if n > 1]
    # Calls in flight at the kill (at most the concurrency) may be sent again: their
    # answers were lost with the process.
    assert len(repeated) <= 2
    assert sum(prompts.values()) <= 40 + 2
    assert sum(first_prompts.values()) >= done_before
    spent = store.spent_usd(run_id)
    assert spent == pytest.approx(40 * 15 / 1000)
    store.close()
    json.dumps(spent)
