"""Snapshot and schema tests for every `recast scan` output format, on a fixed ScanResult.

Update the snapshots after a deliberate change with::

    RECAST_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/scan/test_render.py
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

import recast
from recast.errors import ConfigError
from recast.scan import RULES, Finding, ScanResult, SkippedFile, render, render_table
from recast.scan._render import (
    FORMATS,
    escape_data,
    escape_property,
    group_by_model,
    result_dict,
    sarif_dict,
)

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "snapshots"
SARIF_SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"
EXTENSIONS = {
    "json": "json",
    "sarif": "sarif",
    "github": "txt",
    "markdown": "md",
    "text": "txt",
    "table": "txt",
}


def _finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "context": "code",
        "severity": "error",
        "status": "retired",
        "code": "RC101",
    }
    base.update(kw)
    return Finding(**base)


def fixed_result() -> ScanResult:
    """Every status, context and id form the renderers must handle, plus awkward paths."""
    findings = [
        _finding(
            path="src/app.py",
            line=12,
            column=22,
            end_column=40,
            text="gpt-4.5-preview",
            provider="openai",
            platform="openai",
            model="gpt-4.5-preview",
            platform_id="gpt-4.5-preview",
            shutdown_on=date(2025, 7, 14),
            shutdown_precision="exact",
            days_left=-137,
            replacement="gpt-4.1",
            replacement_source="https://platform.openai.com/docs/deprecations",
            lifecycle_source="https://platform.openai.com/docs/deprecations",
            platform_reason="home",
            line_text='    response = create(model="gpt-4.5-preview", messages=messages)',
            fix_text="gpt-4.1",
            fails=True,
        ),
        _finding(
            path="src/app.py",
            line=30,
            column=5,
            end_column=20,
            text="gpt-4.5-preview",
            context="comment",
            severity="note",
            provider="openai",
            platform="openai",
            model="gpt-4.5-preview",
            platform_id="gpt-4.5-preview",
            shutdown_on=date(2025, 7, 14),
            shutdown_precision="exact",
            days_left=-137,
            replacement="gpt-4.1",
            replacement_source="https://platform.openai.com/docs/deprecations",
            line_text="# gpt-4.5-preview was our first choice",
        ),
        _finding(
            path="infra/bedrock.tf",
            line=4,
            column=14,
            end_column=58,
            text="us.anthropic.claude-3-sonnet-20240229-v1:0",
            status="deprecated",
            severity="warning",
            code="RC102",
            context="config",
            provider="anthropic",
            platform="bedrock",
            model="claude-3-sonnet-20240229",
            platform_id="anthropic.claude-3-sonnet-20240229-v1:0",
            shutdown_on=date(2026, 7, 1),
            shutdown_precision="month",
            days_left=215,
            replacement="claude-3-5-sonnet-20241022",
            replacement_platform_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
            replacement_source="https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html",
            platform_reason="form",
            line_text='  model_id = "us.anthropic.claude-3-sonnet-20240229-v1:0"',
        ),
        _finding(
            path="notebooks/explore, v2.ipynb",
            line=41,
            column=18,
            end_column=36,
            text="gemini-1.5-pro-002",
            status="deprecated",
            severity="warning",
            code="RC102",
            provider="google",
            platform="vertex",
            model="gemini-1.5-pro-002",
            platform_id="gemini-1.5-pro-002",
            shutdown_on=date(2026, 12, 24),
            shutdown_precision="not_before",
            days_left=26,
            replacement_ambiguous=True,
            replacements=("gemini-2.5-pro", "gemini-2.5-flash"),
            platform_reason="context",
            cell=3,
            cell_line=2,
            line_text='    "model = GenerativeModel(\\"gemini-1.5-pro-002\\")\\n",',
            fails=True,
        ),
        _finding(
            path="config/models.yaml",
            line=2,
            column=8,
            end_column=19,
            text="gpt-4-turbo",
            status="legacy",
            severity="note",
            code="RC103",
            context="config",
            provider="openai",
            platform="openai",
            model="gpt-4-turbo",
            platform_id="gpt-4-turbo",
            replacement="gpt-4.1",
            line_text="chat: gpt-4-turbo",
        ),
        _finding(
            path="docs/guide.md",
            line=9,
            column=13,
            end_column=36,
            text="claude-3-sonet-20240229",
            status="unknown",
            severity="note",
            code="RC104",
            context="docs",
            line_text="We call `claude-3-sonet-20240229` for summaries.",
        ),
        _finding(
            path="src/app.py",
            line=50,
            column=18,
            end_column=25,
            text="gpt-4.1",
            status="active",
            severity="none",
            code="RC100",
            provider="openai",
            platform="openai",
            model="gpt-4.1",
            platform_id="gpt-4.1",
            line_text='    fallback = "gpt-4.1"',
        ),
        _finding(
            path="src/azure_client.py",
            line=7,
            column=20,
            end_column=37,
            text="gpt-35-turbo-0613",
            provider="openai",
            platform="azure-openai",
            model="gpt-3.5-turbo-0613",
            platform_id="gpt-35-turbo-0613",
            shutdown_on=date(2025, 2, 13),
            shutdown_precision="exact",
            days_left=-288,
            replacement="gpt-4o-mini",
            replacement_platform_id="gpt-4o-mini-2024-07-18",
            line_text='    deployment = "gpt-35-turbo-0613"  # 50% of traffic: a,b',
            fails=True,
        ),
    ]
    return ScanResult(
        root="repo",
        as_of=date(2026, 11, 28),
        # deliberately unsorted: the renderers sort
        findings=list(reversed(findings)),
        skipped=[
            SkippedFile("data/broken.ipynb", "malformed notebook: Expecting value at line 1"),
            SkippedFile("assets/big.json", "larger than 5 MB"),
        ],
        files_scanned=17,
        bytes_scanned=48213,
        seconds=0.042,
        suppressed=1,
    )


@pytest.fixture(autouse=True)
def _pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recast, "__version__", "0.0.0+test")


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("RECAST_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI") and not path.exists():
            pytest.fail(f"snapshot {name} is missing; run with RECAST_UPDATE_SNAPSHOTS=1")
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


@pytest.mark.parametrize("fmt", FORMATS)
def test_snapshot(fmt: str) -> None:
    text = render(fixed_result(), fmt, width=140)
    _check_snapshot(f"scan.{fmt}.{EXTENSIONS[fmt]}", text)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_are_json(fmt: str) -> None:
    json.loads(render(fixed_result(), fmt))


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'xml'"):
        render(fixed_result(), "xml")


# --------------------------------------------------------------------------- JSON


def test_json_schema_fields_and_order() -> None:
    doc = result_dict(fixed_result())
    assert doc["schema_version"] == 2
    assert doc["as_of"] == "2026-11-28"
    required = {
        "path", "line", "column", "end_column", "text", "provider", "platform", "model",
        "status", "shutdown_on", "days_left", "replacement", "replacement_source", "context",
        "severity", "code", "cell", "cell_line",
    }  # fmt: skip
    for entry in doc["findings"]:
        assert required <= set(entry)
    keys = [(f["path"], f["line"], f["column"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    assert doc["summary"]["by_status"] == {
        "retired": 3, "deprecated": 2, "legacy": 1, "unknown": 1, "unverified": 0, "active": 1,
        "local": 0,
    }  # fmt: skip
    notebook = next(f for f in doc["findings"] if f["path"].endswith(".ipynb"))
    assert (notebook["line"], notebook["cell"], notebook["cell_line"]) == (41, 3, 2)
    assert doc["skipped"][0] == {"path": "assets/big.json", "reason": "larger than 5 MB"}
    assert doc["exit_code"] == 1


def test_json_can_hide_active_models() -> None:
    doc = result_dict(fixed_result(), show_active=False)
    assert all(f["status"] != "active" for f in doc["findings"])
    assert doc["summary"]["findings"] == 7


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("show_active", [False, True])
def test_sarif_is_valid_against_the_official_schema(
    sarif_validator: jsonschema.Draft4Validator, show_active: bool
) -> None:
    doc = json.loads(render(fixed_result(), "sarif", show_active=show_active))
    errors = sorted(sarif_validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_validation_catches_a_bad_log(sarif_validator: jsonschema.Draft4Validator) -> None:
    doc = sarif_dict(fixed_result())
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator.iter_errors(doc))


def test_sarif_has_what_github_code_scanning_requires() -> None:
    doc = sarif_dict(fixed_result())
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "recast"
    assert driver["informationUri"].startswith("https://")
    assert driver["version"] == "0.0.0+test"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    for rule in rules:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule["name"])
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert run["results"], "the fixed result has problems"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "\\" not in uri and "://" not in uri
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endColumn"] > region["startColumn"]
        assert result["partialFingerprints"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "notebooks/explore%2C%20v2.ipynb" in uris
    fingerprints = [next(iter(r["partialFingerprints"].values())) for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_leaves_active_models_out_by_default() -> None:
    results = sarif_dict(fixed_result())["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"RC101", "RC102", "RC103", "RC104"}
    assert len(results) == 7


def test_sarif_fingerprint_survives_a_line_move() -> None:
    before = fixed_result()
    moved = ScanResult(
        root=before.root,
        as_of=before.as_of,
        findings=[
            Finding(**{**f.__dict__, "line": f.line + 5}) if f.path == "src/app.py" else f
            for f in before.findings
        ],
    )

    def prints(result: ScanResult) -> set[str]:
        return {
            r["partialFingerprints"]["recastFinding/v1"]
            for r in sarif_dict(result)["runs"][0]["results"]
            if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/app.py"
        }

    assert prints(before) == prints(moved)


# --------------------------------------------------------------------------- GitHub

_COMMAND = re.compile(
    r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:]*)(?:,[a-zA-Z]+=[^,:]*)*)::(.*)$"
)


def test_github_annotations_are_well_formed_and_escaped() -> None:
    lines = render(fixed_result(), "github").splitlines()
    assert len(lines) == 7
    for line in lines:
        match = _COMMAND.match(line)
        assert match, line
        assert "\n" not in match.group(3) and "\r" not in match.group(3)
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        assert set(props) == {"file", "line", "col", "endColumn", "title"}
    notebook = next(line for line in lines if "ipynb" in line)
    assert "file=notebooks/explore%2C v2.ipynb," in notebook
    azure = next(line for line in lines if "azure" in line)
    assert azure.startswith("::error ")
    assert "%0Ahelp: Replace with `gpt-4o-mini-2024-07-18`" in azure


def test_escaping_round_trips() -> None:
    raw = "50% done: a,b\r\nnext"
    assert escape_data(raw) == "50%25 done: a,b%0D%0Anext"
    assert escape_property(raw) == "50%25 done%3A a%2Cb%0D%0Anext"


# --------------------------------------------------------------------------- grouping, table


def test_groups_put_the_worst_and_soonest_first() -> None:
    groups = group_by_model(fixed_result().findings)
    assert [g.status for g in groups] == [
        "retired", "retired", "deprecated", "deprecated", "legacy", "unknown", "active",
    ]  # fmt: skip
    assert groups[0].model == "gpt-3.5-turbo-0613"  # shut down before gpt-4.5-preview
    assert len(groups[1].findings) == 2


def test_table_lists_locations_by_file() -> None:
    console = Console(width=200, record=True, color_system=None)
    render_table(fixed_result(), console)
    text = console.export_text()
    lines = text.splitlines()
    for finding in fixed_result().findings:
        if finding.context in ("code", "config"):
            marks = [
                line.split(f"{finding.path}:")[1].split("│")[0].replace(",", " ").split()
                for line in lines
                if f"{finding.path}:" in line
            ]
            assert any(str(finding.line) in row for row in marks), finding
    assert "src/app.py:12, 30" in text  # one line per file
    assert "as us.anthropic.claude-3-sonnet-20240229-v1:0" in text
    assert "2026-07" in text and "215 days left" in text
    # a model found only in docs or comments gets a line under the table, not a row
    assert "Also in docs and comments (1 model" in text
    assert "unknown: claude-3-sonet-20240229 (1×)" in text
    assert "7 models in 8 locations" in text
    # docs and comments are lower severity: counted apart from what to act on
    assert "5 findings to act on (2 retired, 2 deprecated, 1 legacy), 2 more in docs" in text


def test_table_caps_locations_and_never_crops() -> None:
    base = fixed_result().findings[1]  # src/app.py:50, active gpt-4.1
    many = [
        replace(base, path=f"src/mod{i // 10}.py", line=i + 1) for i in range(60)
    ]  # 6 files, 10 lines each
    result = replace(fixed_result(), findings=many)
    wide = Console(width=200, record=True, color_system=None)
    render_table(result, wide)
    text = wide.export_text()
    assert "src/mod0.py:1, 2, 3, 4, 5, 6, +4" in text
    assert "+20 locations in 2 more files" in text
    assert "src/mod4.py" not in text
    narrow = Console(width=80, record=True, color_system=None)
    render_table(result, narrow)
    rows = [line for line in narrow.export_text().splitlines() if line[:1] in "┏┃┡│├└"]
    assert rows and all(len(line) <= 80 and line.rstrip()[-1] in "┓┃┩│┤┘" for line in rows)


def test_empty_result_renders_in_every_format() -> None:
    empty = ScanResult(root=".", as_of=date(2026, 11, 28), files_scanned=3)
    for fmt in FORMATS:
        text = render(empty, fmt)
        assert text.endswith("\n") or (fmt == "github" and text == "")
    assert render(empty, "github") == ""
    assert "No problems found." in render(empty, "text")
    assert json.loads(render(empty, "sarif"))["runs"][0]["results"] == []


def test_plain_table_cuts_nothing() -> None:
    text = render(fixed_result(), "table")
    assert "…" not in text
    assert "us.anthropic.claude-3-sonnet-20240229-v1:0" in text
    assert "notebooks/explore, v2.ipynb:41 (cell 4:2)" in text  # cells counted from 1


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


@given(st.text())
def test_github_escaping_is_lossless_and_safe(raw: str) -> None:
    prop = escape_property(raw)
    data = escape_data(raw)
    assert not set(prop) & {"\r", "\n", ":", ","}
    assert not set(data) & {"\r", "\n"}
    assert _unescape(prop) == raw
    assert _unescape(data) == raw


_path = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\0"), min_size=1),
    min_size=1,
    max_size=3,
).map("/".join)


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    status = draw(st.sampled_from(["retired", "deprecated", "legacy", "unknown", "active"]))
    column = draw(st.integers(1, 500))
    return Finding(
        path=draw(_path),
        line=draw(st.integers(1, 10_000)),
        column=column,
        end_column=column + draw(st.integers(1, 80)),
        text=draw(st.text(min_size=1, max_size=60)),
        status=status,  # type: ignore[arg-type]
        context=draw(st.sampled_from(["code", "config", "comment", "docs"])),
        severity=draw(st.sampled_from(["error", "warning", "note", "none"])),
        code="",
        platform=draw(st.none() | st.sampled_from(["openai", "bedrock", "vertex"])),
        model=draw(st.none() | st.text(min_size=1, max_size=30)),
        shutdown_on=draw(st.none() | st.dates()),
        shutdown_precision=draw(st.none() | st.sampled_from(["exact", "month", "not_before"])),
        days_left=draw(st.none() | st.integers(-5000, 5000)),
        replacement=draw(st.none() | st.text(min_size=1, max_size=30)),
        fix_text=draw(st.none() | st.text(max_size=30)),
        cell=draw(st.none() | st.integers(0, 50)),
        cell_line=draw(st.none() | st.integers(1, 50)),
        line_text=draw(st.text(max_size=80)),
    )


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


@settings(max_examples=50, deadline=None)
@given(st.lists(_findings(), max_size=8))
def test_any_result_renders_valid_sarif_and_json(findings: list[Finding]) -> None:
    result = ScanResult(root="/srv/repo", as_of=date(2026, 11, 28), findings=findings)
    sarif = json.loads(render(result, "sarif", show_active=True))
    _validator().validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(findings)
    doc = json.loads(render(result, "json"))
    assert len(doc["findings"]) == len(findings)
    # the runner reads workflow commands line by line, splitting on "\n" only
    lines = render(result, "github", show_active=True).split("\n")
    assert lines[-1] == "" and len(lines) == len(findings) + 1
    for line in lines[:-1]:
        assert _COMMAND.match(line), line
    render(result, "markdown")
    render(result, "text")
    render(result, "table")
