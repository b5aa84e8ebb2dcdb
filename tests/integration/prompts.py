"""Prompts the base Gemma 3 270M answers reliably, and the two prompt setups auditions compare.

A base model continues text; it does not follow instructions. Given a few question/answer
pairs it answers the next question in the same short form ("Paris"). Asked the bare
question it rambles on, which is exactly the kind of behaviour change an audition must see.
"""

from __future__ import annotations

import re
from typing import Any

#: Greedy decoding: the same prompt gives the same answer on every run.
GREEDY: dict[str, Any] = {"temperature": 0, "seed": 0}

#: (case id, question, expected answer) — facts a 270M base model gets right.
QUESTIONS: list[tuple[str, str, str]] = [
    ("capital-france", "What is the capital of France?", "Paris"),
    ("capital-germany", "What is the capital of Germany?", "Berlin"),
    ("capital-japan", "What is the capital of Japan?", "Tokyo"),
    ("capital-italy", "What is the capital of Italy?", "Rome"),
    ("capital-spain", "What is the capital of Spain?", "Madrid"),
    ("capital-egypt", "What is the capital of Egypt?", "Cairo"),
]

#: The examples of the few-shot setup (none of them is a case).
EXAMPLES: list[tuple[str, str]] = [
    ("What is the capital of Canada?", "Ottawa"),
    ("What is the capital of Kenya?", "Nairobi"),
    ("What is the capital of Peru?", "Lima"),
]


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def few_shot(question: str, examples: list[tuple[str, str]] = EXAMPLES) -> list[dict[str, str]]:
    """Chat messages: example question/answer turns, then ``question``."""
    messages: list[dict[str, str]] = []
    for asked, answered in examples:
        messages += [user(asked), {"role": "assistant", "content": answered}]
    return [*messages, user(question)]


def zero_shot(question: str) -> list[dict[str, str]]:
    return [user(question)]


#: The same few-shot idea as a raw completion prompt (``/v1/completions``).
RAW_PROMPT = "Question: What is the capital of France?\nAnswer:"


def first_word(text: str) -> str:
    """The first word of an answer, without punctuation (``" Paris.\\n"`` → ``"Paris"``)."""
    match = re.search(r"[A-Za-z][A-Za-z'-]*", text or "")
    return match.group(0) if match else ""
