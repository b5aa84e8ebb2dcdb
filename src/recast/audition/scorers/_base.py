"""What every scorer is: a named thing that turns (case, candidate response) pairs into values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from recast.audition._cases import Case, Response

#: Per-case values of one metric for one candidate; ``None`` means "does not apply".
Values = list[float | None]


@dataclass(frozen=True)
class MetricInfo:
    """How to read a metric: its unit (``""`` for a [0, 1] score) and which way is better.

    ``kind`` is ``fidelity`` (closeness to the baseline, higher is closer),
    ``quality`` (correctness against a reference) or ``operational``.
    """

    name: str
    label: str
    kind: str = "fidelity"
    unit: str = ""
    higher_is_better: bool = True
    description: str = ""


@runtime_checkable
class Scorer(Protocol):
    """Score one candidate's responses against the cases' baselines.

    ``score`` gets the cases and the candidate's response to each (``None`` when
    the candidate produced none: the call failed) and returns one value per case.
    A failed response scores 0 on fidelity metrics (it does not behave like the
    baseline) and ``None`` on operational ones.
    """

    name: str
    info: MetricInfo

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values: ...


def failed(response: Response | None) -> bool:
    """True when there is no usable response (the call failed or was never made)."""
    return response is None or bool(response.error)
