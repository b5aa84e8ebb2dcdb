"""Replay candidates: recorded answers by case id or prompt, from real recorded files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

from recast.errors import DatasetError, ProviderRejected
from recast.providers import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ReplayProvider,
    build_provider,
    normalise_prompt,
)


def _ask(prompt: str, case_id: str | None = None) -> ChatRequest:
    return ChatRequest(model="", messages=[ChatMessage("user", prompt)], case_id=case_id)


def _arena(recorded_data: Path, model: str) -> list[dict[str, object]]:
    path = recorded_data / "arena-hard" / f"{model}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


async def test_arena_hard_answers_by_uid_and_by_prompt(recorded_data: Path) -> None:
    path = recorded_data / "arena-hard" / "gpt-4-0613.jsonl"
    records = _arena(recorded_data, "gpt-4-0613")
    async with httpx.AsyncClient() as http:
        provider = build_provider(f"replay:{path}", http)
    assert provider.name == "gpt-4-0613" and provider.platform == "replay"
    assert isinstance(provider, ReplayProvider)
    assert provider.skipped == ()

    first = records[0]
    messages = first["messages"]
    assert isinstance(messages, list)
    prompt = messages[0]["content"]
    expected = messages[-1]["content"]["answer"]

    by_id = await provider.complete(_ask("unrelated text", case_id=str(first["uid"])))
    assert by_id.text == expected
    assert by_id.replayed and not by_id.billed
    assert by_id.model == "gpt-4-0613"

    # Whitespace differences do not matter when matching by prompt.
    spaced = "  " + prompt.replace(" ", "   \n ") + "\n"
    by_prompt = await provider.complete(_ask(spaced, case_id="not-a-recorded-id"))
    assert by_prompt.text == expected

    # Every one of the 500 questions has an answer.
    questions = (recorded_data / "arena-hard" / "question.jsonl").read_text().splitlines()
    for line in questions:
        question = json.loads(line)
        assert provider.lookup(_ask(question["prompt"], case_id=question["uid"])) is not None


async def test_missing_answer_names_the_case(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"id": "c1", "prompt": "Say hi", "output": "hi"}) + "\n")
    provider = ReplayProvider.from_file(path, name="mini")
    assert (await provider.complete(_ask("Say hi"))).text == "hi"
    with pytest.raises(ProviderRejected) as err:
        await provider.complete(_ask("Say bye", case_id="c2"))
    message = str(err.value)
    assert "'mini'" in message and "case 'c2'" in message and "'Say bye'" in message
    assert err.value.status == 404


async def test_json_list_csv_and_mapping_files(tmp_path: Path) -> None:
    listing = tmp_path / "outputs.json"
    listing.write_text(
        json.dumps(
            [
                {"instruction": "What is 2+2?", "output": "4", "generator": "model-a"},
                {"instruction": "Capital of France?", "output": "Paris", "generator": "model-a"},
            ]
        )
    )
    table = tmp_path / "answers.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["case_id", "prompt", "answer"])
        writer.writeheader()
        writer.writerow({"case_id": "q1", "prompt": "Multi\nline   prompt", "answer": "yes"})
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"k1": "answer one"}))

    outputs = ReplayProvider.from_file(listing)
    answer = await outputs.complete(_ask("What is   2+2?"))
    assert answer.text == "4" and answer.model == "model-a"
    from_csv = ReplayProvider.from_file(table)
    assert (await from_csv.complete(_ask("multi", case_id="q1"))).text == "yes"
    assert (await from_csv.complete(_ask("Multi line prompt"))).text == "yes"
    assert (await ReplayProvider.from_file(mapping).complete(_ask("", "k1"))).text == "answer one"


async def test_openai_shaped_answers_keep_tool_calls_and_usage(tmp_path: Path) -> None:
    completion = {
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"q": 1}'},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5},
    }
    batch_line = {"custom_id": "req-1", "response": {"status_code": 200, "body": completion}}
    path = tmp_path / "batch_output.jsonl"
    path.write_text(json.dumps(batch_line) + "\n")
    response = await ReplayProvider.from_file(path).complete(_ask("?", case_id="req-1"))
    assert response.tool_calls[0].name == "lookup"
    assert response.usage is not None and response.usage.input_tokens == 20
    assert response.finish_reason == "tool_calls"


def test_bad_rows_are_listed_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "output": "fine"}),
                "{not json",
                json.dumps({"id": "b"}),
                json.dumps([1, 2]),
                json.dumps({"output": "orphan"}),
            ]
        )
        + "\n"
    )
    provider = ReplayProvider.from_file(path)
    assert len(provider) == 1
    assert [entry.split(": ")[0] for entry in provider.skipped] == [
        f"{path}:2",
        f"{path}:3",
        f"{path}:4",
        f"{path}:5",
    ]


def test_unusable_files_raise_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"does not exist"):
        ReplayProvider.from_file(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"id": "x"}) + "\n")
    with pytest.raises(DatasetError, match=r"no usable answers.*no answer field"):
        ReplayProvider.from_file(empty)
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")
    with pytest.raises(DatasetError, match=r"JSON int"):
        ReplayProvider.from_file(scalar)


async def test_mapping_constructor_for_the_audition_loaders() -> None:
    provider = ReplayProvider(
        {"case-1": ChatResponse(text="one"), "Explain   recursion": ChatResponse(text="two")},
        name="loaded",
    )
    assert (await provider.complete(_ask("?", case_id="case-1"))).text == "one"
    assert (await provider.complete(_ask("Explain recursion"))).text == "two"
    assert normalise_prompt(" a\n\tb  c ") == "a b c"
