"""Cases: recorded requests with the baseline's response, and the loaders that read them.

A *case* is one request (chat messages plus parameters such as tools or
``response_format``) with the *baseline* response of the model being replaced
and an optional *reference* (an expected answer or check).

Loaders are picked from a file's extension and content (see :func:`detect_format`):

``chat``
    JSONL, one request per line: ``{"messages": [...], "response": ...}``. When
    ``response`` is missing and the last message is from the assistant, that
    message is the response (fine-tuning files, arena-hard answers). A line with
    only ``prompt`` (or ``messages`` ending on a user turn) has no response: it
    adds tags and parameters to the case with the same id from another file.
``batch``
    OpenAI Batch API input (``custom_id``, ``body``) and output (``custom_id``,
    ``response.body``) files; give both with ``--cases``, they are matched by
    ``custom_id``.
``csv``
    One row per case with prompt, baseline and reference columns. Long files that
    hold several models' rows (LLMDrift) select the baseline with ``model=``.
``outputs``
    A JSON list of ``{"instruction", "output", "generator"}`` (AlpacaEval's
    ``model_outputs.json``). Cases are matched across files by instruction text.

Options follow the path like a URL query: ``answers.csv?model=gpt-4-0314&prompt=query``.
Malformed rows are skipped and reported with file and line (:class:`SkippedRow`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Union, cast
from urllib.parse import parse_qsl

from recast.errors import DatasetError

JSONValue = Union[str, int, float, bool, None, list["JSONValue"], dict[str, "JSONValue"]]
JSONObject = dict[str, JSONValue]

ReferenceKind = Literal["auto", "exact", "contains", "numeric", "regex", "function"]
REFERENCE_KINDS: tuple[str, ...] = ("auto", "exact", "contains", "numeric", "regex", "function")
FORMATS: tuple[str, ...] = ("chat", "batch", "csv", "outputs")

#: Request parameters kept from a recorded request (everything else is dropped).
REQUEST_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "tools",
    "tool_choice",
    "response_format",
    "presence_penalty",
    "frequency_penalty",
)
_TAG_KEYS = ("category", "cluster", "dataset", "task", "tag")
_ID_KEYS = ("id", "case_id", "uid", "custom_id", "question_id")
_REFERENCE_KEYS = ("reference", "ref_answer", "expected", "expected_output", "target")


@dataclass(frozen=True)
class ToolCall:
    """A tool call in a response: the function name and its JSON arguments as text."""

    name: str
    arguments: str = "{}"
    id: str = ""


@dataclass(frozen=True)
class Response:
    """One model response: text, tool calls, token usage, latency (seconds) and cost (USD).

    ``error`` is set (and ``text`` empty) when the call failed. Token counts are
    ``None`` when the recording did not say; ``tokens_estimated`` marks counts
    computed as characters / 4.
    """

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    model: str = ""
    finish_reason: str = ""
    error: str = ""
    cached: bool = False


@dataclass(frozen=True)
class Reference:
    """An expected answer and how to check a response against it.

    ``auto`` picks a check from the value: ``\\boxed{..}`` compares the last boxed
    answer, ``(A)`` the chosen option, a number the last number in the response
    (``tolerance`` absolute), ``yes``/``no`` the first bracketed or leading
    yes/no, anything else a case-insensitive *contains*. ``regex`` is a pattern
    searched case-insensitively; ``function`` names ``module:function`` taking ``(response_text,
    case)`` and returning a bool or a float in [0, 1].
    """

    value: str
    kind: ReferenceKind = "auto"
    tolerance: float = 1e-6


@dataclass(frozen=True)
class Case:
    """One recorded request with its baseline response and optional reference.

    ``messages`` are chat messages (``role``, ``content`` and any tool fields);
    ``params`` holds the request parameters in :data:`REQUEST_PARAMS`.
    ``source`` is ``file:line`` of the row that defined the case.
    """

    id: str
    messages: tuple[JSONObject, ...]
    baseline: Response | None = None
    params: Mapping[str, JSONValue] = field(default_factory=dict)
    reference: Reference | None = None
    tags: tuple[str, ...] = ()
    source: str = ""
    created_at: datetime | None = None

    @property
    def prompt_text(self) -> str:
        """The text of the last user message (what replays are matched on)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return content_text(message.get("content"))
        return ""

    @property
    def prompt_key(self) -> str:
        """A stable key of the whole conversation's text, whitespace-insensitive."""
        return prompt_key(self.messages)

    @property
    def stratum(self) -> str:
        """The tags joined: the stratum used by :func:`sample_cases`."""
        return "|".join(self.tags)


