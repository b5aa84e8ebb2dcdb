"""Statistics: bootstrap intervals, paired comparisons, composite fidelity, the tie group."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recast.audition import Candidate, Case, Response, build_scorers, score_audition
from recast.audition._stats import (
    bootstrap,
    composite,
    paired_difference,
    parse_weights,
    resample_indices,
)
from recast.errors import ConfigError


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(0, 1, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 2**16),
)
def test_bootstrap_matches_the_naive_draws(values: list[float | None], seed: int) -> None:
    """The matrix form equals taking each draw's mean of the present values one by one."""
    array = np.array([math.nan if v is None else v for v in values])
    indices = resample_indices(len(values), 200, seed)
    est = bootstrap(values, indices=indices)
    present = [v for v in values if v is not None]
    assert est.n == len(present)
    if not present:
        assert math.isnan(est.mean)
        return
    assert est.mean == pytest.approx(sum(present) / len(present))
    draws = [array[row][~np.isnan(array[row])] for row in indices]
    means = np.array([d.mean() for d in draws if d.size])
    low, high = np.percentile(means, [2.5, 97.5])
    assert est.ci_low == pytest.approx(min(low, est.mean), abs=1e-9)
    assert est.ci_high == pytest.approx(max(high, est.mean), abs=1e-9)
    assert est.ci_low <= est.mean <= est.ci_high


def test_bootstrap_is_seeded_and_narrows_with_more_cases() -> None:
    rng = np.random.default_rng(7)
    few, many = rng.random(20), rng.random(2000)
    assert bootstrap(few, seed=3) == bootstrap(few, seed=3)
    assert bootstrap(few, seed=3) != bootstrap(few, seed=4)
    width = [(e.ci_high - e.ci_low) for e in (bootstrap(few), bootstrap(many))]
    assert width[1] < width[0] / 4
    empty = bootstrap([None, None])
    assert empty.n == 0 and math.isnan(empty.mean) and empty.to_dict()["ci_low"] is None


def test_each_seed_gets_its_own_draws() -> None:
    """Draw arrays built one after another (same shape) never share cached weights."""
    values = np.random.default_rng(1).random(50)
    expected = {}
    for seed in range(6):
        indices = resample_indices(50, 500, seed)
        expected[seed] = float(np.percentile(values[indices].mean(axis=1), 2.5))
    for seed in range(6):
        assert bootstrap(values, resamples=500, seed=seed).ci_low == pytest.approx(
            min(expected[seed], values.mean())
        )


def test_paired_difference_sees_what_separate_intervals_cannot() -> None:
    """Cases vary a lot in difficulty; b is a little worse than a on every case."""
    rng = np.random.default_rng(11)
    difficulty = rng.random(60)
    a = difficulty
    b = difficulty - 0.02
    indices = resample_indices(60, 2000, 0)
    ea, eb = bootstrap(a, indices=indices), bootstrap(b, indices=indices)
    assert ea.overlaps(eb)  # unpaired: cannot tell them apart
    delta = paired_difference(b, a, indices=indices)
    assert delta.mean == pytest.approx(-0.02)
    assert delta.ci_high < 0  # paired: b is reliably worse
    # Only cases both have count.
    assert paired_difference([1.0, None, 0.5], [0.5, 0.5, None]).n == 1


def test_composite_renormalises_over_the_metrics_that_apply() -> None:
    metrics = {
        "content": np.array([0.5, 0.5, math.nan]),
        "style": np.array([1.0, 1.0, math.nan]),
        "structure": np.array([math.nan, 0.0, math.nan]),
    }
    weights = {"content": 0.4, "style": 0.4, "structure": 0.2}
    fid = composite(metrics, weights)
    assert fid[0] == pytest.approx(0.75)  # no JSON: structure does not count against it
    assert fid[1] == pytest.approx((0.4 * 0.5 + 0.4 * 1.0) / 1.0)
    assert math.isnan(fid[2])
    assert composite(metrics, {"style": 1.0})[1] == pytest.approx(1.0)
    assert np.isnan(composite(metrics, {"refusal": 1.0})).all()


def test_parse_weights() -> None:
    assert parse_weights("content=0.5, style=0.3,,structure=0") == {
        "content": 0.5,
        "style": 0.3,
        "structure": 0.0,
    }
    for bad in ("content", "content=x", "=1", "style=-1", "style=nan"):
        with pytest.raises(ConfigError, match="Bad weight"):
            parse_weights(bad)


def _cases(n: int) -> list[Case]:
    return [
        Case(
            id=f"c{i}",
            messages=({"role": "user", "content": f"Question {i}?"},),
            baseline=Response(text=f"The answer to question {i} is {i * 7} apples, as counted."),
        )
        for i in range(n)
    ]


def test_ranking_ties_and_paired_deltas() -> None:
    cases = _cases(40)
    assert all(c.baseline is not None for c in cases)
    same = [c.baseline for c in cases]
    near = [Response(text=c.baseline.text.replace("apples", "apple")) for c in cases]  # type: ignore[union-attr]
    far = [Response(text="- I cannot say.\n- Sorry!") for _ in cases]
    report = score_audition(
        cases,
        {Candidate("far"): far, Candidate("same"): same, Candidate("near"): near},  # type: ignore[dict-item]
        scorers=build_scorers(["content", "style"]),
        prices=None,
    )
    ranked = [c.name for c in report.candidates]
    assert ranked == ["same", "near", "far"]
    by_name = {c.name: c for c in report.candidates}
    assert by_name["same"].tied_with_leader and not by_name["far"].tied_with_leader
    delta = by_name["far"].delta_vs_leader["fidelity"]
    assert delta.ci_high < 0 and delta.n == 40
    assert by_name["near"].estimates["fidelity"].mean > by_name["far"].estimates["fidelity"].mean
