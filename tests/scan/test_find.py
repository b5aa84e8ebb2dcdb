"""The finder on a tree with every file type, id form, context and look-alike."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from scan_catalog import AS_OF, TreeWriter

from recast.catalog import Catalog
from recast.scan import ScanConfig, scan
from recast.scan._find import find_tokens, has_anchor, kind_of, scan_text

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["# Demo\n", "Uses gemini-1.0-pro-002.\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["gpt-4-0613\n"]}],
            "source": [
                "import openai\n",
                'model = "gpt-4-0613"  # \u00e9t\u00e9\n',
                "print(model)",
            ],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}

TREE: dict[str, str | bytes] = {
    "app/main.py": (
        '"""Service entry point."""\n'
        "import openai\n"
        "\n"
        "client = openai.OpenAI()\n"
        'resp = client.chat.completions.create(model="gpt-4-0613")\n'
        "# we moved from claude-2.1 last year\n"
        "\n"
        "\n"
        "def answer():\n"
        '    """Calls gemini-1.0-pro-002 through the API."""\n'
        '    return "o3"\n'
        "\n"
        'UNRELEASED = "gpt-9-turbo"\n'
    ),
    "app/negatives.py": (
        "claude_2_client = None\n"
        'gpt4_model = "x"\n'
        'label = "GPT-4 is great"\n'
        'notes = "see gpt-4-notes.md"\n'
        'out = "runs/gpt-4-0613/answers.json"\n'
        'page = "https://openai.com/gpt-4"\n'
        'doc = "https://platform.openai.com/docs/models/gpt-4o"\n'
        "total = gpt - 4\n"
        'say = "o1 is fast"\n'
        'key = "my-gpt-4-0613-cache"\n'
        'slug = "gpt-4-notes"\n'
        "# GPT-4 and Claude are great, o1 too\n"
    ),
    "web/client.ts": (
        'import { AzureOpenAI } from "openai";\n'
        'const model = "gpt-4o";\n'
        '// TODO: try "claude-sonnet-4-20250514"\n'
        "const tpl = `openai/gpt-4.1`;\n"
    ),
    "go/main.go": 'package main\n\nfunc main() {\n\tmodel := "mistral-large-2402"\n}\n',
    "java/App.java": 'class App { String m = "command-r"; /* gpt-4o-mini */ }\n',
    "kotlin/App.kt": 'val m = """gpt-4o-mini"""\n',
    "ruby/app.rb": "MODEL = 'o1-preview' # was gpt-4\n",
    "cs/App.cs": 'var m = @"gpt-4.1";\n',
    "rust/main.rs": 'fn main() { let m = "gemini-2.0-flash-001"; }\n',
    "scripts/run.sh": "#!/bin/sh\n# uses gpt-4o\nrun-eval --model gpt-3.5-turbo-0301\n",
    "config/settings.json": json.dumps(
        {"model": "openai/gpt-4-0613", "fallback": "openrouter/openai/gpt-4o:free"}, indent=2
    ),
    "config/app.yaml": (
        "model: claude-3-sonnet-20240229  # primary\n"
        "bedrock_model: bedrock/anthropic.claude-3-sonnet-20240229-v1:0\n"
        "short: o3\n"
    ),
    "config/app.toml": (
        'model = "vertex_ai/claude-3-sonnet@20240229"\n'
        'agent = "anthropic:claude-sonnet-4-20250514"\n'
        'legacy = "azure/gpt-35-turbo-0301"\n'
    ),
    "cloud/azure_app.py": (
        "from openai import AzureOpenAI\n"
        'client = AzureOpenAI(azure_endpoint="https://x.openai.azure.com")\n'
        'm = "gpt-35-turbo-0301"\n'
    ),
    "config/app.ini": "[llm]\nmodel = gemini-1.5-pro-002\n; old: gpt-4-0613\n",
    ".env": "OPENAI_MODEL=gpt-4-0613\n",
    "Dockerfile": "FROM python:3.12\n# base on gpt-4.1\nENV MODEL=o1-preview\n",
    ".github/workflows/ci.yml": (
        "jobs:\n  eval:\n    steps:\n      - run: run-eval --model gemini-1.0-pro-002\n"
    ),
    ".gitlab-ci.yml": 'variables:\n  MODEL: "us.anthropic.claude-3-sonnet-20240229-v1:0"\n',
    "infra/main.tf": (
        'model_id = "arn:aws:bedrock:us-east-1::foundation-model/'
        'anthropic.claude-3-sonnet-20240229-v1:0"\n'
        "# gpt-4o\n"
    ),
    "notebooks/demo.ipynb": json.dumps(NOTEBOOK, indent=1),
    "docs/guide.md": (
        "# Guide\n\n"
        "We call `gpt-4-0613` today. GPT-4 is great.\n\n"
        "    POST https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-1.0-pro-002:generateContent\n"
    ),
    "docs/index.rst": "Models\n======\n\nModel: claude-2.1\n",
    "cloud/vertex_app.py": 'import vertexai\nm = "gemini-1.5-pro-002"\n',
    "cloud/bedrock_app.py": 'import boto3\nm = "claude-3-sonnet-20240229"\n',
    "cloud/api_url.py": (
        'URL = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/'
        'us-central1/publishers/google/models/gemini-1.0-pro-002:generateContent"\n'
    ),
}

#: Every finding expected in TREE: (path, text as written, context).
EXPECTED = {
    ("app/main.py", "gpt-4-0613", "code"),
    ("app/main.py", "claude-2.1", "comment"),
    ("app/main.py", "gemini-1.0-pro-002", "docs"),
    ("app/main.py", "o3", "code"),
    ("app/main.py", "gpt-9-turbo", "code"),
    ("web/client.ts", "gpt-4o", "code"),
    ("web/client.ts", "claude-sonnet-4-20250514", "comment"),
    ("web/client.ts", "openai/gpt-4.1", "code"),
    ("go/main.go", "mistral-large-2402", "code"),
    ("java/App.java", "command-r", "code"),
    ("java/App.java", "gpt-4o-mini", "comment"),
    ("kotlin/App.kt", "gpt-4o-mini", "code"),
    ("ruby/app.rb", "o1-preview", "code"),
    ("ruby/app.rb", "gpt-4", "comment"),
    ("cs/App.cs", "gpt-4.1", "code"),
    ("rust/main.rs", "gemini-2.0-flash-001", "code"),
    ("scripts/run.sh", "gpt-4o", "comment"),
    ("scripts/run.sh", "gpt-3.5-turbo-0301", "code"),
    ("config/settings.json", "openai/gpt-4-0613", "config"),
    ("config/settings.json", "openrouter/openai/gpt-4o:free", "config"),
    ("config/app.yaml", "claude-3-sonnet-20240229", "config"),
    ("config/app.yaml", "bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "config"),
    ("config/app.yaml", "o3", "config"),
    ("config/app.toml", "vertex_ai/claude-3-sonnet@20240229", "config"),
    ("config/app.toml", "anthropic:claude-sonnet-4-20250514", "config"),
    ("config/app.toml", "azure/gpt-35-turbo-0301", "config"),
    ("cloud/azure_app.py", "gpt-35-turbo-0301", "code"),
    ("config/app.ini", "gemini-1.5-pro-002", "config"),
    ("config/app.ini", "gpt-4-0613", "comment"),
    (".env", "gpt-4-0613", "config"),
    ("Dockerfile", "gpt-4.1", "comment"),
    ("Dockerfile", "o1-preview", "config"),
    (".github/workflows/ci.yml", "gemini-1.0-pro-002", "config"),
    (".gitlab-ci.yml", "us.anthropic.claude-3-sonnet-20240229-v1:0", "config"),
    (
        "infra/main.tf",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0",
        "config",
    ),
    ("infra/main.tf", "gpt-4o", "comment"),
    ("notebooks/demo.ipynb", "gemini-1.0-pro-002", "docs"),
    ("notebooks/demo.ipynb", "gpt-4-0613", "code"),
    ("docs/guide.md", "gpt-4-0613", "docs"),
    ("docs/guide.md", "gemini-1.0-pro-002", "docs"),
    ("docs/index.rst", "claude-2.1", "docs"),
    ("cloud/vertex_app.py", "gemini-1.5-pro-002", "code"),
    ("cloud/bedrock_app.py", "claude-3-sonnet-20240229", "code"),
    ("cloud/api_url.py", "gemini-1.0-pro-002", "code"),
}


def _scan(root: Path, catalog: Catalog, config: ScanConfig | None = None):  # type: ignore[no-untyped-def]
    return scan([root], as_of=AS_OF, catalog=catalog, config=config or ScanConfig(), root=root)


def test_fixture_tree_finds_exactly_the_expected_ids(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(TREE)
    result = _scan(root, catalog)
    found = {(f.path, f.text, f.context) for f in result.findings}
    assert found - EXPECTED == set(), "flagged something it must not"
    assert EXPECTED - found == set(), "missed an expected id"
    assert len(result.findings) == len(EXPECTED)
    assert result.skipped == []


def test_every_file_type_is_recognised() -> None:
    kinds = {name: kind_of(name) for name in TREE}
    assert kinds["app/main.py"] == "python"
    assert kinds["web/client.ts"] == "clike"
    assert kinds["ruby/app.rb"] == "ruby"
    assert kinds["scripts/run.sh"] == "shell"
    assert kinds["config/app.yaml"] == "yaml"
    assert kinds[".env"] == "env"
    assert kinds["Dockerfile"] == "dockerfile"
    assert kinds["infra/main.tf"] == "hcl"
    assert kinds["notebooks/demo.ipynb"] == "notebook"
    assert kinds["docs/guide.md"] == "markdown"
    assert kinds["docs/index.rst"] == "rst"
    assert kind_of(".env.production") == "env"
    assert kind_of("Dockerfile.prod") == "dockerfile"


def test_positions_are_one_based_characters(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'x = "été"; m = "gpt-4-0613"\n'})
    (finding,) = _scan(root, catalog).findings
    line = finding.line_text
    assert (finding.line, finding.column, finding.end_column) == (1, 17, 27)
    assert line[finding.column - 1 : finding.end_column - 1] == "gpt-4-0613"


def test_notebook_reports_cell_and_raw_line(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"nb.ipynb": json.dumps(NOTEBOOK, indent=1)})
    raw = (root / "nb.ipynb").read_text(encoding="utf-8").splitlines()
    by_text = {f.text: f for f in _scan(root, catalog).findings}
    code = by_text["gpt-4-0613"]
    assert (code.cell, code.cell_line, code.context) == (1, 2, "code")
    assert raw[code.line - 1][code.column - 1 : code.end_column - 1] == "gpt-4-0613"
    assert code.line_text == 'model = "gpt-4-0613"  # été'
    prose = by_text["gemini-1.0-pro-002"]
    assert (prose.cell, prose.cell_line, prose.context) == (0, 2, "docs")
    # The output cell's "gpt-4-0613" is not a dependency: only one gpt-4-0613 finding.
    assert sum(f.text == "gpt-4-0613" for f in _scan(root, catalog).findings) == 1


def test_malformed_notebook_is_skipped_with_reason(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"bad.ipynb": '{"cells": [ {"source": "gpt-4-0613"  ', "ok.py": '"gpt-4"'})
    result = _scan(root, catalog)
    assert [s.path for s in result.skipped] == ["bad.ipynb"]
    assert "malformed notebook" in result.skipped[0].reason
    assert [f.text for f in result.findings] == ["gpt-4"]


def test_dated_snapshot_does_not_taint_alias(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'old = "gpt-4-0613"\nnew = "gpt-4o"\nbase = "gpt-4"\n'})
    status = {f.text: f.status for f in _scan(root, catalog).findings}
    assert status == {"gpt-4-0613": "retired", "gpt-4o": "active", "gpt-4": "active"}


def test_url_rules() -> None:
    text = (
        'a = "https://openai.com/gpt-4"\n'
        'b = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke"\n'
        'c = "https://example.com/docs/models/gpt-4o"\n'
        'd = "https://docs.anthropic.com/en/docs/models/claude-2.1"\n'
        'e = "https://api.anthropic.com/v1/models/claude-2.1"\n'
        'f = "http://localhost:4000/v1/models/gpt-4o"\n'
    )
    tokens = [(t.text, t.query) for t in find_tokens(text)]
    assert tokens == [
        ("anthropic.claude-v2", "anthropic.claude-v2"),
        ("claude-2.1", "claude-2.1"),
        ("gpt-4o", "gpt-4o"),
    ]


def test_context_needs_a_string_in_code() -> None:
    scanned = scan_text('x = gpt-4-0613\ny = "gpt-4-0613"\n', "python", "a.py")
    assert [(c.line, c.context) for c in scanned.candidates] == [(2, "code")]


def test_prefilter_skips_files_without_anchors() -> None:
    assert not has_anchor(b"import os\nprint('hello - world')\n")
    assert has_anchor(b'model = "gpt-4o"')
    assert has_anchor(b"model: o3\n")
    # bare o-series ids never count in prose, so docs files skip that pass
    assert has_anchor(b'model = "o1"\n', "python")
    assert not has_anchor(b'model = "o1"\n', "markdown")
    assert has_anchor(b"use gpt-4o\n", "markdown")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_finder_never_crashes_and_spans_are_exact(text: str) -> None:
    for kind in ("python", "clike", "yaml", "markdown", "shell", "notebook"):
        result = scan_text(text, kind, "x")
        for candidate in result.candidates:
            assert candidate.text
    for token in find_tokens(text):
        assert text[token.start : token.end] == token.text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["gpt-4-0613", "x", " ", "\n", '"', "'", "#", "-", "/", ":", "claude-2.1", "o3", "é"]
        ),
        max_size=60,
    )
)
def test_finder_on_id_heavy_noise(parts: list[str]) -> None:
    text = "".join(parts)
    for token in find_tokens(text):
        assert text[token.start : token.end] == token.text
    scan_text(text, "python", "x.py")


def test_paths_composed_prefixes_api_paths_and_keys() -> None:
    text = (
        'a = "./claude-3-sonnet-20240229/run.py"\n'
        'b = "/data/gpt-4-0613"\n'
        "c = f'{provider}/gpt-4-0613'\n"
        'd = "/v1beta/models/gemini-1.0-pro-002:generateContent"\n'
        'e = {"o1": "first", "o2": "second"}\n'
        'f = {"model": "o1"}\n'
    )
    found = [(c.line, c.text) for c in scan_text(text, "python", "a.py").candidates]
    assert found == [(3, "gpt-4-0613"), (4, "v1beta/models/gemini-1.0-pro-002"), (6, "o1")]


def test_id_forms_land_on_their_platform(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree(TREE)
    by_text = {(f.path, f.text): (f.platform, f.status) for f in _scan(root, catalog).findings}
    assert by_text[("config/app.toml", "anthropic:claude-sonnet-4-20250514")] == (
        "anthropic",
        "active",
    )
    assert by_text[("config/app.toml", "azure/gpt-35-turbo-0301")] == ("azure-openai", "retired")
    assert by_text[("cloud/azure_app.py", "gpt-35-turbo-0301")] == ("azure-openai", "retired")
    assert by_text[("config/app.toml", "vertex_ai/claude-3-sonnet@20240229")] == (
        "vertex",
        "retired",
    )
    arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0"
    assert by_text[("infra/main.tf", arn)] == ("bedrock", "deprecated")
    assert by_text[(".gitlab-ci.yml", "us.anthropic.claude-3-sonnet-20240229-v1:0")] == (
        "bedrock",
        "deprecated",
    )
    assert by_text[("config/settings.json", "openrouter/openai/gpt-4o:free")] == (
        "openrouter",
        "active",
    )
    assert by_text[("cloud/api_url.py", "gemini-1.0-pro-002")] == ("vertex", "retired")
    assert by_text[("docs/guide.md", "gemini-1.0-pro-002")] == ("gemini-api", "retired")


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["python", "clike", "ruby", "shell", "hcl", "xml"]),
    st.lists(
        st.sampled_from(
            [
                *['"', "'", "#", "//", "/*", "*/", "`", "\\", "\n", " ", "x", '"""', "<!--"],
                *["-->", '"gpt-4-0613"', "gpt-4o", "'claude-2.1'", "=begin\n", "%q(", ")"],
            ]
        ),
        max_size=40,
    ),
)
def test_lexing_only_the_candidate_lines_agrees_with_the_whole_file(
    kind: str, parts: list[str]
) -> None:
    from recast.scan._find import find_in_text

    text = "".join(parts)
    fast = [(t.start, context) for t, context, _ in find_in_text(text, kind)]
    full = [(t.start, context) for t, context, _ in find_in_text(text, kind, force_full=True)]
    assert fast == full
