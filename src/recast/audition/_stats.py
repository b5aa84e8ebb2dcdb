"""Statistics over cases: bootstrap confidence intervals, paired comparisons, composite fidelity.

Every interval is a percentile bootstrap over cases: ``resamples`` draws of
``n`` case indices with replacement (seeded, so reruns print the same
numbers), the statistic computed on each draw, and the 2.5th and 97.5th
percentiles taken. All candidates share the same draws, which makes the
comparison with the leader *paired*: the interval of the per-case difference
accounts for cases that are hard for everyone.

Missing values (``NaN``: a metric that does not apply to a case) are left out
of each draw's mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: Default weights of the composite fidelity score (renormalised over the metrics
#: that apply to a case; a metric missing for a case does not count against it).
DEFAULT_WEIGHTS: dict[str, float] = {
    "content": 0.4,
    "style": 0.3,
    "structure": 0.2,
    "refusal": 0.1,
}
DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean with its bootstrap confidence interval over ``n`` cases (NaN when ``n`` is 0)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self, digits: int = 4) -> dict[str, float | int | None]:
        """JSON form; NaN becomes ``None``."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else round(value, digits)

        return {
            "mean": clean(self.mean),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "n": self.n,
        }

    def overlaps(self, other: Estimate) -> bool:
        """True when the two intervals share at least one point."""
        if math.isnan(self.mean) or math.isnan(other.mean):
            return False
        return self.ci_low <= other.ci_high and other.ci_low <= self.ci_high


def resample_indices(
    n: int, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> npt.NDArray[np.intp]:
    """Bootstrap draws: a ``resamples × n`` array of case indices (seeded)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, max(n, 1), size=(resamples, n), dtype=np.intp)


def _draw_means(values: Array, indices: npt.NDArray[np.intp]) -> Array:
    """Mean of each bootstrap draw, ignoring NaN (NaN when a draw has no values).

    Each draw is turned into per-case multiplicities once (``resamples × n``
    counts), so the means are two matrix-vector products.
    """
    weights = _multiplicities(indices, len(values))
    present = ~np.isnan(values)
    sums = weights @ np.where(present, values, 0.0)
    counts = weights @ present.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


#: The last draws turned into multiplicities: every metric of every candidate shares
#: one draw array, so the ``resamples × n`` matrix is built once per audition. The
#: array itself is kept and compared by identity (an ``id()`` alone can be reused
#: by a new array once the old one is freed, which would return stale weights).
_MULTIPLICITY_CACHE: list[tuple[npt.NDArray[np.intp], int, Array]] = []


def _multiplicities(indices: npt.NDArray[np.intp], n: int) -> Array:
    if _MULTIPLICITY_CACHE:
        cached_indices, cached_n, cached = _MULTIPLICITY_CACHE[0]
        if cached_indices is indices and cached_n == n:
            return cached
    rows = np.repeat(np.arange(indices.shape[0]), indices.shape[1])
    weights = np.zeros((indices.shape[0], n), dtype=np.float64)
    np.add.at(weights, (rows, indices.ravel()), 1.0)
    _MULTIPLICITY_CACHE[:] = [(indices, n, weights)]
    return weights


def bootstrap(
    values: Sequence[float | None] | Array,
    *,
    indices: npt.NDArray[np.intp] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> Estimate:
    """Mean of ``values`` (``None``/NaN ignored) with a percentile bootstrap interval."""
    array = as_array(values)
    n = int((~np.isnan(array)).sum())
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(np.nanmean(array))
    if indices is None:
        indices = resample_indices(len(array), resamples, seed)
    means = _draw_means(array, indices)
    means = means[~np.isnan(means)]
    if means.size == 0:
        return Estimate(mean, mean, mean, n)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(mean, float(min(low, mean)), float(max(high, mean)), n)


def paired_difference(
    values: Sequence[float | None] | Array,
    reference: Sequence[float | None] | Array,
    *,
    indices: npt.NDArray[np.intp] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> Estimate:
    """Mean per-case difference ``values - reference`` with a bootstrap interval.

    Only cases where both have a value count. An interval that contains 0 means
    the data cannot tell the two apart.
    """
    diff = as_array(values) - as_array(reference)
    return bootstrap(diff, indices=indices, resamples=resamples, seed=seed, level=level)


def as_array(values: Sequence[float | None] | Array) -> Array:
    """Convert per-case values to a float array with NaN for ``None``."""
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def composite(metrics: Mapping[str, Array], weights: Mapping[str, float]) -> Array:
    """Per-case weighted mean of the metrics present for each case (NaN if none is).

    Weights are renormalised per case over the metrics that apply to it, so a
    case without JSON is not penalised on structure.
    """
    names = [m for m in weights if m in metrics and weights[m] > 0]
    if not names:
        length = len(next(iter(metrics.values()))) if metrics else 0
        return np.full(length, np.nan)
    stack = np.stack([metrics[m] for m in names])
    w = np.array([weights[m] for m in names], dtype=np.float64)[:, None]
    present = ~np.isnan(stack)
    total_w = (w * present).sum(axis=0)
    weighted = (np.where(present, stack, 0.0) * w).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total_w > 0, weighted / np.maximum(total_w, 1e-12), np.nan)


def percentile(values: Sequence[float | None] | Array, q: float) -> float:
    """The q-th percentile of the present values (NaN when none)."""
    array = as_array(values)
    array = array[~np.isnan(array)]
    return float(np.percentile(array, q)) if array.size else math.nan


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``content=0.5,style=0.3`` into weights (metrics not named keep their default 0)."""
    weights: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name or math.isnan(number) or number < 0:
            from recast.errors import ConfigError

            raise ConfigError(
                f"Bad weight {part.strip()!r}; write metric=number, "
                "e.g. --weights content=0.5,style=0.3,structure=0.2."
            )
        weights[name] = number
    return weights
