"""Score candidates' responses against the baseline and rank them with confidence.

:func:`score_audition` is the pure part of an audition: given the cases and
each candidate's responses (recorded replays or live answers from the
runner), it runs the scorers, bootstraps every metric, builds the composite
fidelity score, ranks candidates and lists regressions. It does no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from recast.audition._cases import Case, Response, SkippedRow
from recast.audition._stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_WEIGHTS,
    Array,
    Estimate,
    as_array,
    bootstrap,
    composite,
    paired_difference,
    percentile,
    resample_indices,
)
from recast.audition.scorers import (
    PASS_THRESHOLD,
    ChrfScorer,
    CostScorer,
    Embedder,
    EmbeddingScorer,
    FeatureShift,
    LatencyScorer,
    MetricInfo,
    OutputTokensScorer,
    PriceLookup,
    QualityScorer,
    RefusalScorer,
    RougeLScorer,
    Scorer,
    StructureScorer,
    StyleScorer,
    failed,
    response_cost,
    style_shift,
)
from recast.catalog import Prices
from recast.errors import AuditionError, RecastError

#: Fidelity metrics that may enter the composite, in report order.
FIDELITY_METRICS = ("content", "style", "structure", "refusal")
FIDELITY_INFO = MetricInfo(
    "fidelity",
    "Fidelity",
    description="weighted mean of content, style, structure and refusal fidelity",
)
DEFAULT_SCORERS = ("content", "style", "structure", "refusal", "quality")
#: ``Response.error`` of a replay candidate with no recording for a case.
NOT_RECORDED = "no recorded response for this case"


@dataclass(frozen=True)
class Candidate:
    """A model auditioned against the baseline.

    ``kind`` is ``replay`` (recorded outputs) or ``live``; ``model`` is the
    model id used for catalog prices (may be empty).
    """

    name: str
    spec: str = ""
    model: str = ""
    kind: str = "replay"


@dataclass
class CandidateResult:
    """Everything measured about one candidate, in case order."""

    candidate: Candidate
    responses: list[Response | None]
    values: dict[str, Array]
    estimates: dict[str, Estimate]
    delta_vs_leader: dict[str, Estimate] = field(default_factory=dict)
    rank: int = 0
    tied_with_leader: bool = False
    latency_p50: float = math.nan
    latency_p95: float = math.nan
    monthly_cost_usd: float | None = None
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    style_shift: list[FeatureShift] = field(default_factory=list)
    failures: int = 0
    spent_usd: float = 0.0
    ranking: Estimate | None = None

    @property
    def name(self) -> str:
        return self.candidate.name


@dataclass
class BaselineSummary:
    """Operational and quality numbers of the baseline itself, for comparison."""

    model: str
    quality: Estimate
    latency_p50: float
    latency_p95: float
    output_tokens: Estimate
    cost_usd: Estimate
    monthly_cost_usd: float | None


@dataclass
class AuditionReport:
    """The outcome of an audition: candidates ranked by composite fidelity."""

    cases: list[Case]
    candidates: list[CandidateResult]
    baseline: BaselineSummary
    metrics: list[MetricInfo]
    weights: dict[str, float]
    content_method: str
    created_at: datetime
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    monthly_requests: float | None = None
    skipped: list[SkippedRow] = field(default_factory=list)
    duplicates: int = 0
    sources: list[str] = field(default_factory=list)
    run_id: str | None = None

    @property
    def leader(self) -> CandidateResult | None:
        return self.candidates[0] if self.candidates else None

    def metric(self, name: str) -> MetricInfo | None:
        return next((m for m in self.metrics if m.name == name), None)


@lru_cache(maxsize=512)
def _catalog_prices(model: str) -> Prices | None:
    try:
        from recast.catalog import load_catalog, lookup

        catalog = load_catalog()
        return catalog.prices_for(lookup(model, catalog=catalog))
    except (RecastError, NotImplementedError, LookupError, ValueError):
        return None


def catalog_prices(model: str) -> Prices | None:
    """Prices of a model id from the catalog (``None`` when unknown or no catalog)."""
    if not model:
        return None
    return _catalog_prices(model)


def build_scorers(
    names: Sequence[str] = DEFAULT_SCORERS, *, embedder: Embedder | None = None
) -> list[Scorer]:
    """The fidelity/quality scorers for ``--scorer`` names (content uses the embedder if given)."""
    scorers: list[Scorer] = []
    for name in dict.fromkeys(names):
        if name == "content":
            scorers.append(EmbeddingScorer(embedder) if embedder is not None else ChrfScorer())
        elif name == "style":
            scorers.append(StyleScorer())
        elif name == "structure":
            scorers.append(StructureScorer())
        elif name == "refusal":
            scorers.append(RefusalScorer())
        elif name == "quality":
            scorers.append(QualityScorer())
        elif name == "rouge_l":
            scorers.append(RougeLScorer())
        elif name == "chrf":
            scorers.append(ChrfScorer("chrf"))
        else:
            raise AuditionError(
                f"Unknown scorer {name!r}; use one of: content, style, structure, refusal, "
                "quality, rouge_l, chrf."
            )
    return scorers


def observed_monthly_requests(cases: Sequence[Case]) -> float | None:
    """Requests per 30 days implied by the cases' timestamps (``None`` if under a day apart)."""
    stamps = sorted(c.created_at for c in cases if c.created_at is not None)
    if len(stamps) < 2:
        return None
    span_days = (stamps[-1] - stamps[0]).total_seconds() / 86400
    if span_days < 1:
        return None
    return len(stamps) / span_days * 30


