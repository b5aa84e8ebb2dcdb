"""The bundled catalog.json: the facts the issue says it must show, and its invariants."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from recast.catalog import Catalog, Offering, bundled_path, load_catalog
from recast.catalog._catalog import read_catalog_file

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return read_catalog_file(bundled_path())


def offering(catalog: Catalog, platform: str, platform_id: str) -> Offering:
    found = [o for o in catalog if o.platform == platform and o.platform_id == platform_id]
    assert len(found) == 1, f"{platform}:{platform_id} -> {found}"
    return found[0]


def test_bundled_catalog_is_what_load_catalog_returns(catalog: Catalog) -> None:
    loaded = load_catalog()
    assert len(loaded) == len(catalog)
    assert loaded.built_at == catalog.built_at


def test_gpt_4_5_preview_on_openai(catalog: Catalog) -> None:
    o = offering(catalog, "openai", "gpt-4.5-preview")
    lc = o.lifecycle
    assert o.model == "gpt-4.5-preview"
    assert lc.announced_on is not None and lc.announced_on.on == date(2025, 4, 14)
    assert lc.shutdown_on is not None
    assert (lc.shutdown_on.on, lc.shutdown_on.precision) == (date(2025, 7, 14), "exact")
    assert lc.state == "retired" and lc.state_on(AS_OF) == "retired"
    rep = lc.recommended_replacement
    assert rep is not None and rep.model == "gpt-4.1" and rep.recommended
    assert rep.source_url.startswith("https://platform.openai.com/docs/deprecations")


def test_at_least_300_offerings_retired_on_2026_11_27(catalog: Catalog) -> None:
    retired = [o for o in catalog if o.lifecycle.state_on(AS_OF) == "retired"]
    assert len(retired) >= 300


def test_claude_3_sonnet_differs_per_platform(catalog: Catalog) -> None:
    home = offering(catalog, "anthropic", "claude-3-sonnet-20240229")
    bedrock = offering(catalog, "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    assert home.model == bedrock.model == "claude-3-sonnet-20240229"
    assert home.lifecycle.shutdown_on is not None
    assert home.lifecycle.shutdown_on.on == date(2025, 7, 21)
    assert bedrock.lifecycle.shutdown_on is not None
    assert bedrock.lifecycle.shutdown_on.on == date(2026, 7, 30)
    assert home.lifecycle.state_on(date(2026, 1, 1)) == "retired"
    # Bedrock's own legacy date (2026-01-30) is when it went away there, not Anthropic's.
    assert bedrock.lifecycle.state_on(date(2026, 1, 1)) == "active"
    assert bedrock.lifecycle.state_on(date(2026, 2, 1)) == "deprecated"
    # The older scrape (deprecations.info) still says 2025-07-21 on Bedrock: a recorded conflict.
    conflicts = [
        c
        for c in catalog.conflicts
        if c.platform == "bedrock"
        and c.platform_id == bedrock.platform_id
        and c.field == "shutdown_on"
    ]
    assert conflicts and conflicts[0].chosen == "2026-07-30"
    assert {imp for imp, _ in conflicts[0].values} >= {"overlay", "deprecations.info"}


def test_o1_preview_replacement_depends_on_platform(catalog: Catalog) -> None:
    openai = offering(catalog, "openai", "o1-preview")
    azure = offering(catalog, "azure-openai", "o1-preview-2024-09-12")
    assert openai.model == azure.model == "o1-preview"
    assert openai.lifecycle.recommended_replacement is not None
    assert openai.lifecycle.recommended_replacement.model == "o3"
    assert azure.lifecycle.recommended_replacement is not None
    assert azure.lifecycle.recommended_replacement.model == "o1"
    assert azure.lifecycle.recommended_replacement.source_url.startswith(
        "https://learn.microsoft.com/"
    )


def test_plenty_of_upcoming_shutdowns(catalog: Catalog) -> None:
    upcoming = [
        o
        for o in catalog
        if o.lifecycle.shutdown_on is not None
        and 0 <= (o.lifecycle.shutdown_on.on - AS_OF).days <= 365
    ]
    assert len(upcoming) >= 50
    assert len({o.platform for o in upcoming}) >= 4


def test_bedrock_ids_group_under_the_makers_model(catalog: Catalog) -> None:
    for o in catalog:
        if o.platform == "bedrock" and o.platform_id.startswith("anthropic.claude-3"):
            assert o.model.startswith("claude-3"), o
            assert ":" not in o.model and "." not in o.model.split("-")[0]
    assert not any(o.platform == "bedrock" and o.platform_id.startswith("us.") for o in catalog)


def test_every_dated_lifecycle_and_replacement_has_a_source(catalog: Catalog) -> None:
    for o in catalog:
        lc = o.lifecycle
        if lc.shutdown_on or lc.deprecated_on or lc.announced_on:
            assert lc.sources, o
        for rep in lc.replacements:
            assert rep.source_url, o


def test_every_offering_has_its_model(catalog: Catalog) -> None:
    missing = {o.model for o in catalog} - set(catalog.models)
    assert not missing


def test_offerings_are_unique(catalog: Catalog) -> None:
    keys = [o.key for o in catalog]
    assert len(keys) == len(set(keys))


def test_overlay_facts_all_survive_compilation(catalog: Catalog) -> None:
    from recast.catalog.sources import overlay

    for record in overlay.load().offerings:
        o = offering(catalog, record.platform, record.platform_id)
        if record.shutdown_on is not None:
            assert o.lifecycle.shutdown_on == record.shutdown_on, o


def test_file_is_compact_and_versioned() -> None:
    path = bundled_path()
    assert path.stat().st_size < 5_000_000
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    assert data["schema_version"] == 2
    assert {p["source"] for p in data["provenance"]} == {
        "modeldeprecations.dev",
        "deprecations.info",
        "litellm",
        "models.dev",
        "overlay",
    }


def test_loading_the_catalog_needs_no_importer_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import recast.catalog as c; c.load_catalog(); "
        "bad = [m for m in ('yaml', 'tomllib', 'tomli', 'httpx', 'recast.catalog.sources') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_not_before_floor_does_not_deprecate_an_active_model(catalog: Catalog) -> None:
    o = offering(catalog, "anthropic", "claude-sonnet-4-6")
    assert o.lifecycle.shutdown_on is not None
    assert o.lifecycle.shutdown_on.precision == "not_before"
    assert o.lifecycle.state_on(AS_OF) == "active"


# Rows the resolver engineer found missing; each comes from the overlay with its source.


@pytest.mark.parametrize(
    ("vertex_id", "model"),
    [
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-20241022"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet-20240620"),
        ("claude-3-opus@20240229", "claude-3-opus-20240229"),
        ("claude-3-haiku@20240307", "claude-3-haiku-20240307"),
        ("claude-3-sonnet@20240229", "claude-3-sonnet-20240229"),
        ("claude-3-7-sonnet@20250219", "claude-3-7-sonnet-20250219"),
        ("claude-3-5-haiku@20241022", "claude-3-5-haiku-20241022"),
    ],
)
def test_claude_on_vertex_rows_name_their_model_and_source(
    catalog: Catalog, vertex_id: str, model: str
) -> None:
    o = offering(catalog, "vertex", vertex_id)
    assert o.model == model
    urls = [s.url for s in o.lifecycle.sources if s.importer == "overlay"]
    assert urls and all(u.startswith("https://") for u in urls)


def test_claude_3_5_haiku_on_vertex_follows_the_vertex_page(catalog: Catalog) -> None:
    lc = offering(catalog, "vertex", "claude-3-5-haiku@20241022").lifecycle
    assert lc.deprecated_on is not None and lc.deprecated_on.on == date(2026, 1, 5)
    assert lc.shutdown_on is not None and lc.shutdown_on.on == date(2026, 7, 5)
    assert lc.state_on(AS_OF) == "retired"


@pytest.mark.parametrize(
    ("model_id", "deprecated", "retired"),
    [
        ("claude-2.0", date(2025, 1, 21), date(2025, 7, 21)),
        ("claude-2.1", date(2025, 1, 21), date(2025, 7, 21)),
        ("claude-instant-1.2", date(2024, 9, 4), date(2024, 11, 6)),
        ("claude-instant-1.0", date(2024, 9, 4), date(2024, 11, 6)),
    ],
)
def test_claude_2_and_instant_retired_on_anthropic(
    catalog: Catalog, model_id: str, deprecated: date, retired: date
) -> None:
    o = offering(catalog, "anthropic", model_id)
    assert o.model == model_id and catalog.models[model_id].provider == "anthropic"
    lc = o.lifecycle
    assert lc.deprecated_on is not None and lc.deprecated_on.on == deprecated
    assert lc.shutdown_on is not None and lc.shutdown_on.on == retired
    assert lc.state_on(AS_OF) == "retired"
    assert any(s.importer == "overlay" and s.accessed_on for s in lc.sources)


@pytest.mark.parametrize("alias", ["claude-2", "claude-instant-1"])
def test_undated_claude_aliases_are_retired_models_without_a_date(
    catalog: Catalog, alias: str
) -> None:
    o = offering(catalog, "anthropic", alias)
    assert o.model == alias and catalog.models[alias].provider == "anthropic"
    assert o.lifecycle.shutdown_on is None  # the page dates only the models they named
    assert o.lifecycle.state_on(AS_OF) == o.lifecycle.state_on(date(2020, 1, 1)) == "retired"
    assert any(alias in s.title for s in o.lifecycle.sources)


def test_gemini_1_5_flash_latest_is_its_own_retired_model(catalog: Catalog) -> None:
    o = offering(catalog, "gemini-api", "gemini-1.5-flash-latest")
    assert o.model == "gemini-1.5-flash-latest"
    assert o.lifecycle.shutdown_on is None  # no published date: none invented
    assert o.lifecycle.state_on(AS_OF) == "retired"


def test_bedrock_dates_name_the_copy_they_were_read_from(catalog: Catalog) -> None:
    lc = offering(catalog, "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0").lifecycle
    fact = lc.fact("shutdown_on")
    assert fact.importer == "overlay" and fact.source is not None
    assert "stored copy" in fact.source.title
    assert fact.source.url.startswith("https://docs.aws.amazon.com/bedrock/")


# A catalog read from a file builds its objects on first use; it must answer as one built whole.


def test_lazy_catalog_answers_like_an_eager_one(catalog: Catalog) -> None:
    eager = Catalog(models=catalog.models, offerings=catalog.offerings, conflicts=catalog.conflicts)
    lazy = read_catalog_file(bundled_path())
    for model_id in ("gpt-4.5-preview", "claude-3-sonnet-20240229", "claude-2", "no-such-model"):
        assert lazy.model(model_id) == eager.model(model_id)
        assert lazy.provider_of(model_id) == eager.provider_of(model_id)
        assert lazy.offerings_of(model_id) == eager.offerings_of(model_id)
    assert len(lazy) == len(eager) and lazy.platforms == eager.platforms
    assert lazy.models == eager.models and list(lazy) == eager.offerings
    # Objects handed out before and after the full build are the same objects.
    first = lazy.offerings_of("gpt-4.5-preview")[0]
    assert any(o is first for o in lazy.offerings)


def test_lazy_catalog_round_trips(catalog: Catalog, tmp_path: Path) -> None:
    from recast.catalog._catalog import write_catalog_file

    target = tmp_path / "catalog.json"
    write_catalog_file(catalog, target)
    again = read_catalog_file(target)
    assert again == catalog and again.to_dict() == catalog.to_dict()


def test_catalog_file_missing_an_offering_key_is_refused_naming_it(tmp_path: Path) -> None:
    from recast.errors import SourceError

    data = json.loads(bundled_path().read_text(encoding="utf-8"))
    del data["offerings"][3]["platform_id"]
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SourceError, match=r"catalog\.json.*malformed"):
        read_catalog_file(bad)


def test_catalog_file_with_a_bad_date_is_refused_naming_it_when_read(tmp_path: Path) -> None:
    from recast.catalog import lookup
    from recast.errors import SourceError

    data = json.loads(bundled_path().read_text(encoding="utf-8"))
    entry = next(o for o in data["offerings"] if o["platform_id"] == "gpt-4.5-preview")
    entry["lifecycle"]["shutdown_on"]["on"] = "2025-13-45"
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    catalog = read_catalog_file(bad)  # entries are built on first use...
    with pytest.raises(SourceError, match=r"catalog\.json.*malformed at offering"):
        lookup("gpt-4.5-preview", catalog=catalog)  # ...and a bad one names the file
