"""Every scan rule documents itself (ruff's sections) and says something useful for each finding."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from recast.errors import ConfigError
from recast.scan import CODES, RULES, Finding, explain, rule_for
from recast.scan._rules import REQUIRED_SECTIONS, STATUS_CODES, find_rule, rules_markdown


def _finding(status: str, **kw: object) -> Finding:
    base: dict[str, object] = {
        "path": "app.py",
        "line": 3,
        "column": 10,
        "end_column": 25,
        "text": "gpt-4.5-preview",
        "status": status,
        "context": "code",
        "severity": "error",
        "code": STATUS_CODES[status],
        "platform": "openai",
        "model": "gpt-4.5-preview",
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def test_codes_agree_with_the_finding_module() -> None:
    assert STATUS_CODES == CODES
    assert sorted(RULES) == sorted(CODES.values())


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_the_required_sections_in_order(code: str) -> None:
    rule = RULES[code]
    doc = rule.doc()
    positions = [doc.find(heading) for heading in REQUIRED_SECTIONS]
    assert all(p >= 0 for p in positions), f"{code} lacks a section: {positions}"
    assert positions == sorted(positions)
    for heading in REQUIRED_SECTIONS:
        assert rule.section(heading[3:]), f"{code}: {heading} is empty"
    assert "Use instead" in rule.section("Example")


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_a_code_name_and_level(code: str) -> None:
    rule = RULES[code]
    assert rule.code == code and re.fullmatch(r"RC\d{3}", code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
    assert rule.level in {"error", "warning", "note", "none"}
    assert rule.summary and not rule.summary.endswith(".")
    assert rule.fix in {"always", "sometimes", "never"}
    assert rule.url().endswith(f"#{code.lower()}-{rule.name}")


def test_names_are_unique() -> None:
    assert len({r.name for r in RULES.values()}) == len(RULES)


def test_levels_follow_the_statuses() -> None:
    levels = {status: RULES[code].level for status, code in STATUS_CODES.items()}
    assert levels == {
        "retired": "error",
        "deprecated": "warning",
        "legacy": "note",
        "unknown": "note",
        "unverified": "note",
        "active": "none",
        "local": "none",
    }


def test_retired_message_and_fix() -> None:
    finding = _finding(
        "retired",
        shutdown_on=date(2025, 7, 14),
        shutdown_precision="exact",
        replacement="gpt-4.1",
    )
    rule = rule_for(finding)
    assert rule.message(finding) == "`gpt-4.5-preview` was retired on openai on 2025-07-14"
    assert rule.fix_title(finding) == "Replace with `gpt-4.1`"


def test_retired_without_a_date() -> None:
    finding = _finding("retired")
    assert rule_for(finding).message(finding) == "`gpt-4.5-preview` is retired on openai"
    assert rule_for(finding).fix_title(finding) is None


def test_deprecated_says_the_days_left_and_the_precision() -> None:
    finding = _finding(
        "deprecated",
        text="us.anthropic.claude-3-sonnet-20240229-v1:0",
        model="claude-3-sonnet-20240229",
        platform="bedrock",
        shutdown_on=date(2026, 7, 1),
        shutdown_precision="month",
        days_left=215,
        replacement="claude-3-5-sonnet-20241022",
        replacement_platform_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
    )
    rule = rule_for(finding)
    assert rule.message(finding) == (
        "`us.anthropic.claude-3-sonnet-20240229-v1:0` (claude-3-sonnet-20240229) is deprecated "
        "on bedrock: shuts down in 2026-07 (215 days left)"
    )
    assert rule.fix_title(finding) == (
        "Replace with `anthropic.claude-3-5-sonnet-20241022-v2:0` (claude-3-5-sonnet-20241022)"
    )
    one_day = _finding("deprecated", shutdown_on=date(2026, 1, 2), days_left=1)
    assert rule.message(one_day).endswith("shuts down on 2026-01-02 (1 day left)")
    no_date = _finding("deprecated")
    assert rule.message(no_date).endswith("(no shutdown date announced)")
    not_before = _finding(
        "deprecated", shutdown_on=date(2026, 12, 24), shutdown_precision="not_before", days_left=3
    )
    assert "not before 2026-12-24" in rule.message(not_before)


def test_ambiguous_replacement_is_a_choice_not_a_fix() -> None:
    finding = _finding(
        "deprecated",
        replacement_ambiguous=True,
        replacements=("gemini-2.5-pro", "gemini-2.5-flash"),
    )
    title = rule_for(finding).fix_title(finding)
    assert title is not None
    assert "`gemini-2.5-pro`, `gemini-2.5-flash`" in title and "ambiguous" in title


def test_legacy_unknown_and_active() -> None:
    legacy = _finding("legacy", text="gpt-4-turbo", model="gpt-4-turbo")
    assert rule_for(legacy).message(legacy) == "`gpt-4-turbo` is a legacy model on openai"
    unknown = _finding("unknown", text="claude-3-sonet-20240229", model=None, platform=None)
    assert "not in the catalog" in rule_for(unknown).message(unknown)
    assert "recast models search claude-3-sonet-20240229" in (
        rule_for(unknown).fix_title(unknown) or ""
    )
    active = _finding("active", text="gpt-4.1", model="gpt-4.1")
    assert rule_for(active).message(active) == "`gpt-4.1` is active on openai"
    assert rule_for(active).fix_title(active) is None


def test_rule_for_falls_back_to_the_status() -> None:
    finding = _finding("legacy", code="")
    assert rule_for(finding).code == "RC103"


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_text_and_json(code: str) -> None:
    rule = RULES[code]
    text = explain(code)
    assert text.startswith(f"# {rule.name} ({code})")
    for heading in REQUIRED_SECTIONS:
        assert heading in text
    doc = json.loads(explain(code.lower(), fmt="json"))
    assert doc["schema_version"] == 1
    assert (doc["code"], doc["name"], doc["level"]) == (code, rule.name, rule.level)
    assert "## What it does" in doc["explanation"]
    assert explain(rule.name) == text


def test_explain_unknown_code_or_format() -> None:
    with pytest.raises(ConfigError, match=r"'RC999'.*RC101 \(retired-model\)"):
        explain("RC999")
    with pytest.raises(ConfigError, match="'yaml'"):
        explain("RC101", fmt="yaml")
    assert find_rule(" retired-model ").code == "RC101"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "scan.md"
_START, _END = "<!-- rules:start -->\n", "<!-- rules:end -->"


def test_docs_list_every_rule_generated_from_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    head, rest = text.split(_START, 1)
    current, tail = rest.split(_END, 1)
    wanted = rules_markdown()
    if os.environ.get("RECAST_UPDATE_SNAPSHOTS") == "1" and current != wanted:
        DOCS.write_text(head + _START + wanted + _END + tail, encoding="utf-8")
        current = wanted
    assert current == wanted, (
        "docs/scan.md rule list is stale; rerun with RECAST_UPDATE_SNAPSHOTS=1"
    )
    for code, rule in RULES.items():
        assert f"### {code} {rule.name}" in text
        assert f"(#{code.lower()}-{rule.name})" in text
