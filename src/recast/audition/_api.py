"""The whole audition as one function: load, sample, get responses, score, rank.

:func:`audition` is what ``recast audition`` calls; every option of the
command is a keyword argument here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recast.audition._audition import (
    DEFAULT_SCORERS,
    AuditionReport,
    Candidate,
    build_scorers,
    catalog_prices,
    score_audition,
)
from recast.audition._cases import Case, CaseSet, Response, load_cases, load_responses, sample_cases
from recast.audition._runner import ProgressHook, run_candidates, run_replays
from recast.audition.scorers import Embedder, LocalEmbedder, OpenAICompatibleEmbedder, PriceLookup
from recast.errors import AuditionError, DatasetError

DEMO_DIR = Path(__file__).resolve().parent / "demo"


@dataclass
class AuditionOptions:
    """Options of :func:`audition` (the flags of ``recast audition``)."""

    sample: int | None = None
    seed: int = 0
    budget_usd: float | None = None
    store_url: str | None = None
    concurrency: int = 8
    rpm: float | None = None
    timeout: float = 120.0
    scorers: Sequence[str] = DEFAULT_SCORERS
    embedder: str = "none"
    weights: Mapping[str, float] = field(default_factory=dict)
    monthly_requests: float | None = None
    use_cache: bool = True
    resamples: int = 2000


def make_embedder(choice: str) -> Embedder | None:
    """``local`` → all-MiniLM-L6-v2; ``openai-compatible:URL[#MODEL]``; ``none`` → lexical."""
    if choice in ("", "none"):
        return None
    if choice == "local":
        return LocalEmbedder()
    if choice.startswith("openai-compatible:"):
        url, _, model = choice.removeprefix("openai-compatible:").partition("#")
        return OpenAICompatibleEmbedder(url, model or "text-embedding-3-small")
    raise AuditionError(
        f"Unknown --embedder {choice!r}; use local, openai-compatible:URL#MODEL or none."
    )


def store_cases(
    store_url: str | None, *, limit: int | None = None, model: str | None = None
) -> CaseSet:
    """Cases from the exchanges the gateway captured (each primary exchange is a case).

    ``model`` keeps only the exchanges that asked for that model (what ``recast plan``
    suggests: audition a replacement on the traffic of the model going away).
    """
    from recast.audition._cases import LoadOptions, _chat_row
    from recast.store import open_store

    store = open_store(store_url)
    cases: list[Case] = []
    skipped = []
    from recast.audition._cases import SkippedRow

    try:
        for number, exchange in enumerate(store.iter_exchanges(model=model), start=1):
            if exchange.shadow_of or exchange.error or not isinstance(exchange.request, dict):
                continue
            row: dict[str, object] = {
                "id": exchange.id,
                "request": exchange.request,
                "response": exchange.response,
                "latency_ms": exchange.latency_ms,
                "created_at": exchange.captured_at.isoformat(),
                "model": exchange.served_model or exchange.requested_model,
                "cost_usd": exchange.cost_usd,
            }
            try:
                part = _chat_row(row, LoadOptions(), f"store:{exchange.id}")
            except ValueError as exc:
                skipped.append(SkippedRow("store", number, str(exc)))
                continue
            if part.baseline is None or part.messages is None:
                skipped.append(SkippedRow("store", number, "exchange has no response"))
                continue
            cases.append(
                Case(
                    id=part.id,
                    messages=tuple(part.messages),
                    baseline=part.baseline,
                    params=part.params,
                    tags=part.tags,
                    source=part.source,
                    created_at=exchange.captured_at,
                )
            )
            if limit is not None and len(cases) >= limit:
                break
    finally:
        store.close()
    return CaseSet(cases=cases, skipped=skipped, sources=["store"])


def audition(
    cases: Sequence[str | Path] | CaseSet,
    candidates: Sequence[str],
    options: AuditionOptions | None = None,
    *,
    progress: ProgressHook | None = None,
    prices: PriceLookup | None = catalog_prices,
) -> AuditionReport:
    """Audition ``candidates`` (specs) against the baseline in ``cases`` (files or a CaseSet).

    Replay candidates (``NAME=replay:PATH``) are matched to cases by id, then by
    prompt text; live ones are called through :func:`run_candidates` with the
    store (resumable) and the budget. Raise :class:`DatasetError` for unreadable
    cases, :class:`ConfigError`/``UnknownModelError`` for bad specs,
    :class:`BudgetExceeded` past the budget.
    """
    from recast.providers import parse_candidate_specs

    options = options or AuditionOptions()
    case_set = cases if isinstance(cases, CaseSet) else load_cases(list(cases))
    selected = case_set.cases
    if options.sample is not None:
        selected = sample_cases(selected, options.sample, seed=options.seed)
    if not selected:
        raise DatasetError("No usable cases were loaded; see the skipped rows above.")
    if not candidates:
        raise AuditionError("No candidate given; pass --candidate SPEC (e.g. openai:gpt-4.1).")
    specs = parse_candidate_specs(candidates)
    replays: dict[str, tuple[dict[str, Response], dict[str, Response]]] = {}
    live = []
    for spec in specs:
        if spec.kind == "replay":
            by_id, by_prompt, skipped = load_responses(spec.path or "")
            case_set.skipped.extend(skipped)
            replays[spec.name] = (by_id, by_prompt)
        else:
            live.append(spec)
    responses: dict[str, list[Response | None]] = run_replays(selected, replays)
    spent: dict[str, float] = {}
    run_id = None
    if live:
        from recast.store import open_store

        store = open_store(options.store_url)
        try:
            outcome = asyncio.run(
                run_candidates(
                    selected,
                    live,
                    store=store,
                    prices=prices,
                    concurrency=options.concurrency,
                    rpm=options.rpm,
                    timeout=options.timeout,
                    budget_usd=options.budget_usd,
                    use_cache=options.use_cache,
                    progress=progress,
                )
            )
        finally:
            store.close()
        responses.update(outcome.responses)
        spent = outcome.spent_usd
        run_id = outcome.run_id
    model_of = {s.name: s.model for s in specs}
    for spec in specs:
        if spec.kind == "replay":
            first = next((r for r in responses[spec.name] if r is not None and r.model), None)
            model_of[spec.name] = first.model if first else spec.name
    ordered = {
        Candidate(s.name, s.text, model_of[s.name], "replay" if s.kind == "replay" else "live"): (
            responses[s.name]
        )
        for s in specs
    }
    report = score_audition(
        selected,
        ordered,
        scorers=build_scorers(options.scorers, embedder=make_embedder(options.embedder)),
        weights=options.weights,
        prices=prices,
        monthly_requests=options.monthly_requests,
        seed=options.seed,
        resamples=options.resamples,
        spent_usd=spent,
    )
    report.skipped = list(case_set.skipped)
    report.duplicates = case_set.duplicates
    report.sources = list(case_set.sources)
    report.run_id = run_id
    if options.store_url is not None or live:
        record_report(report, options.store_url)
    return report


def record_report(report: AuditionReport, store_url: str | None) -> None:
    """Keep the scored report in the store, where ``recast plan`` finds it as evidence."""
    from recast.audition._report import to_json
    from recast.store import open_store

    if not report.baseline.model:
        return  # nothing to file it under: the cases name no baseline model
    store = open_store(store_url)
    try:
        store.save_audition_report(report.baseline.model, to_json(report), run_id=report.run_id)
    finally:
        store.close()


def demo_inputs() -> tuple[list[str], list[str]]:
    """The bundled demo's cases files and candidate specs."""
    files = sorted(DEMO_DIR.glob("*.jsonl"))
    if not files:
        raise AuditionError(f"The demo data is missing from {str(DEMO_DIR)!r}; reinstall recast.")
    cases = [str(DEMO_DIR / "cases.jsonl")]
    candidates = [
        f"{p.stem.removeprefix('candidate-')}=replay:{p}"
        for p in files
        if p.stem.startswith("candidate-")
    ]
    return cases, candidates


def warn(message: str) -> None:
    """Write a warning line to stderr."""
    sys.stderr.write(message + "\n")
