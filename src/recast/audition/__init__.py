"""Auditions: replay real prompts on candidate models and measure who behaves like the baseline.

Example::

    >>> from recast.audition import load_cases, load_responses, align_replay, Candidate
    >>> from recast.audition import score_audition
    >>> cases = load_cases(["arena-hard/gpt-4-0314.jsonl"]).cases
    >>> by_id, by_prompt, _ = load_responses("arena-hard/gpt-4-0613.jsonl")
    >>> report = score_audition(
    ...     cases, {Candidate("gpt-4-0613"): align_replay(cases, by_id, by_prompt)}
    ... )
    >>> report.leader.estimates["fidelity"].mean  # doctest: +SKIP
"""

from __future__ import annotations

from recast.audition._api import AuditionOptions, audition, demo_inputs, make_embedder, store_cases
from recast.audition._audition import (
    DEFAULT_SCORERS,
    FIDELITY_METRICS,
    AuditionReport,
    BaselineSummary,
    Candidate,
    CandidateResult,
    align_replay,
    build_scorers,
    catalog_prices,
    observed_monthly_requests,
    score_audition,
)
from recast.audition._cases import (
    FORMATS,
    REQUEST_PARAMS,
    Case,
    CaseSet,
    LoadOptions,
    Reference,
    Response,
    SkippedRow,
    ToolCall,
    content_text,
    dedup_cases,
    detect_format,
    load_cases,
    load_responses,
    prompt_key,
    sample_cases,
    split_cases,
    split_spec,
)
from recast.audition._html import render_html, write_html
from recast.audition._report import (
    METRIC_NAMES,
    SCHEMA_VERSION,
    render_terminal,
    to_json,
    to_markdown,
)
from recast.audition._runner import RunOutcome, estimate_cost, fingerprint, run_candidates
from recast.audition._stats import (
    DEFAULT_WEIGHTS,
    Estimate,
    bootstrap,
    composite,
    paired_difference,
    parse_weights,
)

__all__ = [
    "DEFAULT_SCORERS",
    "DEFAULT_WEIGHTS",
    "FIDELITY_METRICS",
    "FORMATS",
    "METRIC_NAMES",
    "REQUEST_PARAMS",
    "SCHEMA_VERSION",
    "AuditionOptions",
    "AuditionReport",
    "BaselineSummary",
    "Candidate",
    "CandidateResult",
    "Case",
    "CaseSet",
    "Estimate",
    "LoadOptions",
    "Reference",
    "Response",
    "RunOutcome",
    "SkippedRow",
    "ToolCall",
    "align_replay",
    "audition",
    "bootstrap",
    "build_scorers",
    "catalog_prices",
    "composite",
    "content_text",
    "dedup_cases",
    "demo_inputs",
    "detect_format",
    "estimate_cost",
    "fingerprint",
    "load_cases",
    "load_responses",
    "make_embedder",
    "observed_monthly_requests",
    "paired_difference",
    "parse_weights",
    "prompt_key",
    "render_html",
    "render_terminal",
    "run_candidates",
    "sample_cases",
    "score_audition",
    "split_cases",
    "split_spec",
    "store_cases",
    "to_json",
    "to_markdown",
    "write_html",
]
