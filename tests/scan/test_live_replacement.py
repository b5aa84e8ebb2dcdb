"""Scan and --fix against the bundled catalog: advice is live, aliases follow, unknowns say so.

These read the real compiled catalog (not the scan suite's synthetic one), because the
defects they guard against came from the real data: `scan --fix` writing `o4-mini` (itself
retired) for `o1-mini`, `claude-opus-4-1` reading active after its snapshot shut down.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recast.catalog import Catalog, load_catalog
from recast.scan import ScanConfig, ScanResult, fix, scan

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def real() -> Catalog:
    return load_catalog()


def _scan(root: Path, catalog: Catalog, as_of: date = AS_OF) -> ScanResult:
    return scan([root], as_of=as_of, catalog=catalog, config=ScanConfig(), root=root)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_fix_writes_the_live_end_of_the_chain(tmp_path: Path, real: Catalog) -> None:
    root = _write(tmp_path, {"app.py": 'client.chat.completions.create(model="o1-mini")\n'})
    result = _scan(root, real)
    (finding,) = result.findings
    assert finding.status == "retired"
    assert finding.replacement == "gpt-5.6-terra"
    assert finding.replacement_chain == ("o4-mini", "gpt-5.6-terra")
    assert finding.replacement_state == "active"
    done = fix(result, catalog=real, write=True)
    assert done.written
    assert (root / "app.py").read_text() == (
        'client.chat.completions.create(model="gpt-5.6-terra")\n'
    )


def test_an_alias_is_judged_by_its_snapshot(tmp_path: Path, real: Catalog) -> None:
    root = _write(tmp_path, {"app.py": 'anthropic.messages.create(model="claude-opus-4-1")\n'})
    (finding,) = _scan(root, real).findings
    assert (finding.status, finding.model, finding.platform_id) == (
        "retired",
        "claude-opus-4-1-20250805",
        "claude-opus-4-1",
    )
    assert finding.shutdown_on == date(2026, 8, 5)
    assert finding.replacement == "claude-opus-4-8"
    assert finding.fix_text == "claude-opus-4-8"


def test_no_lifecycle_data_is_said_not_called_fine(tmp_path: Path, real: Catalog) -> None:
    root = _write(tmp_path, {"rank.py": 'bedrock.rerank(modelId="amazon.rerank-v1:0")\n'})
    (finding,) = _scan(root, real).findings
    assert (finding.status, finding.code, finding.severity) == ("unverified", "RC105", "note")
    assert not finding.fails


def test_nothing_alive_fixes_nothing_and_says_why(tmp_path: Path, real: Catalog) -> None:
    root = _write(tmp_path, {"app.py": 'm = "azure/dall-e-2"\n'})
    result = _scan(root, real)
    (finding,) = result.findings
    assert finding.replacement is None and finding.replacements == ("dall-e-3",)
    assert finding.replacement_note == "dall-e-3 is not offered on azure-openai"
    done = fix(result, catalog=real)
    assert done.edit_count == 0
    assert done.skipped[0].reason == "no live replacement: dall-e-3 is not offered on azure-openai"


def test_an_unverified_target_is_advised_but_not_written(tmp_path: Path, real: Catalog) -> None:
    root = _write(
        tmp_path,
        {"app.py": 'bedrock.invoke_model(modelId="anthropic.claude-3-sonnet-20240229-v1:0")\n'},
    )
    result = _scan(root, real)
    (finding,) = result.findings
    assert finding.replacement_state == "unknown"
    done = fix(result, catalog=real)
    assert done.edit_count == 0 and "unverified" in done.skipped[0].reason


_PLATFORMS = ("openai", "anthropic", "bedrock", "azure-openai", "vertex", "gemini-api", "mistral")
_IDS = sorted({o.platform_id for o in load_catalog().offerings if o.platform in _PLATFORMS})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    model_id=st.sampled_from(_IDS),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)),
)
def test_scan_never_recommends_a_model_retired_that_day(
    tmp_path_factory: pytest.TempPathFactory, real: Catalog, model_id: str, day: date
) -> None:
    root = tmp_path_factory.mktemp("ids")
    (root / "config.yaml").write_text(f"model: {model_id}\n", encoding="utf-8")
    for finding in _scan(root, real, day).findings:
        if finding.replacement is None:
            continue
        from recast.catalog import resolve

        target = finding.replacement_platform_id or finding.replacement
        found = resolve(target, finding.platform, catalog=real) or resolve(target, catalog=real)
        assert found, target
        assert found[0].lifecycle.state_on(day) != "retired", (model_id, target, day)
