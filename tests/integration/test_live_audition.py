"""A live audition: the model under one prompt setup is the baseline, under another the candidate.

The baseline answered with few-shot examples in its prompt (the way the application was
deployed); the live candidate is the same model asked the bare question (the examples
dropped). A second setup with other examples, recorded, is a replay candidate. A base
model leans on its examples, so the audition must see the zero-shot candidate drift.
"""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path

import openai

from .prompts import GREEDY, QUESTIONS, few_shot, first_word, zero_shot
from .servers import MODEL, Process, recast_command

#: Other examples for the second few-shot setup.
OTHER_EXAMPLES = [
    ("What is the capital of Norway?", "Oslo"),
    ("What is the capital of Chile?", "Santiago"),
]


def _record_other_setup(llama_server: Process, path: Path, max_tokens: int) -> None:
    client = openai.OpenAI(base_url=llama_server.v1, api_key="unused", max_retries=0, timeout=300)
    rows = []
    for case_id, question, _ in QUESTIONS:
        reply = client.chat.completions.create(
            model=MODEL,
            messages=few_shot(question, OTHER_EXAMPLES),  # type: ignore[arg-type]
            max_tokens=max_tokens,
            **GREEDY,
        )
        rows.append(
            {
                "id": case_id,
                "messages": zero_shot(question),
                "response": reply.choices[0].message.content,
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_live_audition_sees_the_zero_shot_candidate_drift(
    llama_server: Process, few_shot_cases: Path, tmp_path: Path
) -> None:
    cases = [json.loads(line) for line in few_shot_cases.read_text().splitlines()]
    # The baseline is real: the few-shot setup answers (nearly) every question right.
    right = [c["id"] for c in cases if first_word(c["response"]) == c["reference"]]
    assert len(right) >= len(cases) - 1, cases
    other = tmp_path / "other-examples.jsonl"
    _record_other_setup(llama_server, other, cases[0]["request"]["max_tokens"])

    report_html = tmp_path / "report.html"
    run = subprocess.run(
        [
            *recast_command(),
            "audition",
            "--cases",
            str(few_shot_cases),
            "--candidate",
            f"zero-shot=openai-compatible:{llama_server.v1}#{MODEL}",
            "--candidate",
            f"other-examples=replay:{other}",
            "--store",
            f"sqlite:///{tmp_path / 'results.db'}",
            "--concurrency",
            "1",
            "--html",
            str(report_html),
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
    assert report["dataset"]["n_cases"] == len(QUESTIONS)
    ranked = {c["name"]: c for c in report["candidates"]}
    assert set(ranked) == {"zero-shot", "other-examples"}
    live = ranked["zero-shot"]
    assert live["kind"] == "live" and live["failures"] == 0
    # Another few-shot setup behaves like the baseline; dropping the examples does not.
    assert ranked["other-examples"]["rank"] == 1, report["candidates"]
    fidelity = {n: c["metrics"]["fidelity"]["mean"] for n, c in ranked.items()}
    assert fidelity["other-examples"] > fidelity["zero-shot"], fidelity
    assert fidelity["other-examples"] > 0.8, fidelity
    # Without examples the base model answers some questions in a sentence or wrongly
    # ("Germany is the capital of Germany."): cases the baseline passed and it fails.
    assert live["regressions"], live
    quality = {n: c["metrics"]["quality"]["mean"] for n, c in ranked.items()}
    assert quality["zero-shot"] < quality["other-examples"], quality

    # The full HTML report: one file, every case and both candidates in it.
    assert report_html.is_file()
    page = report_html.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    for name in ("zero-shot", "other-examples"):
        assert name in page
    for case_id, question, _ in QUESTIONS:
        assert case_id in page
        assert html.escape(question) in page or question in page
