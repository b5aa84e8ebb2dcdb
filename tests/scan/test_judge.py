"""Judging: platform inference, status and severity, replacements, unknown ids, thresholds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scan_catalog import AS_OF, BEDROCK_URL, TreeWriter

from recast.catalog import Catalog
from recast.scan import Finding, ScanConfig, scan
from recast.scan._judge import fails, looks_like_model_id, severity_of


def _one(root: Path, catalog: Catalog, config: ScanConfig | None = None, **kw: object) -> Finding:
    result = scan([root], as_of=AS_OF, catalog=catalog, config=config or ScanConfig(), root=root)
    assert len(result.findings) == 1, result.findings
    return result.findings[0]


def test_bedrock_form_is_judged_on_bedrock(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'm = "anthropic.claude-3-sonnet-20240229-v1:0"\n'})
    finding = _one(root, catalog)
    assert (finding.platform, finding.platform_reason) == ("bedrock", "form")
    assert finding.status == "deprecated"
    assert finding.severity == "warning"
    assert finding.code == "RC102"
    assert finding.shutdown_on == date(2026, 7, 30)
    assert finding.days_left == (date(2026, 7, 30) - AS_OF).days
    assert finding.replacement == "claude-sonnet-4-20250514"
    assert finding.replacement_platform_id == "anthropic.claude-sonnet-4-20250514-v1:0"
    assert finding.replacement_source == BEDROCK_URL
    assert finding.fix_text == "anthropic.claude-sonnet-4-20250514-v1:0"


def test_same_model_plain_id_is_retired_on_anthropic(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    finding = _one(make_tree({"a.py": 'm = "claude-3-sonnet-20240229"\n'}), catalog)
    assert (finding.platform, finding.platform_reason, finding.status) == (
        "anthropic",
        "home",
        "retired",
    )
    assert finding.severity == "error"


@pytest.mark.parametrize(
    ("source", "platform", "reason"),
    [
        ('import boto3\nm = "claude-3-sonnet-20240229"\n', "bedrock", "block"),
        (
            'from anthropic import AnthropicVertex\nm = "claude-3-sonnet-20240229"\n',
            "vertex",
            "block",
        ),
        ('import vertexai\nm = "gemini-1.5-pro-002"\n', "vertex", "block"),
        (
            'import google.generativeai as genai\nm = "gemini-1.5-pro-002"\n',
            "gemini-api",
            "block",
        ),
        ('m = "gemini-1.5-pro-002"\n', "gemini-api", "home"),
        ('client = AzureOpenAI(azure_endpoint=e)\nm = "gpt-4o"\n', "azure-openai", "block"),
        ('BASE = "https://openrouter.ai/api/v1"\nm = "openai/gpt-4o"\n', "openrouter", "block"),
        ('m = "vertex_ai/gemini-1.5-pro-002"\n', "vertex", "form"),
        ('m = "models/gemini-1.5-pro-002"\n', "gemini-api", "form"),
        ('m = "claude-3-sonnet@20240229"\n', "vertex", "form"),
    ],
)
def test_platform_inference(
    make_tree: TreeWriter, catalog: Catalog, source: str, platform: str, reason: str
) -> None:
    finding = _one(make_tree({"a.py": source}), catalog)
    assert finding.platform_reason is not None
    assert (finding.platform, finding.platform_reason.split(":")[0]) == (platform, reason)


def test_config_hint_beats_home_but_not_form(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree(
        {
            "infra/a.py": 'm = "gemini-1.5-pro-002"\n',
            "infra/b.py": 'm = "models/gemini-1.5-pro-002"\n',
        }
    )
    config = ScanConfig(platforms=(("infra/*", "vertex"),))
    result = scan([root], as_of=AS_OF, catalog=catalog, config=config, root=root)
    by_path = {f.path: (f.platform, f.platform_reason, f.status) for f in result.findings}
    assert by_path["infra/a.py"] == ("vertex", "hint", "deprecated")
    assert by_path["infra/b.py"] == ("gemini-api", "form", "retired")


def test_docs_and_comments_are_one_step_lower_and_never_fail(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(
        {"a.py": '# old: "gpt-4-0613"\nm = "gpt-4-0613"\n', "README.md": "gpt-4-0613\n"}
    )
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    rows = sorted((f.context, f.severity, f.fails) for f in result.findings)
    assert rows == [
        ("code", "error", True),
        ("comment", "warning", False),
        ("docs", "warning", False),
    ]
    assert result.exit_code == 1


def test_legacy_is_a_note_and_fails_only_when_asked(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree({"a.go": 'm := "mistral-large-2402"\n'})
    finding = _one(root, catalog)
    assert (finding.status, finding.severity, finding.code, finding.fails) == (
        "legacy",
        "note",
        "RC103",
        False,
    )
    assert _one(root, catalog, ScanConfig(fail_on="legacy")).fails


def test_fail_within(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'import boto3\nm = "anthropic.claude-3-sonnet-20240229-v1:0"\n'})
    days = (date(2026, 7, 30) - AS_OF).days
    assert not _one(root, catalog).fails
    assert not _one(root, catalog, ScanConfig(fail_within_days=days - 1)).fails
    assert _one(root, catalog, ScanConfig(fail_within_days=days)).fails
    assert _one(root, catalog, ScanConfig(fail_on="deprecated")).fails


def test_as_of_moves_the_state(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'm = "anthropic.claude-3-sonnet-20240229-v1:0"\n'})
    later = scan([root], as_of=date(2026, 8, 1), catalog=catalog, config=ScanConfig(), root=root)
    assert later.findings[0].status == "retired"
    assert later.findings[0].days_left == -2


def test_ambiguous_replacement_lists_all_and_has_no_fix(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    finding = _one(make_tree({"a.py": 'm = "gpt-3.5-turbo-0301"\n'}), catalog)
    assert finding.replacement_ambiguous
    assert finding.replacement is None
    assert finding.fix_text is None
    assert finding.replacements == ("gpt-4o-mini", "gpt-4.1-mini")


def test_unknown_ids_are_listed_only_when_strongly_shaped(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(
        {
            "a.py": (
                'a = "gpt-9-turbo"\nb = "claude-5-foo-20270101"\nc = "gpt-4-notes"\n'
                'd = "anthropic.claude-9-v1:0"\ne = "gemini-pro-vision-x"\n'
            ),
            "README.md": "Try gpt-9-turbo soon.\n",
        }
    )
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    unknown = [(f.text, f.status, f.severity, f.code) for f in result.findings]
    assert unknown == [
        ("gpt-9-turbo", "unknown", "note", "RC104"),  # README.md: docs, listed too
        ("gpt-9-turbo", "unknown", "note", "RC104"),
        ("claude-5-foo-20270101", "unknown", "note", "RC104"),
        ("anthropic.claude-9-v1:0", "unknown", "note", "RC104"),
    ]
    assert result.findings[3].platform == "bedrock"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpt-9-turbo", True),
        ("gpt-5.5-mini-2027-01-01", True),
        ("claude-opus-7", True),
        ("claude-5-foo-20270101", True),
        ("o7-mini", True),
        ("gpt-4-notes", False),
        ("gpt-4-for-you", False),
        ("GPT-9-turbo", False),
        ("claude-rocks", False),
        ("llama-party", False),
        ("llama-2", False),
        ("llama3-70b-8192", True),
        ("google/gemini-9.0-flash-001", True),
        ("claude-9-sonnet@20300101", True),
    ],
)
def test_unknown_shape(text: str, expected: bool) -> None:
    assert looks_like_model_id(text) is expected


def test_uppercase_spelling_is_not_the_api_id(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'options = ["GPT-4O", "Gpt-4-0613"]\nm = "gpt-4o"\n'})
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert [f.text for f in result.findings] == ["gpt-4o"]


def test_severity_and_fails_helpers() -> None:
    assert severity_of("retired", "code") == "error"
    assert severity_of("retired", "docs") == "warning"
    assert severity_of("deprecated", "comment") == "note"
    assert severity_of("active", "config") == "none"
    assert fails("retired", "config", -3, "retired", None)
    assert not fails("retired", "comment", -3, "retired", None)
    assert not fails("unknown", "code", None, "retired", None)
    assert fails("unknown", "code", None, "unknown", None)


def test_include_docs_and_comments_switches(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree(
        {"a.py": '# gpt-4-0613\n"""gpt-4-0613"""\nm = "gpt-4-0613"\n', "b.md": "gpt-4o\n"}
    )
    config = ScanConfig(include_docs=False, include_comments=False)
    result = scan([root], as_of=AS_OF, catalog=catalog, config=config, root=root)
    assert [(f.path, f.context) for f in result.findings] == [("a.py", "code")]
