"""`recast audition` end to end on the recorded arena-hard answers; the HTML report in Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from recast.cli.main import app

runner = CliRunner()


def _arena_args(recorded: Path) -> list[str]:
    arena = recorded / "arena-hard"
    return [
        "audition",
        "--cases",
        str(arena / "question.jsonl"),
        "--cases",
        str(arena / "gpt-4-0314.jsonl"),
        "--candidate",
        f"gpt-4-0613=replay:{arena / 'gpt-4-0613.jsonl'}",
        "--candidate",
        f"gpt-3.5-turbo-0125=replay:{arena / 'gpt-3.5-turbo-0125.jsonl'}",
    ]


def test_arena_hard_json_report(recorded_data: Path) -> None:
    result = runner.invoke(app, [*_arena_args(recorded_data), "--json", "--per-case"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["dataset"]["n_cases"] == 500
    assert [c["name"] for c in doc["candidates"]] == ["gpt-4-0613", "gpt-3.5-turbo-0125"]
    for cand in doc["candidates"]:
        for metric in ("fidelity", "content", "style", "refusal"):
            est = cand["metrics"][metric]
            assert set(est) == {"mean", "ci_low", "ci_high", "n"}
            assert est["ci_low"] <= est["mean"] <= est["ci_high"]
            assert est["n"] == 500
    # gpt-4-0613 (same family, later snapshot) stays closer to gpt-4-0314 in style.
    lead, second = doc["candidates"]
    assert lead["metrics"]["style"]["mean"] > second["metrics"]["style"]["mean"]
    assert len(doc["cases"]) == 500
    assert set(doc["cases"][0]["values"]) == {"gpt-4-0613", "gpt-3.5-turbo-0125"}


def test_markdown_output(recorded_data: Path) -> None:
    result = runner.invoke(app, [*_arena_args(recorded_data), "--markdown", "--sample", "60"])
    assert result.exit_code == 0, result.output
    assert "| `gpt-4-0613` |" in result.stdout and "| `gpt-3.5-turbo-0125` |" in result.stdout
    assert result.stdout.count("\n| 1") == 1
    assert "60 cases" in result.stdout


def test_demo_has_references_and_regressions(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = runner.invoke(app, ["audition", "--demo", "--json", "--html", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {c["name"] for c in doc["candidates"]}
    assert names == {"gpt-4-0613", "gpt-3.5-turbo-0613"}
    # LLMDrift's finding: gpt-4-0613 drifted from gpt-4-0314 (it stopped reasoning step by
    # step), so the older family member's successor is not the most faithful candidate.
    assert doc["candidates"][0]["name"] == "gpt-3.5-turbo-0613"
    assert doc["candidates"][0]["ranking_fidelity"]["n"] == 40
    drift = next(c for c in doc["candidates"] if c["name"] == "gpt-4-0613")
    assert drift["metrics"]["quality"]["n"] > 0 and drift["regressions"]
    assert out.is_file() and "<svg" in out.read_text(encoding="utf-8")


def test_unknown_candidate_model_gets_suggestions(recorded_data: Path) -> None:
    arena = recorded_data / "arena-hard"
    result = runner.invoke(
        app, ["audition", "--cases", str(arena / "gpt-4-0314.jsonl"), "--candidate", "gpt-4-06133"]
    )
    assert result.exit_code == 2
    assert "Unknown model 'gpt-4-06133'" in result.output and "Did you mean" in result.output


def test_missing_api_key_names_the_variable(
    recorded_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    arena = recorded_data / "arena-hard"
    result = runner.invoke(
        app,
        [
            "audition",
            "--cases",
            str(arena / "gpt-4-0314.jsonl"),
            "--sample",
            "3",
            "--candidate",
            "openai:gpt-4.1",
        ],
    )
    assert result.exit_code == 2
    assert "OPENAI_API_KEY" in result.output


def test_bad_weights_and_missing_cases(recorded_data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, [*_arena_args(recorded_data), "--weights", "content=abc"])
    assert result.exit_code == 2 and "Bad weight" in result.output
    result = runner.invoke(
        app,
        ["audition", "--cases", str(tmp_path / "nope.jsonl"), "--candidate", "x=replay:y.jsonl"],
    )
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.browser
def test_html_report_in_headless_chromium(
    recorded_data: Path, tmp_path: Path, chromium: Any
) -> None:
    report = tmp_path / "report.html"
    result = runner.invoke(
        app, [*_arena_args(recorded_data), "--sample", "120", "--html", str(report)]
    )
    assert result.exit_code == 0, result.output
    page = chromium.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    assert page.locator("#leaderboard tbody tr").count() == 2
    assert page.locator("#chart-scatter circle").count() == 2
    assert page.locator("#chart-metrics rect.bar").count() >= 8
    assert page.locator("#chart-latency").count() == 1
    rows = page.locator("#cases tbody tr.case")
    assert rows.count() == 120
    # Worst first: the first row's fidelity is the lowest.
    first = float(rows.nth(0).locator("td").nth(0).inner_text().strip())
    last = float(rows.nth(rows.count() - 1).locator("td").nth(0).inner_text().strip())
    assert first <= last
    # Text filter narrows the list; the tag filter too.
    page.fill("#f-text", "python")
    narrowed = page.locator("#cases tbody tr.case").count()
    assert 0 < narrowed < 120
    page.fill("#f-text", "")
    page.select_option("#f-candidate", "gpt-3.5-turbo-0125")
    tag = page.locator("#f-tag option").nth(2).get_attribute("value")
    page.select_option("#f-tag", tag)
    assert 0 < page.locator("#cases tbody tr.case").count() < 120
    page.select_option("#f-tag", "")
    # Opening a case shows the side-by-side diff.
    page.locator("#cases tbody tr.case").nth(0).click()
    detail = page.locator("tr.detail")
    assert detail.count() == 1
    assert detail.locator("pre.baseline").count() == 1
    assert detail.locator("del, ins").count() > 0
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests
