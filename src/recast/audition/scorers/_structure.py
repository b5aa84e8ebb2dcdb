"""Structure fidelity: JSON shape and tool calls.

A case is scored on structure only when structure is at stake: the request
had ``response_format`` or ``tools``, the baseline answered with JSON, or the
baseline called tools. Other cases get ``None`` (not applicable).

* **JSON**: half for the candidate being valid JSON, half for agreement of the
  shape: the Jaccard overlap of (path, type) pairs of both documents. With a
  ``json_schema`` response format, the candidate must also conform to the
  schema (a built-in subset: ``type``, ``properties``, ``required``, ``items``,
  ``enum``, ``additionalProperties: false``), otherwise the score is halved.
* **Tool calls**: the Jaccard overlap of the tool names called, times the mean
  agreement of the arguments of calls with the same name (share of top-level
  argument keys with equal values, over the union of keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from recast.audition._cases import Case, JSONValue, Response, ToolCall
from recast.audition.scorers._base import MetricInfo, Values, failed

_FENCED = re.compile(r"^\s*```(?:json|JSON)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_MISSING = object()


def parse_json(text: str) -> object:
    """Parse a response as JSON (a fenced ```json block counts); return ``_MISSING`` if not."""
    candidate = text.strip()
    fenced = _FENCED.match(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
    if not candidate or candidate[0] not in "[{":
        return _MISSING
    try:
        return json.loads(candidate)
    except (json.JSONDecodeError, RecursionError):
        return _MISSING


def _type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value: object, prefix: str = "$") -> set[tuple[str, str]]:
    """The (path, type) pairs of a JSON document; array items share the path ``[]``."""
    pairs = {(prefix, _type(value))}
    if isinstance(value, dict):
        for key, child in value.items():
            pairs |= shape(child, f"{prefix}.{key}")
    elif isinstance(value, list):
        for child in value[:50]:
            pairs |= shape(child, f"{prefix}[]")
    return pairs


def jaccard(a: set[tuple[str, str]] | set[str], b: set[tuple[str, str]] | set[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 1 for two empty sets."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def conforms(value: object, schema: Mapping[str, object]) -> bool:
    """Check a JSON value against a JSON-schema subset (see the module docstring)."""
    expected = schema.get("type")
    if isinstance(expected, (str, list)):
        types = [expected] if isinstance(expected, str) else expected
        actual = _type(value)
        ok = actual in types or (
            actual == "number" and "integer" in types and float(str(value)).is_integer()
        )
        if not ok:
            return False
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return False
    if isinstance(value, dict):
        properties = schema.get("properties")
        props = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        if isinstance(required, list) and any(r not in value for r in required):
            return False
        if schema.get("additionalProperties") is False and any(k not in props for k in value):
            return False
        for key, sub in props.items():
            if key in value and isinstance(sub, dict) and not conforms(value[key], sub):
                return False
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict) and not all(conforms(v, items) for v in value):
            return False
    return True


def _schema_of(params: Mapping[str, JSONValue]) -> Mapping[str, object] | None:
    fmt = params.get("response_format")
    if not isinstance(fmt, dict):
        return None
    wrapper = fmt.get("json_schema")
    if isinstance(wrapper, dict):
        schema = wrapper.get("schema")
        if isinstance(schema, dict):
            return schema
    return None


def _wants_json(params: Mapping[str, JSONValue]) -> bool:
    fmt = params.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") in {"json_object", "json_schema"}


def _arguments(call: ToolCall) -> dict[str, object]:
    try:
        value = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {"": value}


def tool_agreement(candidate: Sequence[ToolCall], baseline: Sequence[ToolCall]) -> float:
    """How closely two sets of tool calls agree, in [0, 1] (see the module docstring)."""
    if not candidate and not baseline:
        return 1.0
    names_c = {c.name for c in candidate}
    names_b = {c.name for c in baseline}
    name_score = jaccard(names_c, names_b)
    if name_score == 0:
        return 0.0
    agreements: list[float] = []
    for name in names_c & names_b:
        args_c = _arguments(next(c for c in candidate if c.name == name))
        args_b = _arguments(next(c for c in baseline if c.name == name))
        keys = set(args_c) | set(args_b)
        if not keys:
            agreements.append(1.0)
            continue
        same = sum(1 for k in keys if k in args_c and k in args_b and args_c[k] == args_b[k])
        agreements.append(same / len(keys))
    return name_score * (sum(agreements) / len(agreements))


def structure_score(case: Case, response: Response) -> float | None:
    """Structure fidelity of one response, or ``None`` when structure is not at stake."""
    baseline = case.baseline
    if baseline is None:
        return None
    tools_at_stake = bool(baseline.tool_calls) or "tools" in case.params
    base_json = parse_json(baseline.text)
    json_at_stake = base_json is not _MISSING or _wants_json(case.params)
    if not tools_at_stake and not json_at_stake:
        return None
    parts: list[float] = []
    if tools_at_stake:
        parts.append(tool_agreement(response.tool_calls, baseline.tool_calls))
    if json_at_stake and not (tools_at_stake and baseline.tool_calls and not baseline.text):
        cand_json = parse_json(response.text)
        if cand_json is _MISSING:
            parts.append(0.0)
        else:
            agreement = (
                1.0 if base_json is _MISSING else jaccard(shape(cand_json), shape(base_json))
            )
            value = 0.5 + 0.5 * agreement
            schema = _schema_of(case.params)
            if schema is not None and not conforms(cand_json, schema):
                value /= 2
            parts.append(value)
    return sum(parts) / len(parts) if parts else None


class StructureScorer:
    """Structure fidelity: JSON validity and shape, schema conformance, tool-call agreement."""

    name = "structure"
    info = MetricInfo(
        "structure",
        "Structure",
        description="JSON validity and shape, schema conformance, tool name and argument "
        "agreement (only cases where structure is at stake)",
    )

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        out: Values = []
        for case, response in zip(cases, responses, strict=True):
            if failed(response):
                out.append(0.0 if structure_score(case, Response(text="")) is not None else None)
                continue
            assert response is not None
            out.append(structure_score(case, response))
        return out
