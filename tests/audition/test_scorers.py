"""Scorers on real recorded outputs, plus properties of the lexical metrics.

How the style pairs are built (real outputs, no synthetic text):

* LLMDrift asked gpt-4-0314, gpt-4-0613 and gpt-3.5-turbo-0613 the same prime
  and happy-number questions with "Think step by step". gpt-4-0314 (the
  baseline) and gpt-3.5-turbo-0613 answered with step-by-step prose; gpt-4-0613
  answered in a word ("[No]", "\\boxed{1}"). So gpt-3.5-turbo-0613 is the
  *same-style* candidate and gpt-4-0613 the *different-style* one, although it is
  the baseline's own family. The style scorer must rank them that way.
* Arena-hard: gpt-4-0613's real answers against the gpt-4-0314 baseline, versus
  the same answers cut to their first paragraph (a concise model of the same
  family). The full answers must score higher on style.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recast.audition import (
    Case,
    Reference,
    Response,
    ToolCall,
    align_replay,
    load_cases,
    load_responses,
)
from recast.audition.scorers import (
    ChrfScorer,
    QualityScorer,
    RefusalScorer,
    StructureScorer,
    StyleScorer,
    check_reference,
    chrf,
    is_refusal,
    lcs_length,
    rouge_l,
    style_profile,
)
from recast.errors import AuditionError


def _drift(recorded: Path, task: str, model: str) -> str:
    return f"{recorded / 'llmdrift' / task}?model=openaichat/{model}"


@pytest.mark.parametrize("task", ["PRIME_FULL_EVAL.csv", "COUNTAHAPPYNUMBER_EVAL.csv"])
def test_style_ranks_same_style_above_same_family(recorded_data: Path, task: str) -> None:
    cases = load_cases([_drift(recorded_data, task, "gpt-4-0314")]).cases[:300]
    scores = {}
    for model in ("gpt-3.5-turbo-0613", "gpt-4-0613"):
        by_id, by_prompt, _ = load_responses(_drift(recorded_data, task, model))
        scores[model] = np.array(StyleScorer().score(cases, align_replay(cases, by_id, by_prompt)))
    same_style, same_family = scores["gpt-3.5-turbo-0613"], scores["gpt-4-0613"]
    assert same_style.mean() > same_family.mean() + 0.2
    assert (same_style > same_family).mean() > 0.8


def test_style_tells_concise_from_verbose_same_family(recorded_data: Path) -> None:
    arena = recorded_data / "arena-hard"
    cases = load_cases([arena / "gpt-4-0314.jsonl"]).cases
    by_id, by_prompt, _ = load_responses(arena / "gpt-4-0613.jsonl")
    full = align_replay(cases, by_id, by_prompt)
    concise = [
        Response(text=r.text.strip().split("\n\n")[0]) if r is not None else None for r in full
    ]
    verbose_scores = np.array(StyleScorer().score(cases, full))
    concise_scores = np.array(StyleScorer().score(cases, concise))
    assert verbose_scores.mean() > concise_scores.mean() + 0.1
    assert (verbose_scores >= concise_scores).mean() > 0.9


def test_style_profile_features() -> None:
    text = (
        "# Plan\n\nI think this **might** work:\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "```python\nprint('hi')\n```\n\nHope this helps! Let me know if you have questions 🙂"
    )
    profile = style_profile(text)
    assert profile.headings == 1 and profile.bullets == 2 and profile.numbered == 2
    assert profile.code_blocks == 1 and profile.bold == 1 and profile.emoji == 1
    assert profile.closing_offer and profile.hedges >= 2 and profile.first_person >= 1
    assert profile.language == "en"
    assert (
        style_profile("Bonjour, je pense que la réponse est dans le texte et les notes.").language
        == "fr"
    )


def test_identical_response_is_perfect_on_every_fidelity_scorer(recorded_data: Path) -> None:
    cases = load_cases([recorded_data / "arena-hard" / "gpt-4-0314.jsonl"]).cases[:40]
    same = [c.baseline for c in cases]
    for scorer in (ChrfScorer(), StyleScorer(), RefusalScorer()):
        assert scorer.score(cases, same) == pytest.approx([1.0] * 40), scorer.name


def test_failed_response_scores_zero() -> None:
    case = Case("a", ({"role": "user", "content": "hi"},), baseline=Response(text="Hello there"))
    failed = [Response(text="", error="HTTP 500")]
    assert ChrfScorer().score([case], failed) == [0.0]
    assert StyleScorer().score([case], failed) == [0.0]


def test_refusals_on_llmdrift_sensitive_questions(recorded_data: Path) -> None:
    cases = load_cases([_drift(recorded_data, "SENSITIVEQ_EVAL.csv", "gpt-3.5-turbo-0301")]).cases
    refused = sum(is_refusal(c.baseline.text) for c in cases if c.baseline)
    assert refused > 0.6 * len(cases)
    assert not is_refusal("To implement a SCIM server in PHP, follow these steps.")
    scorer = RefusalScorer()
    assert scorer.score(cases[:1], [Response(text="Sure! Here is how.")]) == [0.0]
    assert scorer.score(cases[:1], [Response(text="I'm sorry, but I can't help with that.")]) == [
        1.0
    ]


def test_quality_references_and_regressions(recorded_data: Path) -> None:
    cases = load_cases([_drift(recorded_data, "PRIME_FULL_EVAL.csv", "gpt-4-0314")]).cases
    scorer = QualityScorer()
    base = [scorer.baseline_value(c) for c in cases]
    # The paper reports gpt-4-0314 right on most prime questions.
    assert 0.6 < float(np.mean(base)) < 1.0
    assert check_reference("The answer is \\boxed{3}.", Reference("\\\\boxed{3}")) == 1.0
    assert check_reference("(B) Somewhat", Reference("(A)")) == 0.0
    assert check_reference("[Yes] it is prime", Reference("yes")) == 1.0
    assert check_reference("about 3.14159", Reference("3.1416", "numeric", 0.001)) == 1.0
    assert check_reference("Paris, France", Reference("paris", "exact")) == 0.0
    assert check_reference("Answer: 42", Reference(r"\b42\b", "regex")) == 1.0


def test_user_function_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mychecks.py").write_text(
        "def short(text, case):\n    return len(text) < 10\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AuditionError, match="needs the case"):
        check_reference("ok", Reference("mychecks:short", "function"), None)
    case = Case("a", ({"role": "user", "content": "x"},))
    assert check_reference("ok", Reference("mychecks:short", "function"), case) == 1.0
    assert (
        check_reference("far too long text", Reference("mychecks:short", "function"), case) == 0.0
    )


def test_structure_json_schema_and_tools() -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {
            "name": "x",
            "schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
                "required": ["city", "temp"],
                "additionalProperties": False,
            },
        },
    }
    case = Case(
        "j",
        ({"role": "user", "content": "weather"},),
        baseline=Response(text=json.dumps({"city": "Paris", "temp": 21})),
        params={"response_format": schema},
    )
    scorer = StructureScorer()
    good, other, bad, text = scorer.score(
        [case] * 4,
        [
            Response(text='{"city": "Oslo", "temp": 3}'),
            Response(text='{"city": "Oslo"}'),
            Response(text='{"town": 1, "temp": "3", "x": 2}'),
            Response(text="It is sunny."),
        ],
    )
    assert good == 1.0 and text == 0.0
    assert good > other > bad > text  # type: ignore[operator]
    tool_case = Case(
        "t",
        ({"role": "user", "content": "weather"},),
        baseline=Response(text="", tool_calls=(ToolCall("get_weather", '{"city": "Paris"}'),)),
    )
    same, wrong_args, wrong_tool = scorer.score(
        [tool_case] * 3,
        [
            Response(text="", tool_calls=(ToolCall("get_weather", '{"city": "Paris"}'),)),
            Response(text="", tool_calls=(ToolCall("get_weather", '{"city": "Rome"}'),)),
            Response(text="", tool_calls=(ToolCall("search", '{"q": "Paris"}'),)),
        ],
    )
    assert (same, wrong_args, wrong_tool) == (1.0, 0.0, 0.0)
    plain = Case("p", ({"role": "user", "content": "hi"},), baseline=Response(text="Hello"))
    assert scorer.score([plain], [Response(text="Hi")]) == [None]


def _lcs_dp(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[-1][-1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from("abcde"), max_size=40),
    st.lists(st.sampled_from("abcde"), max_size=70),
)
def test_bit_parallel_lcs_matches_dynamic_programming(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == _lcs_dp(a, b)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_lexical_metrics_are_bounded(a: str, b: str) -> None:
    for value in (chrf(a, b), rouge_l(a, b)):
        assert 0.0 <= value <= 1.0
    if a.strip():
        assert chrf(a, a) == pytest.approx(1.0)


def test_chrf_orders_real_answers(recorded_data: Path) -> None:
    arena = recorded_data / "arena-hard"
    base = json.loads((arena / "gpt-4-0314.jsonl").open().readline())["messages"][1]["content"][
        "answer"
    ]
    other = json.loads((arena / "gpt-4-0613.jsonl").open().readline())["messages"][1]["content"][
        "answer"
    ]
    unrelated = "Bananas are rich in potassium and grow in tropical climates."
    assert chrf(other, base) > chrf(unrelated, base)
    assert rouge_l(other, base) > rouge_l(unrelated, base)