def score_audition(
    cases: Sequence[Case],
    responses: Mapping[Candidate, Sequence[Response | None]],
    *,
    scorers: Sequence[Scorer] | None = None,
    weights: Mapping[str, float] | None = None,
    prices: PriceLookup | None = catalog_prices,
    baseline_model: str = "",
    monthly_requests: float | None = None,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    spent_usd: Mapping[str, float] | None = None,
) -> AuditionReport:
    """Score each candidate's responses (aligned with ``cases``) and rank the candidates.

    ``weights`` override :data:`DEFAULT_WEIGHTS` for the composite fidelity.
    ``monthly_requests`` defaults to the volume implied by the cases' timestamps.
    """
    cases = list(cases)
    if not cases:
        raise AuditionError("No cases to audition; check the --cases files and --sample.")
    scorers = list(scorers) if scorers is not None else build_scorers()
    merged_weights = dict(DEFAULT_WEIGHTS)
    if weights:
        merged_weights.update(weights)
    if sum(merged_weights.get(m, 0.0) for m in FIDELITY_METRICS) <= 0:
        raise AuditionError("The fidelity weights add up to 0; give at least one a weight.")
    indices = resample_indices(len(cases), resamples, seed)
    if monthly_requests is None:
        monthly_requests = observed_monthly_requests(cases)
    operational: list[Scorer] = [LatencyScorer(), OutputTokensScorer()]
    metric_infos: dict[str, MetricInfo] = {}
    results: list[CandidateResult] = []
    style_scorer = next((s for s in scorers if isinstance(s, StyleScorer)), None)
    quality_scorer = next((s for s in scorers if isinstance(s, QualityScorer)), None)
    content_method = next(
        (str(getattr(s, "method", "")) for s in scorers if s.name == "content"), ""
    )
    for candidate, candidate_responses in responses.items():
        aligned = list(candidate_responses)
        if len(aligned) != len(cases):
            raise AuditionError(
                f"Candidate {candidate.name!r} has {len(aligned)} responses for {len(cases)} cases."
            )
        values: dict[str, Array] = {}
        every: list[Scorer] = [*scorers, *operational, CostScorer(candidate.model, prices)]
        for scorer in every:
            values[scorer.name] = as_array(scorer.score(cases, aligned))
            metric_infos.setdefault(scorer.name, scorer.info)
        missing = np.array([r is not None and r.error == NOT_RECORDED for r in aligned])
        if missing.any():
            for name in values:
                values[name] = np.where(missing, np.nan, values[name])
        present_fidelity = {m: values[m] for m in FIDELITY_METRICS if m in values}
        if present_fidelity:
            values["fidelity"] = composite(present_fidelity, merged_weights)
            metric_infos.setdefault("fidelity", FIDELITY_INFO)
        estimates = {name: bootstrap(v, indices=indices) for name, v in values.items()}
        result = CandidateResult(
            candidate=candidate,
            responses=aligned,
            values=values,
            estimates=estimates,
            latency_p50=percentile(values["latency_s"], 50),
            latency_p95=percentile(values["latency_s"], 95),
            failures=sum(1 for r in aligned if failed(r) and not (r and r.error == NOT_RECORDED)),
            spent_usd=(spent_usd or {}).get(candidate.name, 0.0),
        )
        cost = estimates["cost_usd"]
        if monthly_requests is not None and not math.isnan(cost.mean):
            result.monthly_cost_usd = cost.mean * monthly_requests
        if style_scorer is not None:
            profiles = style_scorer.last_profiles
            pairs = [
                (p, style_scorer.baseline_profile(c))
                for c, p in zip(cases, profiles, strict=True)
                if p is not None
            ]
            result.style_shift = style_shift([p[0] for p in pairs], [p[1] for p in pairs])
        if quality_scorer is not None and "quality" in values:
            for case, value in zip(cases, values["quality"], strict=True):
                base = quality_scorer.baseline_value(case)
                if base is None or math.isnan(value):
                    continue
                if base >= PASS_THRESHOLD > value:
                    result.regressions.append(case.id)
                elif value >= PASS_THRESHOLD > base:
                    result.improvements.append(case.id)
        results.append(result)
    _rank(results, indices)
    baseline = _baseline_summary(
        cases, baseline_model, prices, quality_scorer, indices, monthly_requests
    )
    order = ["fidelity", *FIDELITY_METRICS, "quality", "rouge_l", "chrf"]
    ops = ["latency_s", "output_tokens", "cost_usd"]
    metrics = [metric_infos[m] for m in order + ops if m in metric_infos]
    metrics += [info for name, info in metric_infos.items() if name not in order + ops]
    return AuditionReport(
        cases=cases,
        candidates=results,
        baseline=baseline,
        metrics=metrics,
        weights={m: merged_weights.get(m, 0.0) for m in FIDELITY_METRICS},
        content_method=content_method,
        created_at=datetime.now(timezone.utc).replace(microsecond=0),
        seed=seed,
        resamples=resamples,
        monthly_requests=monthly_requests,
    )


