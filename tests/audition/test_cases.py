"""Case loaders on every format, fed with the real recorded data in ../shared/data/recorded."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recast.audition import (
    Case,
    Response,
    detect_format,
    load_cases,
    load_responses,
    sample_cases,
    split_cases,
)
from recast.errors import DatasetError


@pytest.fixture(scope="module")
def arena(recorded_data: Path) -> Path:
    return recorded_data / "arena-hard"


@pytest.fixture(scope="module")
def llmdrift(recorded_data: Path) -> Path:
    return recorded_data / "llmdrift"


def _arena_rows(arena: Path, model: str) -> list[dict[str, object]]:
    with open(arena / f"{model}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_chat_jsonl_arena_hard_answers(arena: Path) -> None:
    cases = load_cases([arena / "gpt-4-0314.jsonl"])
    assert len(cases) == 500 and not cases.skipped
    first = cases.cases[0]
    assert first.id == "0122ab60646b4961bc39e9c03bdf6bcc"
    assert first.messages[-1]["role"] == "user"
    assert first.prompt_text.startswith("Tell me how to implement a SCIM server")
    assert first.baseline is not None and first.baseline.model == "gpt-4-0314"
    assert first.baseline.text.startswith("To implement a SCIM")
    assert first.created_at is not None and first.created_at.year == 2024


def test_question_file_adds_tags_to_answers(arena: Path) -> None:
    cases = load_cases([arena / "question.jsonl", arena / "gpt-4-0314.jsonl"])
    assert len(cases) == 500 and not cases.skipped
    assert all(any(t.startswith("cluster:") for t in c.tags) for c in cases)


def test_prompt_only_file_alone_reports_every_row(arena: Path) -> None:
    cases = load_cases([arena / "question.jsonl"])
    assert len(cases) == 0
    assert len(cases.skipped) == 500
    assert "no baseline response" in cases.skipped[0].reason
    assert cases.skipped[0].path.endswith("question.jsonl") and cases.skipped[0].line == 1


def test_malformed_jsonl_rows_are_reported_with_line(arena: Path, tmp_path: Path) -> None:
    lines = (arena / "gpt-4-0314.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    lines.insert(2, "{not json")
    lines.insert(4, json.dumps({"uid": "x", "messages": "oops"}))
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cases = load_cases([path])
    assert len(cases) == 5
    assert [(s.line, s.reason.split(" ")[0]) for s in cases.skipped] == [
        (3, "invalid"),
        (5, "'messages'"),
    ]


def test_llmdrift_csv_long_format_needs_a_model(llmdrift: Path) -> None:
    with pytest.raises(DatasetError, match=r"\?model="):
        load_cases([llmdrift / "PRIME_FULL_EVAL.csv"])


def test_llmdrift_csv_selects_baseline_rows(llmdrift: Path) -> None:
    cases = load_cases([f"{llmdrift / 'PRIME_FULL_EVAL.csv'}?model=openaichat/gpt-4-0314"])
    assert len(cases) == 1000
    case = cases.cases[0]
    assert case.prompt_text.startswith("Is 17077 a prime number?")
    assert case.reference is not None and case.reference.value == "yes"
    assert case.baseline is not None
    assert case.baseline.latency_s is not None and case.baseline.cost_usd is not None
    assert case.baseline.output_tokens is not None
    assert "dataset:prime" in case.tags


def test_llmdrift_every_file_loads(llmdrift: Path) -> None:
    for path in sorted(llmdrift.glob("*.csv")):
        cases = load_cases([f"{path}?model=openaichat/gpt-4-0314"])
        assert len(cases) > 0, path
        assert all(c.baseline is not None for c in cases)


def test_llmdrift_replay_by_id(llmdrift: Path) -> None:
    spec = f"{llmdrift / 'PRIME_FULL_EVAL.csv'}?model=openaichat/gpt-4-0613"
    by_id, _, skipped = load_responses(spec)
    assert not skipped and len(by_id) == 1000
    assert by_id["0"].text == "No" and by_id["1"].text == "[No]"


def test_csv_configurable_columns_and_bad_rows(tmp_path: Path, llmdrift: Path) -> None:
    with open(llmdrift / "OPINIONQA_EVAL.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["model"] == "openaichat/gpt-4-0314"][:20]
    path = tmp_path / "survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "question_text", "old_answer", "gold"])
        for i, row in enumerate(rows):
            writer.writerow(
                [f"q{i}", row["query"] if i != 3 else "", row["answer"], row["ref_answer"]]
            )
        writer.writerow(["extra", "q", "a", "b", "too many"])
    cases = load_cases([f"{path}?prompt=question_text&response=old_answer&reference=gold&id=key"])
    assert len(cases) == 19
    reasons = sorted(s.reason for s in cases.skipped)
    assert reasons == ["empty prompt column 'question_text'", "more fields than the header"]
    assert cases.cases[0].id == "q0" and cases.cases[0].reference is not None


def test_csv_unknown_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("prompt,answer\nhi,there\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="'nope' is not in"):
        load_cases([f"{path}?response=nope"])


def test_outputs_files_match_by_instruction(arena: Path, tmp_path: Path) -> None:
    questions = [json.loads(x) for x in (arena / "question.jsonl").read_text().splitlines()]
    prompts = {q["uid"]: q["prompt"] for q in questions}
    for model in ("gpt-4-0314", "gpt-3.5-turbo-0125"):
        rows = _arena_rows(arena, model)
        outputs = [
            {
                "instruction": prompts[r["uid"]],  # type: ignore[index]
                "output": r["messages"][1]["content"]["answer"],  # type: ignore[index]
                "generator": model,
            }
            for r in rows[:50]
        ]
        # A different order in the candidate's file: matching is by text, not position.
        if model != "gpt-4-0314":
            outputs.reverse()
        (tmp_path / f"{model}.json").write_text(json.dumps(outputs, indent=2), encoding="utf-8")
    assert detect_format(tmp_path / "gpt-4-0314.json") == "outputs"
    cases = load_cases([tmp_path / "gpt-4-0314.json"])
    assert len(cases) == 50 and not cases.skipped
    by_id, by_prompt, _ = load_responses(tmp_path / "gpt-3.5-turbo-0125.json")
    assert not by_id and len(by_prompt) == 50
    expected = {
        r["uid"]: r["messages"][1]["content"]["answer"]
        for r in _arena_rows(arena, "gpt-3.5-turbo-0125")
    }  # type: ignore[index]
    case = cases.cases[7]
    uid = next(k for k, v in prompts.items() if v == case.prompt_text)
    assert by_prompt[case.prompt_key].text == expected[uid]


def test_outputs_file_with_several_generators(tmp_path: Path) -> None:
    rows = [
        {"instruction": "a", "output": "1", "generator": "m1"},
        {"instruction": "a", "output": "2", "generator": "m2"},
    ]
    path = tmp_path / "both.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DatasetError, match="generator"):
        load_cases([path])
    cases = load_cases([f"{path}?generator=m2"])
    assert cases.cases[0].baseline == Response(text="2", model="m2")


def test_batch_api_input_and_output(arena: Path, tmp_path: Path) -> None:
    rows = _arena_rows(arena, "gpt-4-0314")[:30]
    with open(tmp_path / "batch_input.jsonl", "w", encoding="utf-8") as handle:
        for r in rows:
            body = {"model": "gpt-4-0314", "messages": [r["messages"][0]], "temperature": 0}  # type: ignore[index]
            handle.write(
                json.dumps(
                    {
                        "custom_id": r["uid"],
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": body,
                    }
                )
                + "\n"
            )
    with open(tmp_path / "batch_output.jsonl", "w", encoding="utf-8") as handle:
        for i, r in enumerate(reversed(rows)):
            answer = r["messages"][1]["content"]["answer"]  # type: ignore[index]
            if i == 0:
                handle.write(
                    json.dumps(
                        {
                            "id": "b0",
                            "custom_id": r["uid"],
                            "response": None,
                            "error": {"code": "server_error"},
                        }
                    )
                    + "\n"
                )
                continue
            completion = {
                "id": f"c{i}",
                "object": "chat.completion",
                "created": 1711397284,
                "model": "gpt-4-0314",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": answer},
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 222},
            }
            handle.write(
                json.dumps(
                    {
                        "id": f"b{i}",
                        "custom_id": r["uid"],
                        "response": {"status_code": 200, "body": completion},
                    }
                )
                + "\n"
            )
    assert detect_format(tmp_path / "batch_input.jsonl") == "batch"
    assert detect_format(tmp_path / "batch_output.jsonl") == "batch"
    cases = load_cases([tmp_path / "batch_input.jsonl", tmp_path / "batch_output.jsonl"])
    assert len(cases) == 29
    reasons = Counter(s.reason.split(" ")[0] for s in cases.skipped)
    assert reasons == {
        "request": 1,
        "case": 1,
    }  # the failed line, and its input left without a response
    case = cases.cases[0]
    assert case.params == {"temperature": 0}
    assert case.baseline is not None and case.baseline.output_tokens == 222


def test_chat_jsonl_with_tool_calls_and_reference(tmp_path: Path) -> None:
    row = {
        "id": "t1",
        "messages": [{"role": "user", "content": "weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather"}}],
        "response": {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c",
                                "type": "function",
                                "function": {
                                    "name": "get_weather",
                                    "arguments": '{"city": "Paris"}',
                                },
                            }
                        ],
                    }
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7},
        },
        "reference": {"regex": "Paris"},
    }
    path = tmp_path / "tools.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    case = load_cases([path]).cases[0]
    assert case.baseline is not None and case.baseline.tool_calls[0].name == "get_weather"
    assert case.reference is not None and case.reference.kind == "regex"
    assert "tools" in case.params


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_cases([tmp_path / "nope.jsonl"])


def test_dedup_drops_repeated_prompts(tmp_path: Path) -> None:
    rows = [{"id": str(i), "prompt": "same question", "response": f"answer {i}"} for i in range(3)]
    path = tmp_path / "dups.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    cases = load_cases([path])
    assert len(cases) == 1 and cases.duplicates == 2


def _cases(tags: list[str]) -> list[Case]:
    return [
        Case(id=str(i), messages=({"role": "user", "content": f"q{i}"},), tags=(tag,))
        for i, tag in enumerate(tags)
    ]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=8),
    fraction=st.floats(min_value=0.05, max_value=0.95),
    seed=st.integers(0, 10),
)
def test_sample_is_stratified_and_reproducible(
    sizes: list[int], fraction: float, seed: int
) -> None:
    tags = [f"t{k}" for k, size in enumerate(sizes) for _ in range(size)]
    cases = _cases(tags)
    n = max(1, int(len(cases) * fraction))
    picked = sample_cases(cases, n, seed=seed)
    assert len(picked) == min(n, len(cases))
    assert picked == sample_cases(cases, n, seed=seed)
    assert len({c.id for c in picked}) == len(picked)
    counts = Counter(c.tags[0] for c in picked)
    for k, size in enumerate(sizes):
        share = n * size / len(cases)
        assert abs(counts.get(f"t{k}", 0) - share) <= 1.0 + 1e-9


def test_split_is_stable_by_id() -> None:
    cases = _cases(["a"] * 200)
    train, held = split_cases(cases, 0.3, seed=1)
    assert len(train) + len(held) == 200 and 30 < len(held) < 90
    _, held2 = split_cases(cases[:100], 0.3, seed=1)
    assert {c.id for c in held2} == {c.id for c in held if int(c.id) < 100}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "messages",
                    "role",
                    "content",
                    "response",
                    "prompt",
                    "reference",
                    "tags",
                    "usage",
                    "choices",
                    "message",
                    "tool_calls",
                    "function",
                    "name",
                    "latency",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_json, min_size=1, max_size=6))
def test_any_jsonl_rows_load_or_are_reported(
    tmp_path_factory: pytest.TempPathFactory, rows: list[object]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = load_cases([f"{path}?format=chat"], dedup=False)
    # No exception; every line that is not an object is reported with its line number.
    not_objects = {i + 1 for i, row in enumerate(rows) if not isinstance(row, dict)}
    assert not_objects <= {s.line for s in result.skipped}
    assert len(result.cases) <= len(rows)
    for skipped in result.skipped:
        assert skipped.path == str(path) and 1 <= skipped.line <= len(rows)
    for case in result.cases:
        assert case.baseline is not None and case.messages
