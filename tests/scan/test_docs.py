"""docs/scan.md documents every option of `recast scan`, every format and every JSON key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import typer
from test_render import fixed_result

from recast.scan import FORMATS, ScanResult
from recast.scan._render import result_dict

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scan.md"


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


def _scan_options() -> list[str]:
    from recast.cli.main import app

    group = typer.main.get_command(app)
    command = group.commands["scan"]  # type: ignore[attr-defined]
    options = []
    for param in command.params:
        if param.param_type_name == "option":
            options += [o for o in param.opts if o.startswith("--") and o != "--help"]
    return options


def test_every_option_is_documented(docs: str) -> None:
    options = _scan_options()
    assert "--format" in options
    for option in options:
        assert f"`{option}" in docs or f"{option} " in docs, f"{option} is not in docs/scan.md"


def test_every_format_is_documented(docs: str) -> None:
    for fmt in FORMATS:
        assert f"| `{fmt}` |" in docs


def test_every_json_key_is_documented(docs: str) -> None:
    doc = result_dict(fixed_result())
    for key in doc:
        assert f"`{key}`" in docs, key
    for key in doc["summary"]:
        assert f"`{key}`" in docs, key
    for key in doc["findings"][0]:
        assert f"`{key}`" in docs, key
    empty = result_dict(ScanResult(root=".", as_of=date(2026, 1, 1)))
    assert set(empty) == set(doc)


EXAMPLE = DOCS.parent / "examples" / "scan-demo"
README = DOCS.parent.parent / "README.md"
_COMMAND = "$ recast scan . --as-of 2026-11-28\n"


def _example_block(text: str) -> str:
    """The output pasted after the example command (up to the closing fence)."""
    start = text.index(_COMMAND) + len(_COMMAND)
    return text[start : text.index("```", start)]


@pytest.mark.parametrize("path", [README, DOCS], ids=["README.md", "docs/scan.md"])
def test_example_output_is_real(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table in the docs is what `recast scan` prints on docs/examples/scan-demo."""
    from recast.scan import ScanConfig, render, scan

    monkeypatch.chdir(EXAMPLE)
    result = scan(["."], as_of=date(2026, 11, 28), config=ScanConfig())
    pasted = _example_block(path.read_text(encoding="utf-8"))
    if path == DOCS:
        pasted = pasted.split("$ echo $?")[0]
    assert pasted == render(result, "table"), (
        f"{path.name}: the example output is stale; rerun "
        "`cd docs/examples/scan-demo && recast scan . --as-of 2026-11-28` and paste it"
    )


def test_repository_config_is_the_documented_one(docs: str) -> None:
    """docs/scan.md quotes recast's own [tool.recast]; it must stay the real one."""
    from recast.scan import read_config_file

    pyproject = README.parent / "pyproject.toml"
    config = read_config_file(pyproject)
    assert "tests/**" in config.exclude and "docs/examples/**" in config.exclude
    quoted = docs.split("recast's own `pyproject.toml` is a real example")[1].split("```")[1]
    listed = [line.strip().strip('",') for line in quoted.splitlines() if line.startswith('  "')]
    assert listed == list(config.exclude)


_QUICKSTART = "$ recast scan docs/examples/scan-demo --as-of 2026-11-28 --format text\n"


def test_quickstart_output_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's quickstart shows what scanning the demo prints, and its exit code."""
    from recast.scan import ScanConfig, render, scan

    monkeypatch.chdir(README.parent)
    result = scan(["docs/examples/scan-demo"], as_of=date(2026, 11, 28), config=ScanConfig())
    text = README.read_text(encoding="utf-8")
    start = text.index(_QUICKSTART) + len(_QUICKSTART)
    pasted, _, rest = text[start:].partition("$ echo $?\n")
    assert pasted == render(result, "text"), "README quickstart output is stale"
    assert rest.startswith(f"{result.exit_code}\n")


def test_recast_itself_scans_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """`recast scan .` on this repository exits 0: help texts, error messages and patterns in
    our own code are documentation, not dependencies (issue 14's quickstart)."""
    from recast.scan import load_config, scan

    monkeypatch.chdir(README.parent)
    result = scan(["."], config=load_config(start="."), as_of=date(2026, 11, 28))
    failing = [f"{f.path}:{f.line} {f.text}" for f in result.findings if f.fails]
    assert failing == []