def _rank(results: list[CandidateResult], indices: npt.NDArray[np.intp]) -> None:
    """Sort by fidelity (desc), set ranks, paired deltas vs the leader and the tie group.

    Candidates are compared on the cases they all have a fidelity for (replay
    files may cover different cases): ``ranking`` holds that estimate, equal to
    the plain fidelity estimate when coverage is the same.
    """
    if not results:
        return
    fidelity = [r.values.get("fidelity") for r in results]
    common: npt.NDArray[np.bool_] | None = None
    if all(f is not None for f in fidelity):
        common = np.logical_and.reduce([~np.isnan(f) for f in fidelity if f is not None])
        if not common.any():
            common = None
    for result in results:
        values = result.values.get("fidelity")
        if values is None:
            continue
        masked = values if common is None else np.where(common, values, np.nan)
        result.ranking = bootstrap(masked, indices=indices)

    def key(result: CandidateResult) -> tuple[float, str]:
        estimate = result.ranking
        mean = estimate.mean if estimate is not None else math.nan
        return (-(mean if not math.isnan(mean) else -1.0), result.name)

    results.sort(key=key)
    leader = results[0]
    for rank, result in enumerate(results, start=1):
        result.rank = rank
        for name, values in result.values.items():
            if name in leader.values:
                result.delta_vs_leader[name] = paired_difference(
                    values, leader.values[name], indices=indices
                )
        lead_fid = leader.ranking
        own_fid = result.ranking
        result.tied_with_leader = result is leader or (
            lead_fid is not None and own_fid is not None and own_fid.overlaps(lead_fid)
        )


def _baseline_summary(
    cases: Sequence[Case],
    model: str,
    prices: PriceLookup | None,
    quality: QualityScorer | None,
    indices: npt.NDArray[np.intp],
    monthly_requests: float | None,
) -> BaselineSummary:
    responses = [c.baseline for c in cases]
    model = model or next((r.model for r in responses if r is not None and r.model), "")
    latency = LatencyScorer().score(cases, responses)
    tokens = OutputTokensScorer().score(cases, responses)
    costs: list[float | None] = [
        response_cost(c, c.baseline, model, prices) if c.baseline is not None else None
        for c in cases
    ]
    quality_values: list[float | None] = (
        [quality.baseline_value(c) for c in cases] if quality is not None else [None] * len(cases)
    )
    cost = bootstrap(costs, indices=indices)
    return BaselineSummary(
        model=model,
        quality=bootstrap(quality_values, indices=indices),
        latency_p50=percentile(latency, 50),
        latency_p95=percentile(latency, 95),
        output_tokens=bootstrap(tokens, indices=indices),
        cost_usd=cost,
        monthly_cost_usd=(
            cost.mean * monthly_requests
            if monthly_requests is not None and not math.isnan(cost.mean)
            else None
        ),
    )


def align_replay(
    cases: Sequence[Case],
    by_id: Mapping[str, Response],
    by_prompt: Mapping[str, Response],
) -> list[Response | None]:
    """Match recorded responses to cases: by case id first, then by prompt text.

    A case with no recorded response gets a :class:`Response` whose ``error`` is
    :data:`NOT_RECORDED`: :func:`score_audition` leaves such cases out of that
    candidate's metrics (its ``n`` is smaller) instead of counting a failure.
    """
    out: list[Response | None] = []
    for case in cases:
        response = by_id.get(case.id)
        if response is None:
            response = by_prompt.get(case.prompt_key)
        if response is None:
            response = Response(text="", error=NOT_RECORDED)
        out.append(response)
    return out
