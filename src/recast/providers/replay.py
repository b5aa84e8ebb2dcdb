"""Replay: a candidate whose answers were recorded earlier, served at zero cost.

Answers are found by the request's ``case_id`` first, then by the text of its last
user message with whitespace normalised (runs of spaces and newlines become one space).

:meth:`ReplayProvider.from_file` reads a generic file; the audition's dataset loaders
build richer mappings themselves and pass them to the constructor. Accepted records
(JSONL lines, items of a JSON list, or CSV rows):

* a key: ``case_id``, ``id``, ``uid``, ``question_id`` or ``custom_id``, and/or a prompt:
  ``prompt``, ``instruction``, ``input``, ``question``, ``query``, or the last user
  message of ``messages``;
* an answer: ``output``, ``response``, ``answer``, ``completion``, ``text`` or
  ``baseline`` (a string, a Chat Completions response, a Batch API output line's
  ``response.body``, or our ``ChatResponse.to_dict()`` form), or the last assistant
  message of ``messages``.

A JSON object mapping keys to answer strings is accepted too.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from recast.errors import DatasetError, ProviderRejected
from recast.providers._spec import CandidateSpec, ProviderKind
from recast.providers._types import ChatRequest, ChatResponse, content_text
from recast.providers.hookspecs import hookimpl

ID_FIELDS = ("case_id", "id", "uid", "question_id", "custom_id")
PROMPT_FIELDS = ("prompt", "instruction", "input", "question", "query")
ANSWER_FIELDS = ("output", "response", "answer", "completion", "text", "baseline")
MODEL_FIELDS = ("model", "generator")


def normalise_prompt(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def _text_of(content: Any) -> str:
    if isinstance(content, Mapping):
        for field in ("answer", "text", "content"):
            if isinstance(content.get(field), str):
                return str(content[field])
        return ""
    if isinstance(content, list):
        return content_text(tuple(dict(p) for p in content if isinstance(p, Mapping)))
    return content if isinstance(content, str) else ""


def _answer(value: Any, model: str | None) -> ChatResponse | None:
    """Turn one recorded answer value into a response, or ``None`` if it is not one."""
    if isinstance(value, str):
        return ChatResponse(text=value, model=model, finish_reason="stop")
    if not isinstance(value, Mapping):
        return None
    body = value.get("body") if isinstance(value.get("body"), Mapping) else value
    if isinstance(body, Mapping) and "choices" in body:
        return ChatResponse.from_openai(body)
    if "text" in value and isinstance(value.get("text"), str):
        response = ChatResponse.from_dict(value)
        return response if response.model else replace(response, model=model)
    text = _text_of(value)
    return ChatResponse(text=text, model=model, finish_reason="stop") if text else None


def _record(data: Mapping[str, Any]) -> tuple[str | None, str | None, ChatResponse | None]:
    """Return (case id, prompt, answer) of one record."""
    case_id = next((str(data[f]) for f in ID_FIELDS if data.get(f) not in (None, "")), None)
    prompt = next((data[f] for f in PROMPT_FIELDS if isinstance(data.get(f), str)), None)
    model = next((str(data[f]) for f in MODEL_FIELDS if isinstance(data.get(f), str)), None)
    answer = None
    for field in ANSWER_FIELDS:
        if data.get(field) not in (None, ""):
            answer = _answer(data[field], model)
            if answer is not None:
                break
    messages = data.get("messages")
    if isinstance(messages, list):
        users = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
        if prompt is None and users:
            prompt = _text_of(users[-1].get("content"))
        if answer is None and messages:
            last = messages[-1]
            if isinstance(last, Mapping) and last.get("role") == "assistant":
                text = _text_of(last.get("content"))
                answer = ChatResponse(text=text, model=model, finish_reason="stop")
    return case_id, prompt, answer


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (line or item number, record) from a JSONL, JSON or CSV file."""
    suffix = path.suffix.lower()
    with open(path, encoding="utf-8", newline="") as handle:
        if suffix == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row
            return
        if suffix == ".json":
            data = json.load(handle)
            if isinstance(data, Mapping) and all(isinstance(v, str) for v in data.values()):
                for number, (key, value) in enumerate(data.items(), 1):
                    yield number, {"case_id": key, "prompt": key, "output": value}
                return
            if not isinstance(data, list):
                raise DatasetError(
                    f"Replay file {str(path)!r} holds a JSON {type(data).__name__}; "
                    "expected a list of records or an object mapping keys to answers."
                )
            yield from enumerate(data, 1)
            return
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc


