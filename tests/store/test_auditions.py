"""Audition runs and results: idempotent saves, resume without paying twice."""

from __future__ import annotations

import pytest

from recast.errors import StoreError
from recast.store import AuditionResult, Store


def _result(run_id: str, case: str, candidate: str, **fields: object) -> AuditionResult:
    return AuditionResult(run_id=run_id, case_id=case, candidate=candidate, **fields)  # type: ignore[arg-type]


def test_create_get_find_list(store: Store) -> None:
    config = {
        "cases": {"path": "cases.jsonl", "sha256": "ab12"},
        "candidates": ["gpt-4.1"],
        "budget": 5,
    }
    first = store.create_run("nightly", config, fingerprint="fp-1")
    second = store.create_run("nightly again", config, fingerprint="fp-1")
    other = store.create_run("other", {}, fingerprint="fp-2")
    assert store.get_run(first.id) == first
    assert first.config == config and first.status == "running"
    assert store.get_run("missing") is None
    assert store.find_run("fp-1") == second  # the most recent
    assert store.find_run("fp-3") is None
    assert [r.id for r in store.list_runs()] == [other.id, second.id, first.id]
    assert [r.id for r in store.list_runs(limit=1)] == [other.id]


def test_status_changes(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    done = store.set_run_status(run.id, "complete")
    assert done.status == "complete" and done.updated_at >= run.updated_at
    with pytest.raises(StoreError, match="Unknown run status 'finished'"):
        store.set_run_status(run.id, "finished")
    with pytest.raises(StoreError, match="No audition run 'nope'"):
        store.set_run_status("nope", "complete")


def test_save_result_is_idempotent(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    first = _result(
        run.id,
        "case-1",
        "gpt-4.1",
        response={"text": "A"},
        cost_usd=0.01,
        input_tokens=10,
        output_tokens=5,
        latency_ms=300.0,
        scores={"style": 0.9},
    )
    assert store.save_result(first)
    assert not store.save_result(
        _result(run.id, "case-1", "gpt-4.1", response={"text": "B"}, cost_usd=0.02)
    )
    [stored] = store.results_for(run.id)
    assert stored == first
    assert store.spent_usd(run.id) == pytest.approx(0.01)


def test_failed_result_is_retried_and_replaced(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    assert store.save_result(_result(run.id, "c", "m", error="timeout"))
    assert store.completed_pairs(run.id) == set()
    assert store.completed_pairs(run.id, include_errors=True) == {("c", "m")}
    assert store.save_result(_result(run.id, "c", "m", response="ok", cost_usd=0.5))
    assert store.completed_pairs(run.id) == {("c", "m")}
    [stored] = store.results_for(run.id)
    assert stored.error is None and stored.response == "ok"
    assert not store.save_result(_result(run.id, "c", "m", error="later failure"))


def test_results_need_a_run(store: Store) -> None:
    with pytest.raises(StoreError, match="no such run"):
        store.save_result(_result("missing-run", "c", "m"))


def test_save_results_batch_follows_the_single_save_rules(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    assert store.save_results([]) == 0
    assert store.save_result(_result(run.id, "done", "m", response="kept", cost_usd=0.5))
    assert store.save_result(_result(run.id, "failed", "m", error="timeout"))
    batch = [
        _result(run.id, "done", "m", response="not kept", cost_usd=9.0),  # already answered
        _result(run.id, "failed", "m", response="retried", cost_usd=0.25),  # replaces a failure
        *(_result(run.id, f"new-{i}", "m", response=i, cost_usd=0.125) for i in range(6)),
    ]
    assert store.save_results(batch) == 7
    stored = {r.case_id: r for r in store.results_for(run.id)}
    assert len(stored) == 8
    assert stored["done"].response == "kept" and stored["failed"].response == "retried"
    assert stored["failed"].error is None
    assert store.spent_usd(run.id) == pytest.approx(0.5 + 0.25 + 6 * 0.125)
    assert store.completed_pairs(run.id) == {(c, "m") for c in stored}


def test_save_results_is_all_or_nothing(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    batch = [_result(run.id, "a", "m"), _result("missing-run", "b", "m"), _result(run.id, "c", "m")]
    with pytest.raises(StoreError, match=r"no such run.*none of the batch"):
        store.save_results(batch)
    assert store.results_for(run.id) == []


def test_results_order_filter_and_scores(store: Store) -> None:
    run = store.create_run("r", {}, "fp")
    for case in ("c2", "c1"):
        for cand in ("b", "a"):
            store.save_result(_result(run.id, case, cand, cost_usd=0.25))
    order = [(r.case_id, r.candidate) for r in store.results_for(run.id)]
    assert order == [("c1", "a"), ("c1", "b"), ("c2", "a"), ("c2", "b")]
    assert [r.case_id for r in store.results_for(run.id, candidate="a")] == ["c1", "c2"]
    store.set_scores(run.id, "c1", "a", {"content": 0.5})
    store.set_scores(run.id, "c1", "a", {"style": 0.25})
    [scored] = [r for r in store.results_for(run.id) if (r.case_id, r.candidate) == ("c1", "a")]
    assert scored.scores == {"content": 0.5, "style": 0.25}
    with pytest.raises(StoreError, match="save_result"):
        store.set_scores(run.id, "c9", "a", {"x": 1})
    assert store.spent_usd(run.id) == pytest.approx(1.0)
    assert store.spent_usd("no-run") == 0.0


def test_results_of_one_run_do_not_leak_into_another(store: Store) -> None:
    one = store.create_run("one", {}, "fp")
    two = store.create_run("two", {}, "fp")
    store.save_result(_result(one.id, "c", "m", cost_usd=1.0))
    assert store.completed_pairs(two.id) == set()
    assert store.spent_usd(two.id) == 0.0


class Interrupted(Exception):
    pass


def _audition(
    store: Store,
    fingerprint: str,
    cases: list[str],
    candidates: list[str],
    calls: list[tuple[str, str]],
    stop_after: int | None = None,
) -> str:
    """A miniature runner: what the audition engine does with the store."""
    run = store.find_run(fingerprint) or store.create_run("demo", {"cases": cases}, fingerprint)
    done = store.completed_pairs(run.id)
    for case in cases:
        for candidate in candidates:
            if (case, candidate) in done:
                continue
            if stop_after is not None and len(calls) >= stop_after:
                store.set_run_status(run.id, "interrupted")
                raise Interrupted
            calls.append((case, candidate))  # the paid call
            store.save_result(
                _result(run.id, case, candidate, response=f"{candidate}:{case}", cost_usd=0.1)
            )
    store.set_run_status(run.id, "complete")
    return run.id


def test_interrupted_run_resumes_without_paying_twice(store: Store) -> None:
    cases = [f"case-{i}" for i in range(7)]
    candidates = ["gpt-4.1", "claude-sonnet-4-5"]
    calls: list[tuple[str, str]] = []
    with pytest.raises(Interrupted):
        _audition(store, "fp", cases, candidates, calls, stop_after=5)
    run = store.find_run("fp")
    assert run is not None and run.status == "interrupted"
    run_id = _audition(store, "fp", cases, candidates, calls)
    assert run_id == run.id
    assert len(calls) == len(set(calls)) == 14
    assert store.spent_usd(run_id) == pytest.approx(1.4)
    assert len(store.results_for(run_id)) == 14
    get = store.get_run(run_id)
    assert get is not None and get.status == "complete"


def test_watch_state(store: Store) -> None:
    assert store.get_state("last_sync") is None
    assert store.get_state("last_sync", {"never": True}) == {"never": True}
    store.set_state("last_sync", {"at": "2026-01-01T00:00:00Z", "seen": ["gpt-4o"]})
    store.set_state("last_sync", {"at": "2026-01-02T00:00:00Z", "seen": []})
    assert store.get_state("last_sync") == {"at": "2026-01-02T00:00:00Z", "seen": []}