@dataclass(frozen=True)
class SkippedRow:
    """A row that could not be read: where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class CaseSet:
    """Cases read from one or more files, plus the rows that were skipped."""

    cases: list[Case]
    skipped: list[SkippedRow] = field(default_factory=list)
    duplicates: int = 0
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)


@dataclass(frozen=True)
class LoadOptions:
    """Options for one file (``path?key=value&...``); see docs/audition.md.

    ``prompt``/``response``/``reference``/``id``/``system`` name CSV columns;
    ``model`` selects rows of a long file whose ``model_column`` equals it (or an
    outputs file's ``generator``); ``check`` is the reference check kind;
    ``tags`` names comma-separated columns/keys whose values become tags.
    """

    format: str | None = None
    prompt: str | None = None
    response: str | None = None
    reference: str | None = None
    id: str | None = None
    system: str | None = None
    model: str | None = None
    model_column: str = "model"
    check: ReferenceKind = "auto"
    tags: tuple[str, ...] = ()
    delimiter: str | None = None

    @classmethod
    def from_query(cls, query: str) -> LoadOptions:
        """Parse ``key=value&key=value`` (the part of a path after ``?``)."""
        values: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            values[key.strip().replace("-", "_")] = value
        known = {
            "format",
            "prompt",
            "response",
            "baseline",
            "reference",
            "id",
            "system",
            "model",
            "generator",
            "model_column",
            "check",
            "tags",
            "delimiter",
        }
        unknown = sorted(set(values) - known)
        if unknown:
            raise DatasetError(
                f"Unknown cases option {unknown[0]!r}. "
                f"Use one of: {', '.join(sorted(known))} (e.g. file.csv?model=gpt-4-0314)."
            )
        check = values.get("check", "auto")
        if check not in REFERENCE_KINDS:
            raise DatasetError(
                f"Unknown reference check {check!r}; use one of {', '.join(REFERENCE_KINDS)}."
            )
        fmt = values.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise DatasetError(f"Unknown cases format {fmt!r}; use one of {', '.join(FORMATS)}.")
        return cls(
            format=fmt,
            prompt=values.get("prompt"),
            response=values.get("response") or values.get("baseline"),
            reference=values.get("reference"),
            id=values.get("id"),
            system=values.get("system"),
            model=values.get("model") or values.get("generator"),
            model_column=values.get("model_column", "model"),
            check=cast(ReferenceKind, check),
            tags=tuple(t for t in values.get("tags", "").split(",") if t),
            delimiter=values.get("delimiter"),
        )


def split_spec(spec: str) -> tuple[Path, LoadOptions]:
    """Split ``path?options`` into the path and its :class:`LoadOptions`."""
    path, _, query = spec.partition("?")
    return Path(path).expanduser(), LoadOptions.from_query(query)


# --------------------------------------------------------------------------- helpers


def content_text(content: object) -> str:
    """Return the text of a message ``content``: a string, a list of parts, or an object.

    Objects with one of ``text``, ``answer``, ``content`` or ``output`` give that
    field (arena-hard stores ``{"answer": ...}``); parts of type ``text`` are joined.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    if isinstance(content, dict):
        for key in ("text", "answer", "content", "output"):
            if key in content:
                return content_text(content[key])
    return str(content)


_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Collapse whitespace and strip: the form prompts are matched in."""
    return _WS.sub(" ", text).strip()


def prompt_key(messages: Sequence[Mapping[str, object]]) -> str:
    """Return a whitespace-insensitive key of the conversation's roles and texts."""
    return "\n".join(
        f"{m.get('role', '')}:{normalize_text(content_text(m.get('content')))}" for m in messages
    )


def _hash_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _as_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _as_float(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _as_datetime(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    for fmt in ("%m/%d/%Y, %H:%M:%S", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        number = _as_float(text)
        return _as_datetime(number) if number is not None else None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _tool_calls(raw: object) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    if not isinstance(raw, list):
        return ()
    for item in raw:
        if not isinstance(item, dict):
            continue
        function = item.get("function", item)
        if not isinstance(function, dict):
            continue
        name = function.get("name")
        if not isinstance(name, str):
            continue
        args = function.get("arguments", function.get("input", "{}"))
        if not isinstance(args, str):
            args = json.dumps(args, sort_keys=True)
        calls.append(ToolCall(name=name, arguments=args, id=str(item.get("id", ""))))
    return tuple(calls)


def _usage(raw: object) -> tuple[int | None, int | None]:
    if not isinstance(raw, dict):
        return None, None
    prompt = raw.get("prompt_tokens", raw.get("input_tokens"))
    completion = raw.get("completion_tokens", raw.get("output_tokens"))
    return _as_int(prompt), _as_int(completion)


def response_from_json(raw: object, *, latency: float | None = None) -> Response:
    """Build a :class:`Response` from a string, a message, or a chat-completion object."""
    if isinstance(raw, str):
        return Response(text=raw, latency_s=latency)
    if not isinstance(raw, dict):
        raise ValueError(f"response must be a string or an object, not {type(raw).__name__}")
    input_tokens, output_tokens = _usage(raw.get("usage"))
    model = str(raw.get("model", "") or "")
    choices = raw.get("choices")
    if isinstance(choices, list) and choices:
        first = choices[0]
        if not isinstance(first, dict):
            raise ValueError("choices[0] is not an object")
        message = first.get("message", {})
        if not isinstance(message, dict):
            raise ValueError("choices[0].message is not an object")
        return Response(
            text=content_text(message.get("content")),
            tool_calls=_tool_calls(message.get("tool_calls")),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_s=latency,
            model=model,
            finish_reason=str(first.get("finish_reason") or ""),
        )
    if "content" in raw or "text" in raw or "answer" in raw or "tool_calls" in raw:
        content = raw.get("content", raw.get("text", raw.get("answer")))
        tool_calls = _tool_calls(raw.get("tool_calls"))
        if isinstance(content, list):  # Anthropic content blocks
            blocks = [b for b in content if isinstance(b, dict)]
            anthropic_tools = [
                {"name": b.get("name"), "input": b.get("input", {}), "id": b.get("id", "")}
                for b in blocks
                if b.get("type") == "tool_use"
            ]
            tool_calls = tool_calls or _tool_calls(anthropic_tools)
        latency = latency if latency is not None else _latency(raw)
        return Response(
            text=content_text(content),
            tool_calls=tool_calls,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_s=latency,
            cost_usd=_as_float(raw.get("cost", raw.get("cost_usd"))),
            model=model,
            finish_reason=str(raw.get("finish_reason", raw.get("stop_reason")) or ""),
        )
    raise ValueError("response object has no 'choices', 'content' or 'text'")


def _latency(row: Mapping[str, object]) -> float | None:
    for key in ("latency_s", "latency"):
        if key in row:
            return _as_float(row[key])
    if "latency_ms" in row:
        value = _as_float(row["latency_ms"])
        return value / 1000 if value is not None else None
    return None


def _params(row: Mapping[str, object]) -> dict[str, JSONValue]:
    return {k: cast(JSONValue, row[k]) for k in REQUEST_PARAMS if k in row}


def _tags(row: Mapping[str, object], extra: Sequence[str]) -> tuple[str, ...]:
    tags: list[str] = []
    raw = row.get("tags")
    if isinstance(raw, list):
        tags.extend(str(t) for t in raw)
    elif isinstance(raw, str) and raw:
        tags.extend(t.strip() for t in raw.split(",") if t.strip())
    for key in (*_TAG_KEYS, *extra):
        value = row.get(key)
        if isinstance(value, (str, int)) and str(value) and key != "tags":
            tags.append(f"{key}:{value}")
    return tuple(dict.fromkeys(tags))


def _reference(raw: object, default_kind: ReferenceKind) -> Reference | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        for kind in REFERENCE_KINDS:
            if kind in raw:
                tolerance = _as_float(raw.get("tolerance"))
                return Reference(
                    value=str(raw[kind]),
                    kind=cast(ReferenceKind, kind),
                    tolerance=tolerance if tolerance is not None else 1e-6,
                )
        if "value" in raw:
            kind = str(raw.get("kind", default_kind))
            if kind not in REFERENCE_KINDS:
                raise ValueError(f"unknown reference kind {kind!r}")
            tolerance = _as_float(raw.get("tolerance"))
            return Reference(
                value=str(raw["value"]),
                kind=cast(ReferenceKind, kind),
                tolerance=tolerance if tolerance is not None else 1e-6,
            )
        raise ValueError("reference object needs one of: " + ", ".join(REFERENCE_KINDS))
    return Reference(value=str(raw), kind=default_kind)


def _messages(raw: object) -> list[JSONObject]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("'messages' must be a non-empty list")
    out: list[JSONObject] = []
    for index, message in enumerate(raw):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError(f"messages[{index}] has no 'role'")
        out.append(cast(JSONObject, dict(message)))
    return out


# --------------------------------------------------------------------------- detection


def detect_format(path: Path, options: LoadOptions | None = None) -> str:
    """Return the loader for a file: ``chat``, ``batch``, ``csv`` or ``outputs``.

    The ``format=`` option wins; then ``.csv``/``.tsv``; then the first JSON
    value of the file: a list means ``outputs``, a line with ``custom_id`` means
    ``batch``, one with ``instruction`` and ``output`` means ``outputs``.
    """
    if options is not None and options.format:
        return options.format
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:
        return "csv"
    try:
        with open(path, encoding="utf-8-sig") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise DatasetError(f"Cannot read cases file {str(path)!r}: {exc.strerror}.") from exc
    stripped = head.lstrip()
    if stripped.startswith("["):
        return "outputs"
    for line in stripped.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            first = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(first, dict):
            if "custom_id" in first and ("body" in first or "response" in first):
                return "batch"
            if "instruction" in first and "output" in first and "messages" not in first:
                return "outputs"
        return "chat"
    if suffix == ".json":
        return "outputs"
    return "chat"


# --------------------------------------------------------------------------- loaders


@dataclass
class _Partial:
    """What one file says about one case before files are merged."""

    id: str
    messages: list[JSONObject] | None
    baseline: Response | None
    params: dict[str, JSONValue]
    reference: Reference | None
    tags: tuple[str, ...]
    source: str
    created_at: datetime | None
    keyed_by_prompt: bool = False


def _iter_jsonl(path: Path) -> Iterator[tuple[int, object | None, str]]:
    """Yield (line number, parsed value or None, error) for every non-blank line."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line), ""
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def _chat_row(row: Mapping[str, object], options: LoadOptions, source: str) -> _Partial:
    request = row.get("request") if isinstance(row.get("request"), dict) else None
    body: Mapping[str, object] = cast(Mapping[str, object], request) if request else row
    if "messages" in body:
        messages = _messages(body["messages"])
    elif isinstance(body.get("prompt"), str) or isinstance(body.get("instruction"), str):
        text = body.get("prompt", body.get("instruction"))
        messages = [{"role": "user", "content": cast(str, text)}]
        if isinstance(body.get("system"), str):
            messages.insert(0, {"role": "system", "content": cast(str, body["system"])})
    else:
        raise ValueError("no 'messages' or 'prompt'")
    baseline: Response | None = None
    latency = _latency(row)
    raw_response = row.get(options.response or "response")
    if raw_response is None:
        raw_response = row.get("output") if "output" in row else None
    if raw_response is not None:
        baseline = response_from_json(raw_response, latency=latency)
    elif messages and messages[-1].get("role") == "assistant":
        last = messages.pop()
        if not messages:
            raise ValueError("only an assistant message, no request")
        baseline = response_from_json(dict(last), latency=latency)
    if baseline is not None:
        input_tokens, output_tokens = _usage(row.get("usage"))
        baseline = replace(
            baseline,
            model=baseline.model or str(row.get("model", "") or ""),
            input_tokens=baseline.input_tokens
            if baseline.input_tokens is not None
            else input_tokens,
            output_tokens=(
                baseline.output_tokens if baseline.output_tokens is not None else output_tokens
            ),
            cost_usd=baseline.cost_usd
            if baseline.cost_usd is not None
            else _as_float(row.get("cost", row.get("cost_usd"))),
        )
    case_id = ""
    id_keys = (options.id,) if options.id else _ID_KEYS
    for key in id_keys:
        value = row.get(key)
        if isinstance(value, (str, int)) and str(value) != "":
            case_id = str(value)
            break
    reference_raw = None
    for key in (options.reference,) if options.reference else _REFERENCE_KEYS:
        if key in row:
            reference_raw = row[key]
            break
    params = _params(body)
    created = None
    for key in ("created_at", "tstamp", "timestamp", "created"):
        if key in row:
            created = _as_datetime(row[key])
            break
    keyed = not case_id
    return _Partial(
        id=case_id or _hash_id(prompt_key(messages)),
        messages=messages,
        baseline=baseline,
        params=params,
        reference=_reference(reference_raw, options.check),
        tags=_tags(row, options.tags),
        source=source,
        created_at=created,
        keyed_by_prompt=keyed,
    )


def _load_chat(path: Path, options: LoadOptions) -> tuple[list[_Partial], list[SkippedRow]]:
    partials: list[_Partial] = []
    skipped: list[SkippedRow] = []
    for number, value, error in _iter_jsonl(path):
        if error:
            skipped.append(SkippedRow(str(path), number, error))
            continue
        if not isinstance(value, dict):
            skipped.append(SkippedRow(str(path), number, "line is not a JSON object"))
            continue
        if options.model and str(value.get(options.model_column, "")) != options.model:
            continue
        try:
            partials.append(_chat_row(value, options, f"{path}:{number}"))
        except ValueError as exc:
            skipped.append(SkippedRow(str(path), number, str(exc)))
    return partials, skipped


def _load_batch(path: Path, options: LoadOptions) -> tuple[list[_Partial], list[SkippedRow]]:
    partials: list[_Partial] = []
    skipped: list[SkippedRow] = []
    for number, value, error in _iter_jsonl(path):
        source = f"{path}:{number}"
        if error:
            skipped.append(SkippedRow(str(path), number, error))
            continue
        if not isinstance(value, dict) or not isinstance(value.get("custom_id"), str):
            skipped.append(SkippedRow(str(path), number, "no 'custom_id'"))
            continue
        custom_id = value["custom_id"]
        try:
            if isinstance(value.get("body"), dict):  # input line
                body = value["body"]
                messages = _messages(body.get("messages"))
                partials.append(
                    _Partial(
                        id=custom_id,
                        messages=messages,
                        baseline=None,
                        params=_params(body),
                        reference=None,
                        tags=_tags(value, options.tags),
                        source=source,
                        created_at=None,
                    )
                )
                continue
            response = value.get("response")
            if value.get("error") or not isinstance(response, dict):
                error_text = value.get("error")
                raise ValueError(f"request failed in the batch: {json.dumps(error_text)[:200]}")
            status = response.get("status_code", 200)
            if status != 200:
                raise ValueError(f"request failed in the batch with HTTP {status}")
            completion = response.get("body")
            created = (
                _as_datetime(completion.get("created")) if isinstance(completion, dict) else None
            )
            partials.append(
                _Partial(
                    id=custom_id,
                    messages=None,
                    baseline=response_from_json(completion),
                    params={},
                    reference=None,
                    tags=(),
                    source=source,
                    created_at=created,
                )
            )
        except ValueError as exc:
            skipped.append(SkippedRow(str(path), number, str(exc)))
    return partials, skipped


_CSV_DEFAULTS: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "query", "question", "input", "instruction", "user"),
    "response": ("baseline", "response", "answer", "output", "completion"),
    "reference": ("reference", "ref_answer", "expected", "expected_output", "target"),
    "id": ("id", "case_id", "custom_id", "uid", "question_id"),
    "system": ("system", "system_prompt"),
}


def _pick_column(header: Sequence[str], kind: str, explicit: str | None, path: Path) -> str | None:
    if explicit:
        if explicit not in header:
            raise DatasetError(
                f"Column {explicit!r} is not in {str(path)!r}; "
                f"columns are: {', '.join(h for h in header if h)}."
            )
        return explicit
    lower = {h.lower(): h for h in header}
    for name in _CSV_DEFAULTS[kind]:
        if name in lower:
            return lower[name]
    return None


def _load_csv(path: Path, options: LoadOptions) -> tuple[list[_Partial], list[SkippedRow]]:
    csv.field_size_limit(1 << 30)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DatasetError(f"Cannot read cases file {str(path)!r}: {exc.strerror}.") from exc
    delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    prompt_col = _pick_column(header, "prompt", options.prompt, path)
    if prompt_col is None:
        raise DatasetError(
            f"No prompt column in {str(path)!r} (columns: {', '.join(h for h in header if h)}). "
            f"Name it with ?prompt=COLUMN."
        )
    response_col = _pick_column(header, "response", options.response, path)
    reference_col = _pick_column(header, "reference", options.reference, path)
    id_col = _pick_column(header, "id", options.id, path)
    system_col = _pick_column(header, "system", options.system, path)
    model_col = options.model_column if options.model_column in header else None
    if model_col and not options.model:
        models = sorted({row.get(model_col) or "" for row in csv.DictReader(io.StringIO(text))})
        if len(models) > 1:
            raise DatasetError(
                f"{str(path)!r} holds rows of {len(models)} models in column {model_col!r}: "
                f"{', '.join(models[:8])}. Pick the baseline with ?model=VALUE."
            )
    tag_cols = [c for c in options.tags if c in header] or [
        c for c in header if c.lower() in _TAG_KEYS
    ]
    lower = {h.lower(): h for h in header}
    latency_col = next((lower[c] for c in ("latency_s", "latency") if c in lower), None)
    cost_col = next((lower[c] for c in ("cost_usd", "cost") if c in lower), None)
    out_tok_col = next(
        (lower[c] for c in ("output_tokens", "completion_tokens", "answer_token") if c in lower),
        None,
    )
    in_tok_col = next((lower[c] for c in ("input_tokens", "prompt_tokens") if c in lower), None)
    time_col = next((lower[c] for c in ("created_at", "timestamp") if c in lower), None)
    partials: list[_Partial] = []
    skipped: list[SkippedRow] = []
    # reader.line_num is the physical line where a row ends; track its start.
    start_line = 2
    for row in reader:
        line = start_line
        start_line = reader.line_num + 1
        if None in row:
            skipped.append(SkippedRow(str(path), line, "more fields than the header"))
            continue
        if options.model and model_col and (row.get(model_col) or "") != options.model:
            continue
        prompt = row.get(prompt_col) or ""
        if not prompt.strip():
            skipped.append(SkippedRow(str(path), line, f"empty prompt column {prompt_col!r}"))
            continue
        messages: list[JSONObject] = []
        if system_col and (row.get(system_col) or "").strip():
            messages.append({"role": "system", "content": row[system_col]})
        messages.append({"role": "user", "content": prompt})
        baseline = None
        if response_col:
            baseline = Response(
                text=row.get(response_col) or "",
                latency_s=_as_float(row.get(latency_col)) if latency_col else None,
                cost_usd=_as_float(row.get(cost_col)) if cost_col else None,
                output_tokens=_as_int(row.get(out_tok_col)) if out_tok_col else None,
                input_tokens=_as_int(row.get(in_tok_col)) if in_tok_col else None,
                model=(row.get(model_col) or "") if model_col else "",
            )
        case_id = (row.get(id_col) or "").strip() if id_col else ""
        tags = tuple(f"{c.lower()}:{row[c]}" for c in tag_cols if (row.get(c) or "").strip())
        try:
            reference = _reference(row.get(reference_col) if reference_col else None, options.check)
        except ValueError as exc:
            skipped.append(SkippedRow(str(path), line, str(exc)))
            continue
        partials.append(
            _Partial(
                id=case_id or _hash_id(prompt_key(messages)),
                messages=messages,
                baseline=baseline,
                params={},
                reference=reference,
                tags=tags,
                source=f"{path}:{line}",
                created_at=_as_datetime(row.get(time_col)) if time_col else None,
                keyed_by_prompt=not case_id,
            )
        )
    return partials, skipped


def _load_outputs(path: Path, options: LoadOptions) -> tuple[list[_Partial], list[SkippedRow]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DatasetError(f"Cannot read cases file {str(path)!r}: {exc.strerror}.") from exc
    rows: list[tuple[int, object]] = []
    skipped: list[SkippedRow] = []
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}. "
                "An outputs file is a JSON list of {instruction, output, generator}."
            ) from exc
        # Report each element by the line where it starts.
        starts = _element_lines(text, len(data))
        rows = list(zip(starts, data, strict=True))
    else:
        for number, value, error in _iter_jsonl(path):
            if error:
                skipped.append(SkippedRow(str(path), number, error))
            else:
                rows.append((number, value))
    generators = sorted(
        {str(r.get("generator", "")) for _, r in rows if isinstance(r, dict)} - {""}
    )
    if len(generators) > 1 and not options.model:
        raise DatasetError(
            f"{str(path)!r} holds outputs of {len(generators)} generators: "
            f"{', '.join(generators[:8])}. Pick one with ?generator=NAME."
        )
    partials: list[_Partial] = []
    for number, row in rows:
        if not isinstance(row, dict):
            skipped.append(SkippedRow(str(path), number, "element is not an object"))
            continue
        if options.model and str(row.get("generator", "")) != options.model:
            continue
        instruction = row.get(options.prompt or "instruction")
        output = row.get(options.response or "output")
        if not isinstance(instruction, str) or not instruction.strip():
            skipped.append(SkippedRow(str(path), number, "no 'instruction' text"))
            continue
        if not isinstance(output, str):
            skipped.append(SkippedRow(str(path), number, "no 'output' text"))
            continue
        messages: list[JSONObject] = [{"role": "user", "content": instruction}]
        partials.append(
            _Partial(
                id=_hash_id(prompt_key(messages)),
                messages=messages,
                baseline=Response(text=output, model=str(row.get("generator", ""))),
                params={},
                reference=_reference(row.get("reference"), options.check),
                tags=_tags(row, options.tags),
                source=f"{path}:{number}",
                created_at=None,
                keyed_by_prompt=True,
            )
        )
    return partials, skipped


def _element_lines(text: str, count: int) -> list[int]:
    """Best-effort start line of each top-level element of a JSON list."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    index = text.index("[") + 1
    length = len(text)
    for _ in range(count):
        while index < length and text[index] in " \t\r\n,":
            index += 1
        lines.append(text.count("\n", 0, index) + 1)
        try:
            _, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            break
    lines.extend([lines[-1] if lines else 1] * (count - len(lines)))
    return lines


_LOADERS = {
    "chat": _load_chat,
    "batch": _load_batch,
    "csv": _load_csv,
    "outputs": _load_outputs,
}


def _load_partials(spec: str | Path) -> tuple[list[_Partial], list[SkippedRow], str]:
    if isinstance(spec, Path):
        path, options = spec, LoadOptions()
    else:
        path, options = split_spec(spec)
    if not path.is_file():
        raise DatasetError(f"Cases file {str(path)!r} does not exist; check the --cases path.")
    fmt = detect_format(path, options)
    partials, skipped = _LOADERS[fmt](path, options)
    return partials, skipped, str(path)


def _merge(partials: Iterable[_Partial], skipped: list[SkippedRow]) -> tuple[list[Case], int]:
    """Merge partials from every file by id (or prompt text for prompt-keyed rows)."""
    by_id: dict[str, _Partial] = {}
    order: list[str] = []
    prompt_index: dict[str, str] = {}
    duplicates = 0
    for part in partials:
        key = part.id
        if part.keyed_by_prompt and part.messages is not None:
            key = prompt_index.get(prompt_key(part.messages), key)
        existing = by_id.get(key)
        if existing is None:
            by_id[key] = part
            order.append(key)
            if part.messages is not None:
                prompt_index.setdefault(prompt_key(part.messages), key)
            continue
        if existing.baseline is not None and part.baseline is not None:
            duplicates += 1
            path, _, line = part.source.rpartition(":")
            skipped.append(
                SkippedRow(
                    path,
                    int(line) if line.isdigit() else 0,
                    f"duplicate case {key!r} (first at {existing.source})",
                )
            )
            continue
        existing.messages = existing.messages or part.messages
        if existing.baseline is None:
            existing.baseline = part.baseline
            existing.source = part.source if part.messages is not None else existing.source
        existing.params = {**part.params, **existing.params}
        existing.reference = existing.reference or part.reference
        existing.tags = tuple(dict.fromkeys(existing.tags + part.tags))
        existing.created_at = existing.created_at or part.created_at
        if existing.messages is not None:
            prompt_index.setdefault(prompt_key(existing.messages), key)
    cases: list[Case] = []
    for key in order:
        part = by_id[key]
        path, _, line = part.source.rpartition(":")
        where = (path, int(line) if line.isdigit() else 0)
        if part.messages is None:
            skipped.append(SkippedRow(*where, f"response for {key!r} has no matching request"))
            continue
        if part.baseline is None:
            skipped.append(SkippedRow(*where, f"case {key!r} has no baseline response"))
            continue
        cases.append(
            Case(
                id=key,
                messages=tuple(part.messages),
                baseline=part.baseline,
                params=part.params,
                reference=part.reference,
                tags=part.tags,
                source=part.source,
                created_at=part.created_at,
            )
        )
    return cases, duplicates


def load_cases(specs: Sequence[str | Path], *, dedup: bool = True) -> CaseSet:
    """Load and merge cases from files (``path`` or ``path?options``).

    Rows from several files with the same id (or the same prompt text, for files
    without ids) are merged: a prompt-only file adds tags and parameters, a batch
    output file adds responses. With ``dedup``, cases whose whole conversation and
    parameters repeat an earlier case are dropped and counted.

    Raises :class:`DatasetError` when a file is missing or its options do not fit;
    malformed rows are skipped and listed in ``CaseSet.skipped``.
    """
    if not specs:
        raise DatasetError("No cases file given; pass --cases PATH.")
    all_partials: list[_Partial] = []
    skipped: list[SkippedRow] = []
    sources: list[str] = []
    for spec in specs:
        partials, file_skipped, source = _load_partials(spec)
        all_partials.extend(partials)
        skipped.extend(file_skipped)
        sources.append(source)
    cases, duplicates = _merge(all_partials, skipped)
    if dedup:
        cases, dropped = dedup_cases(cases)
        duplicates += dropped
    return CaseSet(cases=cases, skipped=skipped, duplicates=duplicates, sources=sources)


def load_responses(
    spec: str | Path,
) -> tuple[dict[str, Response], dict[str, Response], list[SkippedRow]]:
    """Read recorded responses (a replay candidate) from any cases format.

    Returns responses keyed by case id and by :func:`prompt_key`, plus the
    skipped rows. The file's own baseline column or response is the response.
    """
    partials, skipped, _ = _load_partials(spec)
    by_id: dict[str, Response] = {}
    by_prompt: dict[str, Response] = {}
    for part in partials:
        if part.baseline is None:
            continue
        if not part.keyed_by_prompt:
            by_id.setdefault(part.id, part.baseline)
        if part.messages is not None:
            by_prompt.setdefault(prompt_key(part.messages), part.baseline)
    return by_id, by_prompt, skipped


# --------------------------------------------------------------------------- selection


def dedup_cases(cases: Sequence[Case]) -> tuple[list[Case], int]:
    """Drop cases repeating an earlier one's conversation and parameters; return (kept, dropped)."""
    seen: set[str] = set()
    kept: list[Case] = []
    for case in cases:
        key = case.prompt_key + "\x00" + json.dumps(dict(case.params), sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        kept.append(case)
    return kept, len(cases) - len(kept)


def sample_cases(cases: Sequence[Case], n: int, *, seed: int = 0) -> list[Case]:
    """Return ``n`` cases stratified by tags, reproducibly for a ``seed``.

    Strata are visited in a seeded random order, taking one case from each in
    turn, so every stratum is represented before any gets a second case and
    proportions stay close to the full set's. The result keeps the input order.
    """
    if n <= 0:
        raise DatasetError(f"--sample must be positive, not {n}.")
    if n >= len(cases):
        return list(cases)
    rng = random.Random(seed)
    strata: dict[str, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        strata[case.stratum].append(index)
    pools = list(strata.values())
    for pool in pools:
        rng.shuffle(pool)
    # Proportional allocation, largest remainder first (ties broken by the seed).
    total = len(cases)
    exact = [n * len(pool) / total for pool in pools]
    quota = [int(x) for x in exact]
    order = sorted(range(len(pools)), key=lambda i: (-(exact[i] - quota[i]), rng.random()))
    for i in order[: n - sum(quota)]:
        quota[i] += 1
    chosen = [index for pool, q in zip(pools, quota, strict=True) for index in pool[:q]]
    return [cases[i] for i in sorted(chosen)]


def split_cases(
    cases: Sequence[Case], holdout: float = 0.3, *, seed: int = 0
) -> tuple[list[Case], list[Case]]:
    """Split into (train, holdout) by a seeded hash of each case id: stable as cases are added."""
    if not 0 < holdout < 1:
        raise DatasetError(f"holdout fraction must be between 0 and 1, not {holdout}.")
    train: list[Case] = []
    held: list[Case] = []
    for case in cases:
        digest = hashlib.sha256(f"{seed}:{case.id}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        (held if fraction < holdout else train).append(case)
    return train, held
