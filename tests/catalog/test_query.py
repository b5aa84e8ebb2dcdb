"""Questions asked of the catalog on a given day: status, list, upcoming, search."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recast.catalog import (
    Catalog,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Replacement,
    list_offerings,
    search,
    status_of,
    upcoming,
)
from recast.errors import UnknownPlatformError


def _offering(
    model: str,
    platform: str,
    pid: str,
    *,
    state: str = "active",
    announced: LifecycleDate | None = None,
    shutdown: LifecycleDate | None = None,
    replacements: tuple[Replacement, ...] = (),
) -> Offering:
    return Offering(
        model=model,
        platform=platform,
        platform_id=pid,
        lifecycle=Lifecycle(
            state=state,  # type: ignore[arg-type]
            announced_on=announced,
            shutdown_on=shutdown,
            replacements=replacements,
        ),
    )


def exact(text: str) -> LifecycleDate:
    return LifecycleDate(date.fromisoformat(text))


CATALOG = Catalog.build(
    [
        Model("gpt-4.5-preview", "openai", name="GPT-4.5 Preview"),
        Model("gpt-4.1", "openai", name="GPT-4.1"),
        Model("gpt-4", "openai", name="GPT-4"),
        Model("claude-3-sonnet-20240229", "anthropic", name="Claude 3 Sonnet"),
        Model("claude-3-opus-20240229", "anthropic", name="Claude 3 Opus", aliases=("opus-3",)),
        Model("gemini-1.0-pro-001", "google", name="Gemini 1.0 Pro"),
        Model("mistral-large-2402", "mistral", name="Mistral Large"),
    ],
    [
        _offering(
            "gpt-4.5-preview",
            "openai",
            "gpt-4.5-preview",
            state="deprecated",
            announced=exact("2025-04-14"),
            shutdown=exact("2025-07-14"),
            replacements=(Replacement("gpt-4.1", recommended=True, source_url="https://x/dep"),),
        ),
        _offering("gpt-4.1", "openai", "gpt-4.1"),
        _offering("gpt-4", "openai", "gpt-4", shutdown=exact("2026-12-01")),
        _offering(
            "claude-3-sonnet-20240229",
            "anthropic",
            "claude-3-sonnet-20240229",
            state="retired",
            shutdown=exact("2025-07-21"),
        ),
        _offering(
            "claude-3-sonnet-20240229",
            "bedrock",
            "anthropic.claude-3-sonnet-20240229-v1:0",
            state="deprecated",
            shutdown=exact("2026-07-30"),
        ),
        _offering(
            "claude-3-opus-20240229",
            "anthropic",
            "claude-3-opus-20240229",
            shutdown=exact("2026-12-01"),
        ),
        _offering(
            "gemini-1.0-pro-001",
            "vertex",
            "gemini-1.0-pro-001",
            shutdown=LifecycleDate(date(2026, 12, 1), "month"),
        ),
        _offering(
            "mistral-large-2402",
            "mistral",
            "mistral-large-2402",
            shutdown=LifecycleDate(date(2027, 3, 1), "not_before"),
        ),
    ],
)


def _ids(rows: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(r.offering.platform, r.offering.platform_id) for r in rows]


def test_status_of_computes_state_on_the_day() -> None:
    offering = CATALOG.offerings_of("gpt-4.5-preview")[0]
    before = status_of(offering, date(2025, 3, 1), catalog=CATALOG)
    during = status_of(offering, date(2025, 5, 1), catalog=CATALOG)
    after = status_of(offering, date(2026, 11, 27), catalog=CATALOG)
    assert (before.state, during.state, after.state) == ("active", "deprecated", "retired")
    assert during.days_left == 74
    assert after.days_left == -501
    assert after.provider == "openai" and after.is_home
    assert after.replacement is not None and after.replacement.model == "gpt-4.1"
    assert status_of(offering, date(2025, 5, 1)).model is None  # no catalog, no model


def test_status_to_dict_flattens_dates_with_precision() -> None:
    offering = CATALOG.offerings_of("gpt-4.5-preview")[0]
    data = status_of(offering, date(2026, 11, 27), catalog=CATALOG).to_dict()
    assert data["shutdown_on"] == "2025-07-14"
    assert data["shutdown_precision"] == "exact"
    assert data["announced_on"] == "2025-04-14"
    assert data["deprecated_on"] is None
    assert data["state"] == "retired" and data["recorded_state"] == "deprecated"
    assert data["replacements"] == [
        {
            "model": "gpt-4.1",
            "platform": "openai",
            "recommended": True,
            "note": None,
            "source_url": "https://x/dep",
            "importer": None,
        }
    ]


def test_list_filters_and_sorts() -> None:
    day = date(2026, 11, 27)
    everything = list_offerings(as_of=day, catalog=CATALOG)
    assert len(everything) == len(CATALOG.offerings)
    providers = [r.provider for r in everything]
    assert providers == sorted(providers)
    retired = list_offerings(status="retired", as_of=day, catalog=CATALOG)
    assert _ids(retired) == [
        ("anthropic", "claude-3-sonnet-20240229"),
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"),
        ("openai", "gpt-4.5-preview"),
    ]
    anthropic = list_offerings(provider="Anthropic", as_of=day, catalog=CATALOG)
    assert [r.offering.platform for r in anthropic] == ["anthropic", "anthropic", "bedrock"]
    bedrock = list_offerings(platform="bedrock", as_of=day, catalog=CATALOG)
    assert _ids(bedrock) == [("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")]
    before = list_offerings(shutdown_before=date(2026, 1, 1), as_of=day, catalog=CATALOG)
    assert {r.offering.model for r in before} == {"gpt-4.5-preview", "claude-3-sonnet-20240229"}
    # as of an earlier day, the Bedrock offering is not retired yet
    assert _ids(list_offerings(status="retired", as_of=date(2025, 8, 1), catalog=CATALOG)) == [
        ("anthropic", "claude-3-sonnet-20240229"),
        ("openai", "gpt-4.5-preview"),
    ]
    assert list_offerings(status="retired", as_of=date(2025, 7, 1), catalog=CATALOG) == []
    with pytest.raises(UnknownPlatformError):
        list_offerings(platform="aws", catalog=CATALOG)


def test_upcoming_window_soonest_first_with_stable_ties() -> None:
    rows = upcoming(30, as_of=date(2026, 11, 27), catalog=CATALOG)
    # all three shut down on 2026-12-01: ties sort by model id
    assert _ids(rows) == [
        ("anthropic", "claude-3-opus-20240229"),
        ("vertex", "gemini-1.0-pro-001"),
        ("openai", "gpt-4"),
    ]
    assert [r.days_left for r in rows] == [4, 4, 4]


def test_upcoming_edges() -> None:
    # shutdown on as_of counts; the day after it does not
    on_day = upcoming(0, as_of=date(2026, 7, 30), catalog=CATALOG)
    assert _ids(on_day) == [("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")]
    assert upcoming(0, as_of=date(2026, 7, 31), catalog=CATALOG) == []
    # a month-precision date stays upcoming until the end of its month
    mid_month = upcoming(10, as_of=date(2026, 12, 20), catalog=CATALOG)
    assert _ids(mid_month) == [("vertex", "gemini-1.0-pro-001")]
    assert upcoming(10, as_of=date(2027, 1, 1), catalog=CATALOG) == []
    # the window is inclusive
    assert _ids(upcoming(94, as_of=date(2026, 11, 27), catalog=CATALOG))[-1] == (
        "mistral",
        "mistral-large-2402",
    )
    assert ("mistral", "mistral-large-2402") not in _ids(
        upcoming(93, as_of=date(2026, 11, 27), catalog=CATALOG)
    )
    assert _ids(upcoming(400, as_of=date(2026, 11, 27), platform="vertex", catalog=CATALOG)) == [
        ("vertex", "gemini-1.0-pro-001")
    ]
    with pytest.raises(ValueError):
        upcoming(-1, catalog=CATALOG)


@given(
    within=st.integers(min_value=0, max_value=2000),
    as_of=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 1, 1)),
)
def test_upcoming_is_sorted_and_inside_the_window(within: int, as_of: date) -> None:
    rows = upcoming(within, as_of=as_of, catalog=CATALOG)
    dates = [r.offering.lifecycle.shutdown_on.on for r in rows]  # type: ignore[union-attr]
    assert dates == sorted(dates)
    for row, day in zip(rows, dates, strict=True):
        assert row.days_left is not None and row.days_left <= within
        if row.offering.lifecycle.shutdown_on.precision != "month":  # type: ignore[union-attr]
            assert row.days_left >= 0
        else:
            assert (day.year, day.month) >= (as_of.year, as_of.month)
    expected = {
        o.key
        for o in CATALOG.offerings
        if o.lifecycle.shutdown_on is not None
        and 0 <= (o.lifecycle.shutdown_on.on - as_of).days <= within
    }
    assert expected <= {r.offering.key for r in rows}


def test_search_ranks_exact_then_prefix_then_tokens_then_similar() -> None:
    assert [m.id for m in search("gpt-4", catalog=CATALOG)][:3] == [
        "gpt-4",  # exact
        "gpt-4.1",  # prefix, shorter first
        "gpt-4.5-preview",
    ]
    assert search("claude sonnet", catalog=CATALOG)[0].id == "claude-3-sonnet-20240229"
    assert search("OPUS-3", catalog=CATALOG)[0].id == "claude-3-opus-20240229"  # alias
    assert search("Mistral Large", catalog=CATALOG)[0].id == "mistral-large-2402"  # name
    # a platform id finds its model
    assert search("anthropic.claude-3-sonnet", catalog=CATALOG)[0].id == (
        "claude-3-sonnet-20240229"
    )
    # misspelt: difflib
    assert search("claude-3-sonet-20240229", catalog=CATALOG)[0].id == "claude-3-sonnet-20240229"
    assert search("zzzz-qqqq", catalog=CATALOG) == []
    assert search("  ", catalog=CATALOG) == []
    assert len(search("gpt", limit=2, catalog=CATALOG)) == 2


@given(text=st.text(max_size=40), limit=st.integers(min_value=0, max_value=5))
def test_search_is_safe_on_any_text(text: str, limit: int) -> None:
    found = search(text, limit=limit, catalog=CATALOG)
    assert len(found) <= limit
    assert len({m.id for m in found}) == len(found)
    exact = [m for m in CATALOG.models.values() if m.id == text.strip().lower()]
    if exact and limit:
        assert found[0] == exact[0]
