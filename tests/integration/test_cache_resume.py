"""The audition runner's response cache and resume, against the real (slow) model.

A counting proxy between recast and the llama.cpp server records every request that
reaches the model, so "no new upstream request" is a count, not a guess.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from recast.audition._api import AuditionOptions, audition
from recast.store import open_store

from .prompts import QUESTIONS
from .servers import MODEL, Process, recast_command, run_proxy

QUESTION_OF = {case_id: question for case_id, question, _ in QUESTIONS}


def test_second_run_is_answered_from_the_cache(
    llama_server: Process, few_shot_cases: Path, tmp_path: Path
) -> None:
    with run_proxy(llama_server.url) as proxy:
        spec = f"local=openai-compatible:{proxy.v1}#{MODEL}"
        # Two different result stores, so the second run cannot resume the first one:
        # only the response cache (in RECAST_HOME) can spare the model the work.
        first = audition(
            [str(few_shot_cases)],
            [spec],
            AuditionOptions(store_url=f"sqlite:///{tmp_path / 'one.db'}", concurrency=1),
        )
        calls_after_first = len(proxy.calls())
        second = audition(
            [str(few_shot_cases)],
            [spec],
            AuditionOptions(store_url=f"sqlite:///{tmp_path / 'two.db'}", concurrency=1),
        )
        calls_after_second = len(proxy.calls())
        uncached = audition(
            [str(few_shot_cases)],
            [spec],
            AuditionOptions(
                store_url=f"sqlite:///{tmp_path / 'three.db'}", concurrency=1, use_cache=False
            ),
        )

    assert calls_after_first == len(QUESTIONS)
    assert all(c.status == 200 and c.completed for c in proxy.calls())
    assert calls_after_second == calls_after_first, "the second run reached the model"
    assert len(proxy.calls()) == 2 * len(QUESTIONS)  # --no-cache asks the model again

    def texts(report: object) -> list[str]:
        (result,) = report.candidates  # type: ignore[attr-defined]
        return [r.text if r is not None else "" for r in result.responses]

    assert all(t.strip() for t in texts(first)), texts(first)
    assert texts(second) == texts(first) == texts(uncached)  # greedy: same answers
    (cached,) = second.candidates
    assert all(r is not None and r.cached for r in cached.responses)


def _run_counts(store_url: str) -> tuple[int, str | None]:
    store = open_store(store_url)
    try:
        runs = store.list_runs()
        if not runs:
            return 0, None
        return len(store.results_for(runs[0].id)), runs[0].status
    finally:
        store.close()


def test_killed_run_resumes_without_repeating_answered_cases(
    llama_server: Process, few_shot_cases: Path, tmp_path: Path
) -> None:
    results = f"sqlite:///{tmp_path / 'results.db'}"
    answered_before_kill = 3
    with run_proxy(llama_server.url, hold_after=answered_before_kill) as proxy:
        command = [
            *recast_command(),
            "audition",
            "--cases",
            str(few_shot_cases),
            "--candidate",
            f"local=openai-compatible:{proxy.v1}#{MODEL}",
            "--store",
            results,
            "--concurrency",
            "1",
            "--no-cache",  # only the store's saved results may spare a repeat
            "--json",
            "--per-case",
        ]
        log = (tmp_path / "first-run.log").open("w")
        first = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            # The proxy answers three requests and holds the fourth: kill the run while
            # that call is in flight, once the three answers are saved.
            proxy.wait_for(lambda p: len(p.calls()) > answered_before_kill, timeout=300)
            deadline = time.monotonic() + 60
            while _run_counts(results)[0] < answered_before_kill:
                assert time.monotonic() < deadline, (tmp_path / "first-run.log").read_text()
                time.sleep(0.05)
        finally:
            first.kill()
            first.wait(30)
            log.close()
        assert first.returncode != 0
        saved, status = _run_counts(results)
        assert saved == answered_before_kill
        assert status == "running"  # killed: it could not even mark itself interrupted
        held = proxy.calls()[answered_before_kill]
        before = [c.prompt for c in proxy.calls()[:answered_before_kill]]
        proxy.release()
        proxy.wait_for(lambda p: held.closed, timeout=120)  # let the orphan call finish

        second = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert second.returncode == 0, second.stderr[-3000:]
        resumed = [c.prompt for c in proxy.calls()[answered_before_kill + 1 :]]

    # The second run asked the model only for the cases the first had not saved.
    assert len(resumed) == len(QUESTIONS) - answered_before_kill
    assert not set(resumed) & set(before)
    assert sorted(resumed + before) == sorted(QUESTION_OF.values())
    report = json.loads(second.stdout)
    assert report["dataset"]["n_cases"] == len(QUESTIONS)
    (candidate,) = report["candidates"]
    assert candidate["failures"] == 0
    saved, status = _run_counts(results)
    assert (saved, status) == (len(QUESTIONS), "complete")
