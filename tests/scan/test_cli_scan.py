"""`recast scan` from the command line: formats, exit codes, fix, errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from scan_catalog import TreeWriter
from typer.testing import CliRunner

from recast.catalog import Catalog
from recast.cli.main import app

AS_OF = ["--as-of", "2026-01-01"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tree(make_tree: TreeWriter, installed_catalog: Catalog) -> Iterator[Path]:
    root = make_tree(
        {
            "app.py": 'import openai\nm = "gpt-4-0613"\n',
            "bedrock.py": 'import boto3\nm = "anthropic.claude-3-sonnet-20240229-v1:0"\n',
            "README.md": "Uses gpt-4-0613.\n",
        }
    )
    cwd = os.getcwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)


def _run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_report_and_exit_code(runner: CliRunner, tree: Path) -> None:
    code, out, _ = _run(runner, ".", "--format", "json", *AS_OF)
    assert code == 1
    document = json.loads(out)
    assert document["schema_version"] >= 1
    rows = {(f["path"], f["status"], f["context"]) for f in document["findings"]}
    assert ("app.py", "retired", "code") in rows
    assert ("bedrock.py", "deprecated", "code") in rows
    assert ("README.md", "retired", "docs") in rows


def test_clean_tree_exits_zero(
    runner: CliRunner, make_tree: TreeWriter, installed_catalog: Catalog
) -> None:
    root = make_tree({"a.py": 'm = "gpt-4.1"\n'})
    code, _, _ = _run(runner, str(root), *AS_OF)
    assert code == 0


def test_thresholds(runner: CliRunner, tree: Path) -> None:
    (tree / "app.py").write_text('m = "gpt-4.1"\n')
    assert _run(runner, ".", *AS_OF)[0] == 0
    assert _run(runner, ".", "--fail-on", "deprecated", *AS_OF)[0] == 1
    assert _run(runner, ".", "--fail-within", "30d", *AS_OF)[0] == 0
    assert _run(runner, ".", "--fail-within", "1y", *AS_OF)[0] == 1


def test_no_docs_and_output_file(runner: CliRunner, tree: Path) -> None:
    code, out, _ = _run(runner, ".", "--no-docs", "--format", "json", "-o", "report.json", *AS_OF)
    assert code == 1 and out == ""
    document = json.loads((tree / "report.json").read_text())
    assert {f["context"] for f in document["findings"]} == {"code"}


def test_platform_option(
    runner: CliRunner, make_tree: TreeWriter, installed_catalog: Catalog
) -> None:
    root = make_tree({"a.py": 'm = "gemini-1.5-pro-002"\n'})
    _, out, _ = _run(runner, str(root), "--platform", "vertex", "--format", "json", *AS_OF)
    (finding,) = json.loads(out)["findings"]
    assert (finding["platform"], finding["status"]) == ("vertex", "deprecated")


@pytest.mark.parametrize("fmt", ["table", "text", "sarif", "github", "markdown"])
def test_every_format_renders(runner: CliRunner, tree: Path, fmt: str) -> None:
    code, out, _ = _run(runner, ".", "--format", fmt, *AS_OF)
    assert code == 1
    assert "gpt-4-0613" in out


def test_fix_dry_run_then_write(runner: CliRunner, tree: Path) -> None:
    code, out, err = _run(runner, ".", "--fix", *AS_OF)
    assert code == 1
    assert '+m = "gpt-4.1"' in out
    assert '+m = "anthropic.claude-sonnet-4-20250514-v1:0"' in out  # deprecated ones too
    assert "add --write to apply" in err
    assert (tree / "app.py").read_text() == 'import openai\nm = "gpt-4-0613"\n'
    code, _, err = _run(runner, ".", "--fix", "--write", *AS_OF)
    assert code == 0
    assert (tree / "app.py").read_text() == 'import openai\nm = "gpt-4.1"\n'
    assert "rewrote 2 ids in 2 files" in err
    assert _run(runner, ".", "--no-docs", *AS_OF)[0] == 0


def test_fix_with_replace(runner: CliRunner, tree: Path) -> None:
    code, _, _ = _run(
        runner, "app.py", "--fix", "--write", "--replace", "gpt-4-0613=gpt-4o", *AS_OF
    )
    assert code == 0
    assert (tree / "app.py").read_text() == 'import openai\nm = "gpt-4o"\n'


def test_explain(runner: CliRunner) -> None:
    code, out, _ = _run(runner, "--explain", "RC101")
    assert code == 0
    assert "retired" in out.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "not a format"),
        (["--fail-on", "sometimes"], "not a status"),
        (["--write"], "--write only applies with --fix"),
        (["--as-of", "tomorrow"], "not a date"),
        (["--fail-within", "soon"], "not a duration"),
        (["--platform", "azure"], "unknown platform"),
        (["missing-folder"], "does not exist"),
        (["--config", "nope.toml"], "does not exist"),
        (["--explain", "RC999"], "No scan rule"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, tree: Path, args: list[str], message: str) -> None:
    code, out, err = _run(runner, *args)
    assert code == 2
    assert message in (out + err)


def test_bad_config_exits_2(runner: CliRunner, tree: Path) -> None:
    (tree / "recast.toml").write_text("fail_on = 'never'\n")
    code, _, err = _run(runner, ".")
    assert code == 2
    assert "fail_on must be one of" in err


def test_changed_since_outside_git_exits_2(runner: CliRunner, tree: Path) -> None:
    code, _, err = _run(runner, ".", "--changed-since", "HEAD")
    assert code == 2
    assert "not in a git repository" in err


def test_verbose_lists_skipped_files(runner: CliRunner, tree: Path) -> None:
    (tree / "blob.data").write_bytes(b"\x00\x00gpt-4-0613")
    _, _, err = _run(runner, ".", "--verbose", *AS_OF)
    assert "skipped blob.data: binary" in err


def test_fix_write_exits_1_while_something_failing_is_left(runner: CliRunner, tree: Path) -> None:
    (tree / "amb.py").write_text('m = "gpt-3.5-turbo-0301"\n')
    code, _, err = _run(runner, ".", "--fix", "--write", *AS_OF)
    assert code == 1
    assert "not fixed amb.py:1:6 gpt-3.5-turbo-0301: ambiguous replacement" in err
    assert (tree / "app.py").read_text() == 'import openai\nm = "gpt-4.1"\n'


def test_bad_input_is_counted_listed_and_only_fails_under_strict(
    runner: CliRunner,
    make_tree: TreeWriter,
    installed_catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_tree(
        {
            "ok.py": 'm = "gpt-4o"\n',
            "binary.py": b"\x00\x01\x02" * 100,
            "broken.ipynb": '{"cells": [ {"source": ["gpt-4-0613"',
            "huge.json": '{"model": "gpt-4-0613"}' + " " * (2 * 1024 * 1024),
        }
    )
    (root / "recast.toml").write_text("max_file_mb = 1\n", encoding="utf-8")
    monkeypatch.chdir(root)
    code, out, err = _run(runner, ".", "--format", "json", *AS_OF)
    assert code == 0, err
    assert "Traceback" not in err
    assert "3 files skipped (--verbose lists them)" in err
    reasons = {s["path"]: s["reason"] for s in json.loads(out)["skipped"]}
    assert set(reasons) == {"binary.py", "broken.ipynb", "huge.json"}
    assert reasons["binary.py"] == "binary"
    assert reasons["broken.ipynb"].startswith("malformed notebook")
    code, _, err = _run(runner, ".", "--verbose", "--format", "text", *AS_OF)
    assert code == 0
    assert "skipped binary.py: binary" in err
    code, _, err = _run(runner, ".", "--strict", "--format", "text", *AS_OF)
    assert code == 2
