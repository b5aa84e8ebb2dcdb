"""Catalog truth: per-fact sources, aliases, pointers, floors, unknowns, live replacements.

Most tests read the bundled catalog (compiled from the real sources in
``../shared/data/lifecycle``); the compile rules are also checked on small synthetic
records, so a rule cannot pass only because of today's data.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from recast.catalog import (
    Catalog,
    Claim,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Replacement,
    Source,
    advise,
    load_catalog,
    lookup,
    resolve,
    status_of,
)
from recast.catalog._compile import compile_catalog
from recast.catalog.sources._common import ImportResult, OfferingRecord
from recast.cli.main import app

TODAY = date(2026, 12, 8)
PAGE = "https://example.test/deprecations"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _record(importer: str, platform_id: str = "m-1", **facts: object) -> OfferingRecord:
    source = Source(PAGE, accessed_on=date(2026, 7, 30), importer=importer)
    return OfferingRecord(
        platform="openai",
        platform_id=platform_id,
        model=platform_id,
        provider="openai",
        importer=importer,
        sources=(source,),
        **facts,  # type: ignore[arg-type]
    )


def _compile(*records: OfferingRecord, models: tuple[Model, ...] = ()) -> Catalog:
    by_importer: dict[str, ImportResult] = {}
    for record in records:
        result = by_importer.setdefault(
            record.importer, ImportResult(source=record.importer, path="-")
        )
        result.offerings.append(record)
    if models:
        by_importer.setdefault("overlay", ImportResult(source="overlay", path="-"))
        by_importer["overlay"].models.extend(models)
    return compile_catalog(by_importer.values())


# --------------------------------------------------------------------------- aliases


def test_an_alias_follows_its_snapshot(catalog: Catalog) -> None:
    alias = lookup("claude-opus-4-1", catalog=catalog)
    snapshot = lookup("claude-opus-4-1-20250805", "anthropic", catalog=catalog)
    assert (alias.platform_id, alias.alias_of) == ("claude-opus-4-1", "claude-opus-4-1-20250805")
    assert alias.model == snapshot.model == "claude-opus-4-1-20250805"
    assert alias.lifecycle == snapshot.lifecycle
    assert alias.lifecycle.shutdown_on == LifecycleDate(date(2026, 8, 5))
    assert alias.lifecycle.state_on(TODAY) == "retired"
    assert alias.lifecycle.state_on(date(2026, 1, 1)) == "active"
    assert "claude-opus-4-1" in (catalog.model(alias.model) or Model("", "")).aliases
    assert catalog.model("claude-opus-4-1") is None  # no second, "active" model any more


@pytest.mark.parametrize(
    ("alias", "platform", "target"),
    [
        ("claude-opus-4-0", "anthropic", "claude-opus-4-20250514"),
        ("claude-sonnet-4-0", "anthropic", "claude-sonnet-4-20250514"),
        ("open-mistral-nemo", "mistral", "open-mistral-nemo-2407"),
        ("mistral-large-latest", "mistral", "mistral-large-2512"),
        ("command-r", "cohere", "command-r-03-2024"),
    ],
)
def test_aliases_read_their_targets_lifecycle(
    catalog: Catalog, alias: str, platform: str, target: str
) -> None:
    found = lookup(alias, platform, catalog=catalog)
    assert found.model == target
    assert found.lifecycle == lookup(target, platform, catalog=catalog).lifecycle


def test_alias_records_join_the_target_and_share_one_lifecycle() -> None:
    cat = _compile(
        _record("modeldeprecations.dev", "m-2025", shutdown_on=LifecycleDate(date(2026, 8, 5))),
        _record("litellm", "m"),  # the alias as its own record: prices only, says nothing
        models=(Model("m-2025", "openai", aliases=("m",)),),
    )
    alias = lookup("m", "openai", catalog=cat)
    assert alias.alias_of == "m-2025" and alias.model == "m-2025"
    assert alias.lifecycle.shutdown_on == LifecycleDate(date(2026, 8, 5))
    assert alias.lifecycle.state_on(TODAY) == "retired"


def test_a_pointer_with_its_own_record_is_not_an_alias(catalog: Catalog) -> None:
    pointer = lookup("gpt-4o", "openai", catalog=catalog)
    snapshot = lookup("gpt-4o-2024-05-13", "openai", catalog=catalog)
    assert pointer.alias_of is None and pointer.model == "gpt-4o"
    assert snapshot.lifecycle.shutdown_on is not None
    # The pointer keeps its own lifecycle: modeldeprecations.dev says active, with no date.
    assert pointer.lifecycle.state_on(TODAY) == "active"
    assert pointer.lifecycle.shutdown_on is None
    shutdown = pointer.lifecycle.fact("shutdown_on")
    assert [(c.importer, str(c.shutdown_on)) for c in shutdown.alternatives] == [
        ("litellm", "2027-01-14")
    ]
    conflict = catalog.conflicts_of(pointer)["shutdown_on"]
    assert "modeldeprecations.dev has precedence and says active" in conflict.reason


def test_a_higher_source_saying_active_overrules_a_lower_date_and_successor() -> None:
    cat = _compile(
        _record("modeldeprecations.dev", state="active"),
        _record(
            "litellm",
            shutdown_on=LifecycleDate(date(2027, 1, 14)),
            replacements=(Replacement("m-2", recommended=True, source_url=PAGE),),
        ),
    )
    life = lookup("m-1", catalog=cat).lifecycle
    assert life.shutdown_on is None and life.replacements == ()
    assert {c.field for c in cat.conflicts} == {"shutdown_on", "replacement"}


def test_an_overlay_unset_fact_overrules_a_lower_date() -> None:
    overlay = _record("overlay", state="deprecated", deprecated_on=LifecycleDate(date(2025, 9, 15)))
    overlay.denies = ("shutdown_on",)
    cat = _compile(
        overlay, _record("deprecations.info", shutdown_on=LifecycleDate(date(2025, 9, 15)))
    )
    life = lookup("m-1", catalog=cat).lifecycle
    assert life.shutdown_on is None and life.state_on(TODAY) == "deprecated"
    (conflict,) = cat.conflicts
    assert "publishes no shutdown date" in conflict.reason


# --------------------------------------------------------------------------- dates


def test_a_floor_repeated_as_an_exact_day_stays_a_floor() -> None:
    floor = LifecycleDate(date(2026, 10, 15), "not_before")
    cat = _compile(
        _record("modeldeprecations.dev", state="active", shutdown_on=floor),
        _record("litellm", shutdown_on=LifecycleDate(date(2026, 10, 15))),
    )
    life = lookup("m-1", catalog=cat).lifecycle
    assert life.shutdown_on == floor
    assert life.origin("shutdown_on") == "modeldeprecations.dev"


def test_a_later_exact_date_refines_a_floor_and_names_its_source() -> None:
    cat = _compile(
        _record(
            "modeldeprecations.dev",
            state="active",
            shutdown_on=LifecycleDate(date(2026, 9, 29), "not_before"),
        ),
        _record("litellm", shutdown_on=LifecycleDate(date(2026, 11, 30))),
    )
    fact = lookup("m-1", catalog=cat).lifecycle.fact("shutdown_on")
    assert fact.value == LifecycleDate(date(2026, 11, 30)) and fact.importer == "litellm"
    # Not a disagreement, but the higher source calls it active: the refinement is on record.
    (note,) = cat.conflicts
    assert note.chosen == "2026-11-30" and "is within modeldeprecations.dev's" in note.reason


def test_a_passed_floor_means_any_day_not_deprecated(catalog: Catalog) -> None:
    haiku = lookup("claude-haiku-4-5-20251001", "anthropic", catalog=catalog)
    assert haiku.lifecycle.shutdown_on == LifecycleDate(date(2026, 10, 15), "not_before")
    status = status_of(haiku, TODAY, catalog=catalog)
    assert status.state == "active"
    assert any("may shut down any day" in note for note in status.notes())


def test_no_announcement_means_deprecated_since_unknown_not_since_release() -> None:
    claim = Claim(
        "litellm",
        sources=(Source(PAGE, accessed_on=date(2026, 7, 30), importer="litellm"),),
        shutdown_on=LifecycleDate(date(2027, 1, 14)),
    )
    life = Lifecycle.from_claims(
        [claim], {"shutdown_on": "litellm", "state": "derived"}, state="deprecated",
        shutdown_on=claim.shutdown_on,
    )  # fmt: skip
    assert life.state_on(date(2024, 5, 13)) == "unknown"  # released then; deprecated? unknown
    assert life.state_on(date(2026, 8, 1)) == "deprecated"
    assert life.state_on(date(2027, 1, 14)) == "retired"
    offer = Offering("m-1", "openai", "m-1", life)
    notes = status_of(offer, date(2026, 8, 1)).notes()
    assert any("deprecated since: unknown" in note for note in notes)


def test_no_lifecycle_source_reads_unknown(catalog: Catalog) -> None:
    rerank = lookup("amazon.rerank-v1:0", catalog=catalog)
    assert rerank.lifecycle.state_on(TODAY) == "unknown"
    assert status_of(rerank, TODAY, catalog=catalog).notes()[0].startswith("no lifecycle source")


# --------------------------------------------------------------------------- provenance


def test_show_json_gives_every_fact_its_own_source() -> None:
    result = CliRunner().invoke(
        app, ["models", "show", "gpt-4o", "--platform", "openai", "--json", "--as-of", "2026-12-08"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 2
    (row,) = document["offerings"]
    facts = row["facts"]
    assert facts["state"]["value"] == "active"
    assert facts["state"]["importer"] == "modeldeprecations.dev"
    assert facts["state"]["source"]["accessed_on"] == "2026-07-30"
    shutdown = facts["shutdown_on"]
    assert shutdown["value"] is None
    assert shutdown["alternatives"][0]["importer"] == "litellm"
    assert shutdown["alternatives"][0]["value"] == "2027-01-14"
    assert shutdown["alternatives"][0]["source"]["url"].startswith("https://developers.openai")
    assert shutdown["conflict"]["chosen"] == "none"
    assert "shutdown_on" in row["conflicts"]


def test_every_kept_fact_of_the_bundled_catalog_names_its_source(catalog: Catalog) -> None:
    from recast.catalog import LIFECYCLE_FACTS

    missing = [
        (o.platform, o.platform_id, name)
        for o in catalog.offerings
        for name in LIFECYCLE_FACTS
        if (fact := o.lifecycle.fact(name)).value not in (None, (), "unknown")
        and fact.importer != "derived"
        and (fact.source is None or not fact.source.url)
    ]
    assert missing == []


# --------------------------------------------------------------------------- replacement chains


def test_a_chain_is_followed_to_a_live_model(catalog: Catalog) -> None:
    advice = advise(
        lookup("o1-mini", "openai", catalog=catalog), date(2026, 11, 27), catalog=catalog
    )
    assert [s.model for s in advice.chain] == ["o4-mini", "gpt-5.6-terra"]
    assert advice.chain[0].state == "retired" and advice.target is not None
    assert advice.target.platform_id == "gpt-5.6-terra" and advice.verified
    assert advice.text() == "o4-mini (retired 2026-10-23) -> gpt-5.6-terra (active)"


def _chain_catalog(*offerings: Offering) -> Catalog:
    return Catalog.build([Model(o.model, "openai") for o in offerings], offerings)


def _retired(model: str, *replacements: Replacement) -> Offering:
    life = Lifecycle(
        state="retired", shutdown_on=LifecycleDate(date(2025, 1, 1)), replacements=replacements
    )
    return Offering(model, "openai", model, life)


def test_a_chain_that_ends_in_nothing_alive_says_so_and_recommends_nothing() -> None:
    a = _retired("a", Replacement("b", recommended=True, source_url=PAGE))
    b = _retired("b")
    advice = advise(a, TODAY, catalog=_chain_catalog(a, b))
    assert advice.target is None and advice.final is None
    assert advice.reason == "b is retired 2025-01-01 and names no replacement"


@pytest.mark.parametrize(
    ("offerings", "reason"),
    [
        ([_retired("a", Replacement("zz", recommended=True))], "zz is not offered on openai"),
        (
            [
                _retired("a", Replacement("b", recommended=True)),
                _retired("b", Replacement("a", recommended=True)),
            ],
            "the chain comes back to a",
        ),
        (
            [
                _retired("a", Replacement("b", recommended=True)),
                _retired("b", Replacement("c"), Replacement("d")),
            ],
            "b is retired 2025-01-01 and names several replacements (c, d) without "
            "recommending one",
        ),
    ],
)
def test_chains_that_stop(offerings: list[Offering], reason: str) -> None:
    advice = advise(offerings[0], TODAY, catalog=_chain_catalog(*offerings))
    assert advice.target is None and advice.reason == reason


def test_a_chain_that_loops_back_never_recommends_the_offering_itself() -> None:
    a = Offering(
        "a",
        "openai",
        "a",
        Lifecycle(
            state="deprecated",
            shutdown_on=LifecycleDate(date(2027, 1, 1)),
            replacements=(Replacement("b", recommended=True),),
        ),
    )
    b = _retired("b", Replacement("a", recommended=True))
    advice = advise(a, date(2026, 6, 1), catalog=_chain_catalog(a, b))
    assert advice.target is None and advice.reason == "the chain comes back to a"


def test_a_deprecated_end_is_kept_when_nothing_later_is_named() -> None:
    a = _retired("a", Replacement("b", recommended=True))
    b = Offering(
        "b",
        "openai",
        "b",
        Lifecycle(
            state="deprecated",
            deprecated_on=LifecycleDate(date(2026, 1, 1)),
            shutdown_on=LifecycleDate(date(2027, 6, 1)),
        ),
    )
    advice = advise(a, TODAY, catalog=_chain_catalog(a, b))
    assert advice.target is b and advice.final is not None and advice.final.state == "deprecated"


def test_ambiguous_replacements_are_options_not_a_target() -> None:
    a = _retired("a", Replacement("b"), Replacement("c"))
    b, c = (Offering(m, "openai", m, Lifecycle(state="active")) for m in "bc")
    advice = advise(a, TODAY, catalog=_chain_catalog(a, b, c))
    assert advice.ambiguous and advice.target is None
    assert [o.target for o in advice.options] == [b, c]


_DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0), day=_DAYS)
def test_no_advice_ever_recommends_a_model_retired_that_day(index: int, day: date) -> None:
    """Property: on any day, for any offering, the advised replacement answers that day."""
    cat = load_catalog()
    source = cat.offerings[index % len(cat)]
    advice = advise(source, day, catalog=cat)
    for candidate in (advice, *advice.options):
        target = candidate.target
        if target is not None:
            assert target.lifecycle.state_on(day) != "retired", (source.key, target.key, day)
    shown = status_of(source, day, catalog=cat).to_dict()["replacement"]  # what JSON says
    if shown["live"] is not None:
        found = resolve(shown["live_platform_id"], shown["live_platform"], catalog=cat)
        assert found and found[0].lifecycle.state_on(day) != "retired"


@st.composite
def _random_catalogs(draw: st.DrawFn) -> tuple[Catalog, date]:
    """Small catalogs with random states, dates and replacement graphs (cycles included)."""
    names = [f"m{i}" for i in range(draw(st.integers(2, 7)))]
    offerings = []
    for name in names:
        state = draw(st.sampled_from(["active", "legacy", "deprecated", "retired", "unknown"]))
        shutdown = draw(st.none() | _DAYS)
        precision = draw(st.sampled_from(["exact", "not_before", "month"]))
        targets = draw(st.lists(st.sampled_from([*names, "gone"]), max_size=3))
        recommended = draw(st.booleans())
        replacements = tuple(
            Replacement(t, recommended=recommended and i == 0) for i, t in enumerate(targets)
        )
        life = Lifecycle(
            state=state,  # type: ignore[arg-type]
            shutdown_on=LifecycleDate(shutdown, precision) if shutdown else None,  # type: ignore[arg-type]
            replacements=replacements,
        )
        offerings.append(Offering(name, "openai", name, life))
    return _chain_catalog(*offerings), draw(_DAYS)


@settings(max_examples=300, deadline=None)
@given(drawn=_random_catalogs())
def test_no_advice_is_retired_on_random_catalogs(drawn: tuple[Catalog, date]) -> None:
    cat, day = drawn
    for source in cat.offerings:
        advice = advise(source, day, catalog=cat)
        for candidate in (advice, *advice.options):
            if candidate.target is not None:
                assert candidate.target.lifecycle.state_on(day) != "retired"
                assert candidate.target.model != source.model  # never itself


# --------------------------------------------------------------------------- build and sync


def test_the_bundled_catalog_is_a_byte_identical_rebuild(tmp_path: Path) -> None:
    from recast.catalog import bundled_path
    from recast.catalog.sources._build import DEFAULT_ROOT, main

    if not DEFAULT_ROOT.exists():
        pytest.skip("../shared/data/lifecycle is not beside the project")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["build", str(DEFAULT_ROOT), "-o", str(first)]) == 0
    assert main(["build", str(DEFAULT_ROOT), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == bundled_path().read_bytes(), (
        "the bundled catalog is stale: run scripts/build_catalog.py"
    )


def test_an_overlay_row_without_url_fails_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recast.catalog.sources._build import DEFAULT_ROOT, main

    if not DEFAULT_ROOT.exists():
        pytest.skip("../shared/data/lifecycle is not beside the project")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "bad.yaml").write_text(
        "defaults:\n  platform: openai\nofferings:\n"
        "  - model: gpt-4o\n    sources: [{url: https://x.test, accessed: 2026-12-08}]\n"
        "  - model: gpt-4.1\n    state: retired\n",
        encoding="utf-8",
    )
    out = tmp_path / "catalog.json"
    out.write_text("previous", encoding="utf-8")
    code = main(["build", str(DEFAULT_ROOT), "-o", str(out), "--overlay-dir", str(overlay)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "bad.yaml' line 6" in err and "no source URL" in err and "\n" not in err
    assert out.read_text(encoding="utf-8") == "previous"  # the previous file is kept


def test_sync_of_the_bundled_sources_keeps_every_fact_and_its_source(
    tmp_path: Path, catalog: Catalog
) -> None:
    from recast.catalog._catalog import read_catalog_file
    from recast.catalog._sync import sync
    from recast.catalog.sources._build import DEFAULT_ROOT

    if not DEFAULT_ROOT.exists():
        pytest.skip("../shared/data/lifecycle is not beside the project")
    cache = tmp_path / "catalog.json"
    before = {o.key: o for o in catalog.offerings}

    def conflicts(cat: Catalog) -> list[str]:
        return sorted(json.dumps(c.to_dict()) for c in cat.conflicts)

    # One source after another, each the same data the bundle was built from.
    for name in ("litellm", "modeldeprecations.dev", "deprecations-rss", "models.dev"):
        sync(str(DEFAULT_ROOT / name), cache_path=cache)
        synced = read_catalog_file(cache)
        assert {o.key: o for o in synced.offerings} == before, name  # facts, sources, aliases
        assert conflicts(synced) == conflicts(catalog), name  # prices' included
        assert synced.models == catalog.models, name


def test_advise_as_of_yesterday_and_tomorrow_differs_only_by_the_days(catalog: Catalog) -> None:
    o1 = lookup("o1-mini", "openai", catalog=catalog)
    early = advise(o1, date(2026, 10, 22), catalog=catalog)  # o4-mini still answers that day
    assert early.chain[0].state == "deprecated"
    later = advise(o1, date(2026, 10, 22) + timedelta(days=2), catalog=catalog)
    assert later.chain[0].state == "retired"


def test_a_user_cache_of_another_schema_falls_back_to_the_bundled_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recast.catalog._catalog import read_user_cache_or_bundled

    cache = tmp_path / "catalog.json"
    cache.write_text(json.dumps({"schema_version": 1, "models": [], "offerings": []}))
    catalog = read_user_cache_or_bundled(cache)
    assert len(catalog) > 1000  # the bundled one
    err = capsys.readouterr().err.strip()
    assert "schema_version 1" in err and "recast models sync" in err and "\n" not in err


def test_a_sync_moves_an_alias_a_newer_source_moved(tmp_path: Path) -> None:
    """modeldeprecations.dev moves claude-opus-4-1 to a (made-up) newer snapshot: after a
    sync of that data the alias follows the new snapshot, as a rebuild would."""
    import shutil

    from recast.catalog._catalog import read_catalog_file
    from recast.catalog._sync import sync
    from recast.catalog.sources._build import DEFAULT_ROOT

    if not DEFAULT_ROOT.exists():
        pytest.skip("../shared/data/lifecycle is not beside the project")
    data = tmp_path / "modeldeprecations.dev"
    shutil.copytree(DEFAULT_ROOT / "modeldeprecations.dev", data)
    old = data / "models/anthropic/claude-opus-4-1-20250805.yaml"
    old.write_text(old.read_text().replace("aliases: [claude-opus-4-1]\n", ""))
    (data / "models/anthropic/claude-opus-4-1-20991231.yaml").write_text(
        "provider: anthropic\nmodel: claude-opus-4-1-20991231\naliases: [claude-opus-4-1]\n"
        "status: active\nsources:\n  - {url: 'https://example.test/x', accessed: 2026-12-01}\n"
    )
    cache = tmp_path / "catalog.json"
    sync(str(data), cache_path=cache)
    synced = read_catalog_file(cache)
    alias = lookup("claude-opus-4-1", "anthropic", catalog=synced)
    assert alias.alias_of == "claude-opus-4-1-20991231"
    assert alias.lifecycle.state_on(TODAY) == "active"
    old_model = synced.model("claude-opus-4-1-20250805")
    assert old_model is not None and "claude-opus-4-1" not in old_model.aliases


def test_a_calendar_impossible_date_names_file_and_line(tmp_path: Path) -> None:
    from recast.catalog.sources.modeldeprecations import load
    from recast.errors import SourceError

    folder = tmp_path / "models" / "openai"
    folder.mkdir(parents=True)
    (folder / "m.yaml").write_text(
        "provider: openai\nmodel: m\nstatus: deprecated\nshutdown_on: 2026-02-30\n"
    )
    with pytest.raises(SourceError) as err:
        load(tmp_path)
    assert "m.yaml' line 4: invalid date" in str(err.value)


@pytest.mark.parametrize("field", ["aliases", "unset"])
def test_overlay_list_fields_refuse_a_scalar(tmp_path: Path, field: str) -> None:
    from recast.catalog.sources.overlay import load
    from recast.errors import SourceError

    (tmp_path / "x.yaml").write_text(
        "offerings:\n  - model: gpt-4o\n    platform: openai\n"
        f"    {field}: shutdown_on\n"
        "    sources: [{url: 'https://x.test', accessed: 2026-12-08}]\n"
    )
    with pytest.raises(SourceError, match=f"'{field}' must be a list"):
        load(tmp_path)


def test_an_unset_replacement_is_not_kept_even_beside_a_date() -> None:
    overlay = _record("overlay", state="deprecated", deprecated_on=LifecycleDate(date(2025, 1, 1)))
    overlay.denies = ("replacements",)
    cat = _compile(
        overlay,
        _record("litellm", replacements=(Replacement("m-2", recommended=True, source_url=PAGE),)),
    )
    assert lookup("m-1", catalog=cat).lifecycle.replacements == ()
    assert [c.field for c in cat.conflicts] == ["replacement"]
