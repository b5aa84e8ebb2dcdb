"""Lexical similarity without any model: chrF (character n-grams) and ROUGE-L (word LCS).

Both run in numpy / integer bit operations, so the 500-case arena-hard set
scores in well under a second per candidate.

* **chrF** (Popović 2015): character n-grams of orders 1-6 with whitespace
  removed; precision and recall are averaged over the orders, then combined as
  an F-score with beta = 2 (recall weighs twice as much).
* **ROUGE-L**: longest common subsequence of lower-cased word tokens, F1 of
  LCS/candidate-length and LCS/baseline-length. The LCS length uses the
  bit-parallel algorithm of Crochemore et al. (2001) on Python integers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from recast.audition._cases import Case, Response
from recast.audition.scorers._base import MetricInfo, Values, failed

CHRF_ORDER = 6
CHRF_BETA = 2.0
_PRIME = np.uint64(1_000_003)
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_T = TypeVar("_T")

_ORDER_SHIFT = np.uint64(60)
_LOW_BITS = np.uint64((1 << 60) - 1)


class NGramCounts:
    """Every character n-gram (orders 1..6) of a text, hashed, with counts.

    Each hash carries its order in the top 4 bits, so one sorted array holds
    all orders and one intersection compares two texts.
    """

    __slots__ = ("counts", "orders", "totals", "unique")

    def __init__(self, unique: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64]) -> None:
        self.unique = unique
        self.counts = counts
        self.orders = (unique >> _ORDER_SHIFT).astype(np.intp)
        self.totals = np.bincount(self.orders, weights=counts, minlength=CHRF_ORDER + 1)


def char_ngrams(text: str, order: int = CHRF_ORDER) -> NGramCounts:
    """Return the hashed character n-grams (n = 1..order, whitespace removed) of ``text``."""
    squeezed = _SPACE.sub("", text)
    codes = np.frombuffer(squeezed.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts: list[npt.NDArray[np.uint64]] = []
    hashes = codes
    for n in range(1, order + 1):
        if n > 1:
            hashes = hashes[:-1] * _PRIME + codes[n - 1 :]
        if hashes.size == 0:
            break
        parts.append((hashes & _LOW_BITS) | (np.uint64(n) << _ORDER_SHIFT))
    if not parts:
        return NGramCounts(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64))
    unique, counts = np.unique(np.concatenate(parts), return_counts=True)
    return NGramCounts(unique, counts.astype(np.int64))


def chrf_from_ngrams(
    candidate: NGramCounts, baseline: NGramCounts, beta: float = CHRF_BETA
) -> float:
    """chrF of two texts' n-gram counts (see :func:`char_ngrams`), in [0, 1]."""
    if candidate.unique.size == 0 and baseline.unique.size == 0:
        return 1.0
    _, ci, bi = np.intersect1d(
        candidate.unique, baseline.unique, assume_unique=True, return_indices=True
    )
    matches = np.bincount(
        candidate.orders[ci],
        weights=np.minimum(candidate.counts[ci], baseline.counts[bi]),
        minlength=CHRF_ORDER + 1,
    )
    both = (candidate.totals > 0) & (baseline.totals > 0)
    if not both.any():
        return 0.0
    precision = float((matches[both] / candidate.totals[both]).mean())
    recall = float((matches[both] / baseline.totals[both]).mean())
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def chrf(candidate: str, baseline: str) -> float:
    """chrF (orders 1-6, beta 2) of ``candidate`` against ``baseline``, in [0, 1]."""
    return chrf_from_ngrams(char_ngrams(candidate), char_ngrams(baseline))


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for position, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(b)) - 1
    row = full
    for token in a:
        match = masks.get(token)
        if match is None:
            continue
        u = row & match
        row = ((row + u) | (row - u)) & full
    return len(b) - row.bit_count()


def rouge_l(candidate: str, baseline: str) -> float:
    """ROUGE-L F1 of ``candidate`` against ``baseline`` on word tokens, in [0, 1]."""
    return _rouge_l_words(words(candidate), words(baseline))


def _rouge_l_words(cand: list[str], base: list[str]) -> float:
    if not cand and not base:
        return 1.0
    lcs = lcs_length(cand, base)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(base)
    return 2 * precision * recall / (precision + recall)


def _against_baseline(
    cases: Sequence[Case],
    responses: Sequence[Response | None],
    cache: dict[str, _T],
    prepare: Callable[[str], _T],
    compare: Callable[[_T, _T], float],
) -> Values:
    """``compare(prepare(candidate), prepare(baseline))`` per case; 0 for failures.

    The baseline's prepared form is cached by case id: every candidate of an
    audition is compared with the same baselines.
    """
    out: Values = []
    for case, response in zip(cases, responses, strict=True):
        if failed(response) or case.baseline is None:
            out.append(0.0)
            continue
        assert response is not None
        base = cache.get(case.id)
        if base is None:
            base = cache[case.id] = prepare(case.baseline.text)
        out.append(compare(prepare(response.text), base))
    return out


class ChrfScorer:
    """Content fidelity without a model: chrF of the candidate's text against the baseline's."""

    name = "content"
    info = MetricInfo(
        "content",
        "Content",
        description="chrF (character n-grams 1-6, beta 2) against the baseline text",
    )
    method = "lexical:chrf"

    def __init__(self, name: str = "content") -> None:
        self.name = name
        if name != "content":
            self.info = MetricInfo(name, "chrF", description=ChrfScorer.info.description)
        self._cache: dict[str, NGramCounts] = {}

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        return _against_baseline(cases, responses, self._cache, char_ngrams, chrf_from_ngrams)


class RougeLScorer:
    """ROUGE-L F1 (word LCS) of the candidate's text against the baseline's."""

    name = "rouge_l"
    info = MetricInfo("rouge_l", "ROUGE-L", description="word-level LCS F1 against the baseline")

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        return _against_baseline(cases, responses, self._cache, words, _rouge_l_words)
