"""Traffic captured by ``recast serve`` in front of a real model, auditioned from the store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openai

from recast.store import open_store

from .prompts import GREEDY, QUESTIONS, few_shot, first_word
from .servers import MODEL, Process, gateway_config, recast_command, start_gateway


def test_captured_exchanges_replay_as_an_audition(llama_server: Process, tmp_path: Path) -> None:
    captures = f"sqlite:///{tmp_path / 'captures.db'}"
    asked = QUESTIONS[:4]
    with start_gateway(gateway_config(llama_server.v1, captures), tmp_path / "gw") as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key="unused-local", max_retries=0, timeout=300)
        for number, (_, question, _) in enumerate(asked):
            request = {"model": MODEL, "messages": few_shot(question), "max_tokens": 8, **GREEDY}
            if number % 2:  # half of the traffic streamed, as real clients do
                list(
                    client.chat.completions.create(
                        **request, stream=True, stream_options={"include_usage": True}
                    )
                )
            else:
                client.chat.completions.create(**request)
    # The gateway has stopped (SIGTERM): every capture is flushed to the store.

    store = open_store(captures)
    try:
        exchanges = sorted(store.iter_exchanges(), key=lambda e: e.captured_at)
    finally:
        store.close()
    assert len(exchanges) == len(asked)
    for exchange, (_, question, answer) in zip(exchanges, asked, strict=True):
        assert exchange.status_code == 200 and not exchange.error
        assert exchange.request["messages"][-1]["content"] == question
        response = exchange.response
        assert isinstance(response, dict), response
        text = response["choices"][0]["message"]["content"]
        assert first_word(text) == answer, (question, text)

    # Audition the model against its own captured answers: the same model, prompts and
    # greedy decoding must reproduce them, so fidelity is near perfect.
    run = subprocess.run(
        [
            *recast_command(),
            "audition",
            "--from-store",  # the cases: the exchanges captured in --store
            "--candidate",
            f"same-model=openai-compatible:{llama_server.v1}#{MODEL}",
            "--store",
            captures,  # where the audition's results go too
            "--concurrency",
            "1",
            "--json",
            "--per-case",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    (tmp_path / "report.json").write_text(run.stdout, encoding="utf-8")  # for a failure's autopsy
    report = json.loads(run.stdout)
    assert report["schema_version"] == 1
    assert report["dataset"]["n_cases"] == len(asked)
    (candidate,) = report["candidates"]
    assert candidate["name"] == "same-model" and candidate["rank"] == 1
    assert candidate["failures"] == 0
    assert candidate["metrics"]["fidelity"]["mean"] > 0.9, candidate["metrics"]
    assert candidate["regressions"] == []
