"""Quality against a reference: exact, contains, numeric, regex, auto or a user function.

Quality is separate from fidelity: it asks "is it right?", not "is it like the
baseline?". The baseline is scored the same way so that **regressions** (the
baseline passed, the candidate failed) and **improvements** (the reverse) can
be listed. A value of at least 0.5 passes.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence

from recast.audition._cases import Case, Reference, Response
from recast.audition.scorers._base import MetricInfo, Values, failed
from recast.errors import AuditionError

PASS_THRESHOLD = 0.5

_BOXED = re.compile(r"boxed\{([^{}]*)\}")
_OPTION_REF = re.compile(r"^\(?([A-Z])\)?\.?$")
_OPTION = re.compile(r"\(([A-Z])\)|^\s*([A-Z])[).:]\s", re.MULTILINE)
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")
_BRACKET_YES_NO = re.compile(r"\[(yes|no)\]", re.IGNORECASE)
_LEADING_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

UserCheck = Callable[[str, Case], "bool | float"]


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def load_function(spec: str) -> UserCheck:
    """Import ``module:function`` (a user's check taking ``(response_text, case)``)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AuditionError(
            f"Reference function {spec!r} must be written module:function, e.g. checks:is_valid."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AuditionError(
            f"Cannot import {module_name!r} for reference function {spec!r}: {exc}. "
            "Put the module on PYTHONPATH."
        ) from exc
    function = getattr(module, attribute, None)
    if not callable(function):
        raise AuditionError(f"{spec!r}: {module_name!r} has no function {attribute!r}.")
    return function  # type: ignore[no-any-return]


def check_reference(text: str, reference: Reference, case: Case | None = None) -> float:
    """Score a response text against a reference: 1.0 pass, 0.0 fail (or a user's float)."""
    value = reference.value
    kind = reference.kind
    if kind == "exact":
        return 1.0 if _norm(text) == _norm(value) else 0.0
    if kind == "contains":
        return 1.0 if _norm(value) in _norm(text) else 0.0
    if kind == "regex":
        try:
            return 1.0 if re.search(value, text, re.IGNORECASE | re.MULTILINE) else 0.0
        except re.error as exc:
            raise AuditionError(f"Reference regex {value!r} is invalid: {exc}.") from exc
    if kind == "numeric":
        expected = _number(value)
        numbers = _NUMBER.findall(text)
        if expected is None or not numbers:
            return 0.0
        got = _number(numbers[-1])
        return 1.0 if got is not None and abs(got - expected) <= reference.tolerance else 0.0
    if kind == "function":
        if case is None:
            raise AuditionError("A function reference needs the case.")
        result = load_function(value)(text, case)
        return float(result) if not isinstance(result, bool) else (1.0 if result else 0.0)
    return _auto(text, reference)


def _auto(text: str, reference: Reference) -> float:
    value = reference.value.strip()
    boxed_ref = _BOXED.search(value)
    if boxed_ref:
        found = _BOXED.findall(text)
        return 1.0 if found and _norm(found[-1]) == _norm(boxed_ref.group(1)) else 0.0
    option = _OPTION_REF.match(value)
    if option:
        match = _OPTION.search(text)
        got = (match.group(1) or match.group(2)) if match else None
        return 1.0 if got == option.group(1) else 0.0
    if value.lower() in {"yes", "no"}:
        match = _BRACKET_YES_NO.search(text) or _LEADING_YES_NO.search(text)
        return 1.0 if match and match.group(1).lower() == value.lower() else 0.0
    expected = _number(value)
    if expected is not None:
        numbers = _NUMBER.findall(text)
        got = _number(numbers[-1]) if numbers else None
        return 1.0 if got is not None and abs(got - expected) <= reference.tolerance else 0.0
    return 1.0 if _norm(value) in _norm(text) else 0.0


class QualityScorer:
    """Correctness against each case's reference (``None`` for cases without one)."""

    name = "quality"
    info = MetricInfo(
        "quality",
        "Quality",
        kind="quality",
        description="share of cases passing their reference check",
    )

    def __init__(self) -> None:
        self._baseline: dict[str, float | None] = {}

    def baseline_value(self, case: Case) -> float | None:
        """The baseline's own quality on a case (cached), ``None`` without a reference."""
        if case.id not in self._baseline:
            if case.reference is None or case.baseline is None:
                self._baseline[case.id] = None
            else:
                self._baseline[case.id] = check_reference(case.baseline.text, case.reference, case)
        return self._baseline[case.id]

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        out: Values = []
        for case, response in zip(cases, responses, strict=True):
            if case.reference is None:
                out.append(None)
            elif failed(response):
                out.append(0.0)
            else:
                assert response is not None
                out.append(check_reference(response.text, case.reference, case))
        return out
