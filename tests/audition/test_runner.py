"""The live runner against a real local HTTP server (the providers' fake LLM server)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.fakes import Fail, FakeLLMServer, Hang, Reply, echo
from recast.audition import Case, Response
from recast.audition._runner import _BatchWriter, run_candidates
from recast.catalog import Prices
from recast.errors import BudgetExceeded, ProviderRejected, StoreError
from recast.providers import parse_candidate_spec
from recast.store import AuditionResult, open_store

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


class _GatedStore:
    """A store whose commits wait for ``gate``: answers pile up while one is saving."""

    def __init__(self, store: object) -> None:
        self.store = store
        self.gate = threading.Event()
        self.batches: list[int] = []

    def save_results(self, results: list[AuditionResult]) -> int:
        self.gate.wait(10)
        self.batches.append(len(results))
        return self.store.save_results(results)  # type: ignore[attr-defined, no-any-return]


async def test_writer_batches_and_counts_answers_only_once_durable(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    run = store.create_run("r", {}, "fp")
    gated = _GatedStore(store)
    writer = _BatchWriter(gated, limit=8)  # type: ignore[arg-type]
    done: list[int] = []
    for i in range(3):
        await writer.put(AuditionResult(run.id, f"c{i}", "m"), lambda i=i: done.append(i))
    await asyncio.sleep(0.05)  # the writer took the batch and waits on the gate
    assert done == [] and store.results_for(run.id) == []
    await writer.put(AuditionResult(run.id, "c3", "m"), lambda: done.append(3))
    gated.gate.set()
    await writer.close()
    assert gated.batches == [3, 1]  # one commit for the three queued together
    assert done == [0, 1, 2, 3] and len(store.results_for(run.id)) == 4
    store.close()


async def test_interruption_saves_answers_not_yet_committed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    run = store.create_run("r", {}, "fp")
    gated = _GatedStore(store)
    writer = _BatchWriter(gated, limit=8)  # type: ignore[arg-type]
    done: list[int] = []
    for i in range(2):
        await writer.put(AuditionResult(run.id, f"c{i}", "m"), lambda i=i: done.append(i))
    await asyncio.sleep(0.05)  # c0, c1 are being committed; c2, c3 wait behind them
    for i in range(2, 4):
        await writer.put(AuditionResult(run.id, f"c{i}", "m"), lambda i=i: done.append(i))
    gated.gate.set()
    writer.salvage()  # what Ctrl-C does on the way out
    await asyncio.sleep(0.05)
    assert {r.case_id for r in store.results_for(run.id)} == {"c0", "c1", "c2", "c3"}
    assert done == []  # the run is stopping: nothing is announced as done
    store.close()


class _BrokenStore:
    """A real store whose result saves fail, as a full disk would."""

    def __init__(self, store: object) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def save_results(self, results: list[AuditionResult]) -> int:
        raise StoreError("Cannot write the store: disk full. Free some space.")


async def test_a_failed_save_stops_the_run(fake: FakeLLMServer, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    with pytest.raises(StoreError, match="disk full"):
        await run_candidates(
            _cases(40),
            [_spec(fake)],  # type: ignore[list-item]
            store=_BrokenStore(store),  # type: ignore[arg-type]
            prices=prices,
            concurrency=4,
            use_cache=False,
        )
    # The workers stopped calling the upstream soon after the first failed commit.
    assert fake.request_count < 40
    [run] = store.list_runs()
    assert store.results_for(run.id) == [] and run.status == "interrupted"
    store.close()


async def test_a_failing_progress_hook_stops_the_run(fake: FakeLLMServer, tmp_path: Path) -> None:
    def progress(name: str, done: int, total: int, spent: float) -> None:
        if done >= 3:
            raise RuntimeError("display closed")

    with pytest.raises(RuntimeError, match="display closed"):
        await _run(fake, _cases(40), tmp_path, concurrency=4, use_cache=False, progress=progress)
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    [run] = store.list_runs()
    assert run.status == "interrupted" and len(store.results_for(run.id)) >= 3
    store.close()


async def test_progress_only_counts_saved_answers(fake: FakeLLMServer, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    seen: list[tuple[int, int]] = []

    def progress(name: str, done: int, total: int, spent: float) -> None:
        [run] = store.list_runs()
        seen.append((done, len(store.results_for(run.id))))

    await run_candidates(
        _cases(16),
        [_spec(fake)],  # type: ignore[list-item]
        store=store,
        prices=prices,
        concurrency=8,
        use_cache=False,
        progress=progress,
    )
    store.close()
    assert seen[-1] == (16, 16)
    assert all(done <= stored for done, stored in seen)


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
from recast.audition._runner import _BatchWriter, run_candidates
from recast.catalog import Prices
from recast.providers import parse_candidate_spec
from recast.store import AuditionResult, open_store
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


def test_cli_live_candidate_end_to_end(
    fake: FakeLLMServer, recorded_data: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from recast.cli.main import app

    arena = recorded_data / "arena-hard"
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    args = [
        "audition",
        "--cases",
        str(arena / "gpt-4-0314.jsonl"),
        "--sample",
        "10",
        "--candidate",
        f"local=openai-compatible:{fake.openai_url}#fake-model",
        "--candidate",
        f"gpt-4-0613=replay:{arena / 'gpt-4-0613.jsonl'}",
        "--store",
        db,
        "--concurrency",
        "3",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["run_id"]
    live = next(c for c in doc["candidates"] if c["name"] == "local")
    assert live["kind"] == "live" and live["failures"] == 0
    assert live["metrics"]["fidelity"]["n"] == 10
    assert fake.request_count == 10 and fake.max_in_flight <= 3
    # The echo model repeats the prompt: far less faithful than gpt-4-0613's real answers.
    assert doc["candidates"][0]["name"] == "gpt-4-0613"
    # Rerun: the same run resumes, no new calls.
    fake.reset()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert fake.request_count == 0
    assert json.loads(again.stdout)["run_id"] == doc["run_id"]
