"""The importers (one per lifecycle source), id normalisation, and the compiler's precedence."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recast.catalog import LifecycleDate, Model, Replacement, Source
from recast.catalog._compile import compile_catalog
from recast.catalog.sources import (
    deprecations_info,
    detect_source,
    import_source,
    litellm,
    modeldeprecations,
    modelsdev,
    overlay,
)
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    azure_model,
    bedrock_model,
    strip_bedrock_region,
    vertex_model,
)
from recast.errors import SourceError


def records(result: ImportResult, platform: str, platform_id: str) -> list[OfferingRecord]:
    return [r for r in result.offerings if r.platform == platform and r.platform_id == platform_id]


# --------------------------------------------------------------------------- modeldeprecations.dev


@pytest.fixture(scope="module")
def md(lifecycle_data: Path) -> ImportResult:
    return modeldeprecations.load(lifecycle_data / "modeldeprecations.dev")


def test_modeldeprecations_reads_every_file(md: ImportResult) -> None:
    assert md.records >= 390
    assert md.skipped == 0
    assert len(md.offerings) >= md.records


def test_modeldeprecations_gpt_4_5_preview(md: ImportResult) -> None:
    (rec,) = records(md, "openai", "gpt-4.5-preview")
    assert rec.state == "retired"
    assert rec.shutdown_on == LifecycleDate(date(2025, 7, 14))
    assert rec.replacements[0].model == "gpt-4.1" and rec.replacements[0].recommended
    assert rec.sources and rec.sources[0].importer == "modeldeprecations.dev"


def test_modeldeprecations_bedrock_rows_are_bedrock_offerings(md: ImportResult) -> None:
    (rec,) = records(md, "bedrock", "amazon.nova-canvas-v1:0")
    assert rec.model == "nova-canvas" and rec.provider == "amazon"
    (reel,) = records(md, "bedrock", "amazon.nova-reel-v1:1")
    assert reel.model != "nova-reel"


def test_modeldeprecations_vertex_and_google_platforms(md: ImportResult) -> None:
    assert records(md, "vertex", "gemini-2.5-pro")
    assert records(md, "gemini-api", "gemini-1.5-pro")
    assert not [r for r in md.offerings if r.platform == "google"]


def test_earliest_shutdown_becomes_not_before(md: ImportResult) -> None:
    (rec,) = records(md, "vertex", "gemini-3.1-flash-lite")
    assert rec.shutdown_on == LifecycleDate(date(2027, 5, 7), "not_before")


def test_dated_aliases_become_their_own_models(md: ImportResult) -> None:
    (snap,) = records(md, "openai", "gpt-4-32k-0613")
    (base,) = records(md, "openai", "gpt-4-32k")
    assert snap.model == "gpt-4-32k-0613"
    assert snap.shutdown_on == base.shutdown_on
    anthropic = {m.id: m for m in md.models if m.provider == "anthropic"}
    assert "claude-3-5-haiku-latest" in anthropic["claude-3-5-haiku-20241022"].aliases


def test_mistral_versions_use_api_spelling(md: ImportResult) -> None:
    assert records(md, "mistral", "codestral-2508")
    (old,) = records(md, "mistral", "codestral-2501")
    assert old.replacements[0].model == "codestral-2508"


# --------------------------------------------------------------------------- litellm


@pytest.fixture(scope="module")
def ll(lifecycle_data: Path) -> ImportResult:
    return litellm.load(lifecycle_data / "litellm" / "model_prices_and_context_window.json")


def test_litellm_prices_are_per_million(ll: ImportResult) -> None:
    (rec,) = records(ll, "openai", "gpt-4o")
    assert rec.prices.input == pytest.approx(2.5)
    assert rec.prices.output == pytest.approx(10.0)
    assert rec.prices.cached_input == pytest.approx(1.25)
    model = next(m for m in ll.models if m.id == "gpt-4o")
    assert model.capabilities.vision is True and model.capabilities.tools is True
    assert model.context_window == 128000


def test_litellm_deprecation_date_is_a_shutdown(ll: ImportResult) -> None:
    (rec,) = records(ll, "openai", "gpt-4o")
    assert rec.shutdown_on is not None and rec.shutdown_on.precision == "exact"
    assert rec.sources[0].url.startswith("https://")
    assert rec.replacements and rec.replacements[0].recommended


def test_litellm_azure_and_bedrock_ids(ll: ImportResult) -> None:
    (azure,) = records(ll, "azure-openai", "gpt-4o-2024-05-13")
    assert azure.model == "gpt-4o-2024-05-13"
    platform_ids = {r.platform_id for r in ll.offerings if r.platform == "bedrock"}
    assert not any(p.startswith(("us.", "eu.", "apac.", "global.")) for p in platform_ids)
    assert not any("/" in p for p in platform_ids)
    (sonnet,) = records(ll, "bedrock", "anthropic.claude-sonnet-4-20250514-v1:0")
    assert sonnet.model == "claude-sonnet-4-20250514"


def test_litellm_skips_unknown_platforms_and_modes(ll: ImportResult) -> None:
    assert ll.skipped > 0
    assert {r.platform for r in ll.offerings} <= {
        "openai", "azure-openai", "anthropic", "bedrock", "vertex", "gemini-api", "mistral",
        "openrouter", "cohere", "deepseek", "xai", "moonshot", "alibaba", "minimax", "z-ai",
        "xiaomi",
    }  # fmt: skip
    assert not records(ll, "openai", "dall-e-3")  # image_generation mode


# --------------------------------------------------------------------------- models.dev


@pytest.fixture(scope="module")
def mdev(lifecycle_data: Path) -> ImportResult:
    return modelsdev.load(lifecycle_data / "models.dev")


def test_modelsdev_base_model_inheritance(mdev: ImportResult) -> None:
    # providers/amazon-bedrock/models/openai.gpt-5.4.toml inherits its name from models/openai/.
    names = {m.id: m.name for m in mdev.models if m.name}
    assert names.get("gpt-5.4")
    (rec,) = records(mdev, "bedrock", "openai.gpt-5.4")
    assert rec.prices is not None and rec.prices.input == pytest.approx(2.75)


def test_modelsdev_status_deprecated(mdev: ImportResult) -> None:
    (rec,) = records(mdev, "anthropic", "claude-3-opus-20240229")
    assert rec.state == "deprecated"
    (vertex,) = records(mdev, "vertex", "claude-3-5-haiku@20241022")
    assert vertex.model == "claude-3-5-haiku-20241022"


def test_modelsdev_capabilities(mdev: ImportResult) -> None:
    gpt4o = next(m for m in mdev.models if m.id == "gpt-4o" and m.context_window)
    assert gpt4o.capabilities.vision is True
    assert gpt4o.capabilities.structured_output is True
    assert gpt4o.prices is not None and gpt4o.prices.input == pytest.approx(2.5)


def test_modelsdev_api_json(tmp_path: Path) -> None:
    api = {
        "openai": {
            "id": "openai",
            "npm": "@ai-sdk/openai",
            "models": {
                "gpt-4o": {
                    "id": "gpt-4o",
                    "name": "GPT-4o",
                    "tool_call": True,
                    "cost": {"input": 2.5, "output": 10},
                    "limit": {"context": 128000, "output": 16384},
                    "modalities": {"input": ["text", "image"], "output": ["text"]},
                },
                "gpt-3.5-turbo": {"id": "gpt-3.5-turbo", "status": "deprecated"},
            },
        },
        "somewhere-else": {"id": "x", "npm": "x", "models": {"m": {"id": "m"}}},
    }
    file = tmp_path / "api.json"
    file.write_text(json.dumps(api))
    assert detect_source(file) == "models.dev"
    result = import_source(file)
    assert result.records == 3 and result.skipped == 1
    (old,) = records(result, "openai", "gpt-3.5-turbo")
    assert old.state == "deprecated"


# --------------------------------------------------------------------------- deprecations.info


@pytest.fixture(scope="module")
def di(lifecycle_data: Path) -> ImportResult:
    return deprecations_info.load(lifecycle_data / "deprecations-rss")


def test_deprecations_info_announcements(di: ImportResult) -> None:
    (rec,) = records(di, "openai", "gpt-4.5-preview")
    assert rec.announced_on == LifecycleDate(date(2025, 4, 14))
    assert rec.shutdown_on == LifecycleDate(date(2025, 7, 14))
    assert rec.sources[0].url.startswith("https://platform.openai.com/docs/deprecations")


def test_deprecations_info_bedrock_names_map_to_ids(di: ImportResult) -> None:
    (rec,) = records(di, "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    assert rec.model == "claude-3-sonnet-20240229"
    assert rec.replacements[0].model == "claude-sonnet-4-5-20250929"


def test_deprecations_info_splits_run_together_replacements(di: ImportResult) -> None:
    (rec,) = records(di, "openai", "gpt-4-0314")
    assert [r.model for r in rec.replacements] == ["gpt-5", "gpt-4.1"]


def test_deprecations_info_skips_azure_foundry(di: ImportResult) -> None:
    assert not [r for r in di.offerings if r.platform == "azure-openai"]
    assert di.skipped > 0


# --------------------------------------------------------------------------- overlay


def test_overlay_entries_all_carry_sources() -> None:
    result = overlay.load()
    assert result.records >= 50
    for rec in result.offerings:
        assert rec.sources and all(s.url.startswith("https://") for s in rec.sources)
        assert all(s.accessed_on is not None for s in rec.sources)
        for rep in rec.replacements:
            assert rep.source_url.startswith("https://")


def test_overlay_rejects_unsourced_facts(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "offerings:\n  - {model: gpt-4, platform: openai, shutdown_on: 2026-01-01}\n"
    )
    with pytest.raises(SourceError, match="no source URL"):
        overlay.load(tmp_path)


def test_overlay_rejects_unknown_fields(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "offerings:\n  - {model: gpt-4, platform: openai, shutdown: 2026-01-01,"
        " sources: [{url: 'https://x', accessed: 2026-01-01}]}\n"
    )
    with pytest.raises(SourceError, match="unknown field"):
        overlay.load(tmp_path)


# --------------------------------------------------------------------------- detection, errors


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        ("modeldeprecations.dev", "modeldeprecations.dev"),
        ("modeldeprecations.dev/models/openai/gpt-4.yaml", "modeldeprecations.dev"),
        ("litellm", "litellm"),
        ("litellm/model_prices_and_context_window.json", "litellm"),
        ("models.dev", "models.dev"),
        ("models.dev/providers/openai/models/gpt-4o.toml", "models.dev"),
        ("deprecations-rss", "deprecations.info"),
        ("deprecations-rss/docs/v1/deprecations.json", "deprecations.info"),
    ],
)
def test_detect_source(lifecycle_data: Path, relative: str, name: str) -> None:
    assert detect_source(lifecycle_data / relative) == name


def test_corrupt_yaml_names_file_and_line(tmp_path: Path, lifecycle_data: Path) -> None:
    bad = tmp_path / "gpt-4.yaml"
    text = (lifecycle_data / "modeldeprecations.dev/models/openai/gpt-4.yaml").read_text()
    bad.write_text(text + "\nreplacements: [unclosed\n")
    with pytest.raises(SourceError) as err:
        import_source(bad)
    assert str(bad) in str(err.value) and "line " in str(err.value)


def test_partial_yaml_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "partial.yaml"
    bad.write_text("provider: openai\nname: GPT\n")
    with pytest.raises(SourceError, match="'model' is missing"):
        import_source(bad)


def test_truncated_json_names_file_and_line(tmp_path: Path, lifecycle_data: Path) -> None:
    text = (lifecycle_data / "litellm/model_prices_and_context_window.json").read_text()
    bad = tmp_path / "model_prices_and_context_window.json"
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(SourceError) as err:
        import_source(bad)
    assert str(bad) in str(err.value) and "line " in str(err.value)


def test_corrupt_toml_names_file_and_line(tmp_path: Path, lifecycle_data: Path) -> None:
    tree = tmp_path / "models.dev"
    shutil.copytree(lifecycle_data / "models.dev/models", tree / "models")
    folder = tree / "providers/openai/models"
    folder.mkdir(parents=True)
    (folder / "gpt-4o.toml").write_text('name = "GPT-4o"\n[cost\ninput = 2.5\n')
    with pytest.raises(SourceError) as err:
        import_source(tree)
    assert "gpt-4o.toml" in str(err.value) and "line 2" in str(err.value)


def test_unknown_path_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="Cannot tell"):
        detect_source(tmp_path / "notes.txt")


# --------------------------------------------------------------------------- id helpers


@pytest.mark.parametrize(
    ("bedrock_id", "model"),
    [
        ("anthropic.claude-3-sonnet-20240229-v1:0", "claude-3-sonnet-20240229"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("anthropic.claude-v2:1", "claude-2.1"),
        ("anthropic.claude-v2", "claude-2.0"),
        ("meta.llama3-70b-instruct-v1:0", "llama3-70b-instruct"),
        ("mistral.mistral-large-2402-v1:0", "mistral-large-2402"),
        ("amazon.titan-embed-text-v2:0", "titan-embed-text-v2"),
        ("amazon.titan-embed-text-v1", "titan-embed-text"),
    ],
)
def test_bedrock_model(bedrock_id: str, model: str) -> None:
    assert bedrock_model(bedrock_id) == model


def test_region_prefixes() -> None:
    for prefix in ("us", "eu", "apac", "global"):
        base, region = strip_bedrock_region(f"{prefix}.anthropic.claude-3-haiku-20240307-v1:0")
        assert base == "anthropic.claude-3-haiku-20240307-v1:0" and region == prefix
    assert strip_bedrock_region("amazon.nova-pro-v1:0") == ("amazon.nova-pro-v1:0", None)


@pytest.mark.parametrize(
    ("vertex_id", "model"),
    [
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-20241022"),
        ("claude-3-sonnet@20240229", "claude-3-sonnet-20240229"),
        ("mistral-large@2407", "mistral-large-2407"),
        ("gemini-1.5-pro-002", "gemini-1.5-pro-002"),
        ("publishers/google/models/gemini-1.5-flash", "gemini-1.5-flash"),
        ("meta/llama3-70b-instruct-maas", "llama3-70b-instruct"),
    ],
)
def test_vertex_model(vertex_id: str, model: str) -> None:
    assert vertex_model(vertex_id) == model


def test_azure_model() -> None:
    assert azure_model("gpt-35-turbo-0613") == "gpt-3.5-turbo-0613"
    assert azure_model("gpt-4o-2024-05-13") == "gpt-4o-2024-05-13"


_ids = st.from_regex(r"[a-z][a-z0-9-]{0,20}(-v[0-9](:[0-9])?)?", fullmatch=True)


@given(vendor=st.sampled_from(["anthropic", "amazon", "meta", "cohere", "mistral"]), rest=_ids)
def test_bedrock_model_is_region_free_and_stable(vendor: str, rest: str) -> None:
    bedrock_id = f"{vendor}.{rest}"
    model = bedrock_model(bedrock_id)
    assert model and not model.startswith(("us.", "eu.", "apac.", "global."))
    assert ":" not in model or vendor == "amazon"
    for prefix in ("us", "eu", "apac", "global"):
        base, _ = strip_bedrock_region(f"{prefix}.{bedrock_id}")
        assert bedrock_model(base) == model


# --------------------------------------------------------------------------- compiler


def _record(importer: str, **fields: object) -> OfferingRecord:
    base: dict[str, object] = {
        "platform": "anthropic",
        "platform_id": "claude-3-opus-20240229",
        "model": "claude-3-opus-20240229",
        "provider": "anthropic",
        "importer": importer,
        "sources": (Source(url=f"https://{importer}.example/x", importer=importer),),
    }
    base.update(fields)
    return OfferingRecord(**base)  # type: ignore[arg-type]


def _result(importer: str, *recs: OfferingRecord) -> ImportResult:
    return ImportResult(
        source=importer,
        path=importer,
        offerings=list(recs),
        models=[Model(id=r.model, provider=r.provider) for r in recs],
    )


def test_precedence_and_conflict_recording() -> None:
    catalog = compile_catalog(
        [
            _result("litellm", _record("litellm", shutdown_on=LifecycleDate(date(2025, 3, 1)))),
            _result(
                "overlay",
                _record(
                    "overlay",
                    state="retired",
                    shutdown_on=LifecycleDate(date(2026, 1, 5)),
                    replacements=(Replacement("claude-opus-4-1-20250805", recommended=True),),
                ),
            ),
        ]
    )
    (offering,) = catalog.offerings
    assert offering.lifecycle.shutdown_on == LifecycleDate(date(2026, 1, 5))
    assert {s.importer for s in offering.lifecycle.sources} == {"litellm", "overlay"}
    (conflict,) = [c for c in catalog.conflicts if c.field == "shutdown_on"]
    assert dict(conflict.values) == {"overlay": "2026-01-05", "litellm": "2025-03-01"}
    assert conflict.chosen == "2026-01-05" and "overlay" in conflict.reason


def test_same_date_is_no_conflict_and_precise_wording_wins() -> None:
    catalog = compile_catalog(
        [
            _result(
                "modeldeprecations.dev",
                _record(
                    "modeldeprecations.dev",
                    shutdown_on=LifecycleDate(date(2026, 1, 1), "month"),
                ),
            ),
            _result("litellm", _record("litellm", shutdown_on=LifecycleDate(date(2026, 1, 1)))),
        ]
    )
    assert not catalog.conflicts
    assert catalog.offerings[0].lifecycle.shutdown_on == LifecycleDate(date(2026, 1, 1))


def test_compile_is_deterministic(lifecycle_data: Path) -> None:
    from recast.catalog.sources import load_all

    first = compile_catalog(load_all(lifecycle_data)).to_dict()
    second = compile_catalog(reversed(load_all(lifecycle_data))).to_dict()
    for doc in (first, second):
        doc.pop("built_at")
        doc.pop("provenance")
    assert first == second


def test_not_before_gives_way_to_an_exact_date_it_allows() -> None:
    catalog = compile_catalog(
        [
            _result(
                "modeldeprecations.dev",
                _record(
                    "modeldeprecations.dev",
                    shutdown_on=LifecycleDate(date(2026, 9, 29), "not_before"),
                ),
            ),
            _result("litellm", _record("litellm", shutdown_on=LifecycleDate(date(2026, 11, 30)))),
        ]
    )
    assert catalog.offerings[0].lifecycle.shutdown_on == LifecycleDate(date(2026, 11, 30))
    assert not catalog.conflicts
    # An exact date *before* the promised floor contradicts it: kept out, and recorded.
    catalog = compile_catalog(
        [
            _result(
                "modeldeprecations.dev",
                _record(
                    "modeldeprecations.dev",
                    shutdown_on=LifecycleDate(date(2026, 9, 29), "not_before"),
                ),
            ),
            _result("litellm", _record("litellm", shutdown_on=LifecycleDate(date(2026, 6, 1)))),
        ]
    )
    assert catalog.offerings[0].lifecycle.shutdown_on == LifecycleDate(
        date(2026, 9, 29), "not_before"
    )
    assert [c.field for c in catalog.conflicts] == ["shutdown_on"]