class ReplayProvider:
    """Serve recorded answers: ``answers`` maps case ids or prompts to responses.

    Every key is usable both ways: as a case id (exact) and as a prompt (whitespace
    normalised). A missing answer raises :class:`ProviderRejected` (status 404) naming
    the case. Responses come back with ``replayed=True``: they cost nothing.
    """

    def __init__(
        self,
        answers: Mapping[str, ChatResponse],
        *,
        name: str = "replay",
        source: str = "",
        skipped: tuple[str, ...] = (),
    ) -> None:
        self._by_key = dict(answers)
        self._by_prompt: dict[str, ChatResponse] = {}
        for key, response in answers.items():
            self._by_prompt.setdefault(normalise_prompt(key), response)
        self._name = name
        self.source = source
        #: ``"FILE:LINE: reason"`` for every record that could not be read.
        self.skipped = skipped

    def __repr__(self) -> str:
        return f"ReplayProvider(name={self._name!r}, answers={len(self._by_key)})"

    def __len__(self) -> int:
        return len(self._by_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def platform(self) -> str:
        return "replay"

    @property
    def identity(self) -> str:
        return f"replay|{self.source or self._name}"

    def lookup(self, request: ChatRequest) -> ChatResponse | None:
        """Return the recorded answer for ``request``, or ``None``."""
        if request.case_id is not None and request.case_id in self._by_key:
            return self._by_key[request.case_id]
        return self._by_prompt.get(normalise_prompt(request.prompt))

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Return the recorded answer; raise :class:`ProviderRejected` when there is none."""
        found = self.lookup(request)
        if found is None:
            case = f"case {request.case_id!r}" if request.case_id is not None else "the request"
            prompt = normalise_prompt(request.prompt)
            shown = prompt[:60] + ("…" if len(prompt) > 60 else "")
            where = f" in {self.source!r}" if self.source else ""
            raise ProviderRejected(
                f"Replay candidate {self._name!r} has no recorded answer for {case} "
                f"(prompt {shown!r}){where}. Record an answer for every case, keyed by "
                "case id or prompt text.",
                platform="replay",
                model=self._name,
                status=404,
            )
        return replace(found, replayed=True, cached=False)

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None) -> ReplayProvider:
        """Read recorded answers from a JSONL, JSON or CSV file (formats in the module doc).

        Unreadable records are skipped and listed in :attr:`skipped`; raise
        :class:`DatasetError` when the file is missing or holds no usable answer.
        """
        file = Path(path)
        if not file.is_file():
            raise DatasetError(
                f"Replay file {str(file)!r} does not exist. Give the path of a recorded "
                "answers file after replay: (JSONL, JSON or CSV)."
            )
        answers: dict[str, ChatResponse] = {}
        skipped: list[str] = []
        try:
            for number, record in _records(file):
                where = f"{file}:{number}"
                if isinstance(record, Exception):
                    skipped.append(f"{where}: not JSON ({record})")
                    continue
                if not isinstance(record, Mapping):
                    skipped.append(f"{where}: not an object")
                    continue
                try:
                    case_id, prompt, answer = _record(record)
                except (ValueError, TypeError) as exc:
                    skipped.append(f"{where}: unreadable answer ({exc})")
                    continue
                if answer is None:
                    skipped.append(f"{where}: no answer field ({', '.join(ANSWER_FIELDS)})")
                    continue
                if case_id is None and not prompt:
                    skipped.append(f"{where}: no id or prompt to match cases by")
                    continue
                for key in (case_id, prompt):
                    if key:
                        answers.setdefault(key, answer)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
            raise DatasetError(
                f"Replay file {str(file)!r} could not be read: {exc}. Save it as UTF-8 "
                "JSONL, a JSON list or CSV."
            ) from exc
        if not answers:
            detail = f" First problem: {skipped[0]}." if skipped else ""
            raise DatasetError(f"Replay file {str(file)!r} holds no usable answers.{detail}")
        return cls(answers, name=name or file.stem, source=str(file), skipped=tuple(skipped))


def create(spec: CandidateSpec, http: httpx.AsyncClient) -> ReplayProvider:
    """Build the provider for ``replay:PATH`` (the HTTP client is not used)."""
    del http
    return ReplayProvider.from_file(spec.path or spec.model, name=spec.name)


@hookimpl
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    """Register the ``replay`` kind."""
    register(
        ProviderKind(
            name="replay",
            create=create,
            description="recorded answers from a JSONL, JSON or CSV file",
            argument="path",
        )
    )
