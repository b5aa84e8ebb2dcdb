"""Operational numbers: latency, output tokens and cost per case.

Token counts come from the response's usage; when a recording has none they
are estimated as characters / 4 (rounded up), which is close for English text
with OpenAI and Anthropic tokenizers and good enough to compare candidates.
Cost uses the response's recorded cost when present, else the usage and the
catalog's prices for the candidate's model (``None`` when no price is known).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from recast.audition._cases import Case, Response, content_text
from recast.audition.scorers._base import MetricInfo, Values, failed
from recast.catalog import Prices

#: Look up the prices of a model id (``None`` when unknown).
PriceLookup = Callable[[str], "Prices | None"]


def estimate_tokens(text: str) -> int:
    """Estimate a token count as characters / 4, rounded up."""
    return math.ceil(len(text) / 4)


def request_tokens(case: Case) -> int:
    """Estimated input tokens of a case's request (messages' text, characters / 4)."""
    return sum(estimate_tokens(content_text(m.get("content"))) + 4 for m in case.messages)


def output_tokens(response: Response) -> int:
    """The response's output tokens, from usage or estimated from its text."""
    if response.output_tokens is not None:
        return response.output_tokens
    extra = sum(len(c.arguments) + len(c.name) for c in response.tool_calls)
    return math.ceil((len(response.text) + extra) / 4)


def response_cost(
    case: Case, response: Response, model: str, prices: PriceLookup | None
) -> float | None:
    """USD cost of one response: recorded, else computed from usage and catalog prices."""
    if response.cost_usd is not None and not response.cached:
        return response.cost_usd
    if prices is None:
        return response.cost_usd
    price = prices(response.model or model)
    if price is None and response.model and model:
        price = prices(model)
    if price is None:
        return None
    input_tokens = (
        response.input_tokens if response.input_tokens is not None else request_tokens(case)
    )
    return price.cost(input_tokens, output_tokens(response))


class LatencyScorer:
    """Seconds from request to full response, as recorded."""

    name = "latency_s"
    info = MetricInfo(
        "latency_s",
        "Latency",
        kind="operational",
        unit="s",
        higher_is_better=False,
        description="seconds from request to complete response",
    )

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        return [
            None if failed(r) or r is None or r.latency_s is None else float(r.latency_s)
            for r in responses
        ]


class OutputTokensScorer:
    """Output tokens per response (usage, else characters / 4)."""

    name = "output_tokens"
    info = MetricInfo(
        "output_tokens",
        "Output tokens",
        kind="operational",
        unit="tokens",
        higher_is_better=False,
        description="output tokens per response",
    )

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        return [None if failed(r) or r is None else float(output_tokens(r)) for r in responses]


class CostScorer:
    """USD per case from usage and catalog prices (see :func:`response_cost`)."""

    name = "cost_usd"
    info = MetricInfo(
        "cost_usd",
        "Cost",
        kind="operational",
        unit="USD",
        higher_is_better=False,
        description="USD per case at catalog prices",
    )

    def __init__(self, model: str = "", prices: PriceLookup | None = None) -> None:
        self.model = model
        self.prices = prices

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        out: Values = []
        for case, response in zip(cases, responses, strict=True):
            if failed(response) or response is None:
                out.append(None)
            else:
                out.append(response_cost(case, response, self.model, self.prices))
        return out
