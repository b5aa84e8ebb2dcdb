"""Scorers: each turns a candidate's responses into one value per case.

Fidelity metrics (``content``, ``style``, ``structure``, ``refusal``) are in
[0, 1], higher meaning closer to the baseline. ``quality`` is correctness
against a reference. Operational metrics carry units (``latency_s``,
``output_tokens``, ``cost_usd``).
"""

from __future__ import annotations

from recast.audition.scorers._base import MetricInfo, Scorer, Values, failed
from recast.audition.scorers._embed import (
    Embedder,
    EmbeddingScorer,
    LocalEmbedder,
    OpenAICompatibleEmbedder,
)
from recast.audition.scorers._lexical import ChrfScorer, RougeLScorer, chrf, lcs_length, rouge_l
from recast.audition.scorers._operational import (
    CostScorer,
    LatencyScorer,
    OutputTokensScorer,
    PriceLookup,
    estimate_tokens,
    output_tokens,
    request_tokens,
    response_cost,
)
from recast.audition.scorers._quality import PASS_THRESHOLD, QualityScorer, check_reference
from recast.audition.scorers._refusal import RefusalScorer, is_refusal
from recast.audition.scorers._structure import StructureScorer, structure_score, tool_agreement
from recast.audition.scorers._style import (
    FEATURE_NAMES,
    FEATURE_WEIGHTS,
    FeatureShift,
    StyleProfile,
    StyleScorer,
    style_profile,
    style_shift,
    style_similarity,
)

#: Names accepted by ``--scorer`` (fidelity and quality; operational ones always run).
SCORER_NAMES = ("content", "style", "structure", "refusal", "quality", "rouge_l")

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_WEIGHTS",
    "PASS_THRESHOLD",
    "SCORER_NAMES",
    "ChrfScorer",
    "CostScorer",
    "Embedder",
    "EmbeddingScorer",
    "FeatureShift",
    "LatencyScorer",
    "LocalEmbedder",
    "MetricInfo",
    "OpenAICompatibleEmbedder",
    "OutputTokensScorer",
    "PriceLookup",
    "QualityScorer",
    "RefusalScorer",
    "RougeLScorer",
    "Scorer",
    "StructureScorer",
    "StyleProfile",
    "StyleScorer",
    "Values",
    "check_reference",
    "chrf",
    "estimate_tokens",
    "failed",
    "is_refusal",
    "lcs_length",
    "output_tokens",
    "request_tokens",
    "response_cost",
    "rouge_l",
    "structure_score",
    "style_profile",
    "style_shift",
    "style_similarity",
    "tool_agreement",
]
