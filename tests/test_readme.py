"""The README's and docs' examples run, so they cannot go stale.

```python blocks are doctests (run with ELLIPSIS); ```console blocks in the README's
models section are run and their output compared with what the README shows.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, ROOT / "docs" / "models.md"]
FENCE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path, lang: str, text: str | None = None) -> list[tuple[int, str]]:
    source = text if text is not None else path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(source):
        if match.group("lang") == lang:
            line = source.count("\n", 0, match.start()) + 2
            found.append((line, match.group("body")))
    return found


def _python_blocks() -> list[tuple[str, int, str]]:
    return [
        (path.name, line, body)
        for path in DOCS
        if path.exists()
        for line, body in _blocks(path, "python")
    ]


def _section(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"<!-- section:{name} -->")
    end = text.index(f"<!-- /section:{name} -->")
    return text[start:end]


def test_readme_has_python_examples() -> None:
    assert any(name == "README.md" for name, _, _ in _python_blocks())


@pytest.mark.parametrize(
    ("name", "line", "body"),
    _python_blocks(),
    ids=[f"{name}:{line}" for name, line, _ in _python_blocks()],
)
def test_python_examples(name: str, line: int, body: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(body, {}, f"{name}:{line}", name, line)
    assert test.examples, f"{name}:{line}: a python block without >>> examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    output: list[str] = []
    runner.run(test, out=output.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(output)


def _console_examples() -> list[tuple[str, str]]:
    """(command, expected output) pairs from the README's models section."""
    pairs = []
    for _, body in _blocks(README, "console", _section("models")):
        command: str | None = None
        lines: list[str] = []
        for text in body.splitlines():
            if text.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(lines)))
                command, lines = text[2:], []
            else:
                lines.append(text)
        if command is not None:
            pairs.append((command, "\n".join(lines)))
    return pairs


def _normalize(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@pytest.mark.parametrize(("command", "expected"), _console_examples())
def test_readme_console_examples(command: str, expected: str, tmp_path: Path) -> None:
    argv = shlex.split(command)
    assert argv[0] == "recast"
    env = {**os.environ, "COLUMNS": "120", "RECAST_HOME": str(tmp_path)}
    script = Path(sys.executable).with_name("recast")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "recast.cli.main"]
    result = subprocess.run(
        [*entry, *argv[1:]], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert _normalize(result.stdout) == _normalize(expected), (
        f"README output of `{command}` is stale (after a catalog change, run "
        f"`.venv/bin/python tests/test_readme.py --update`); it now prints:\n{result.stdout}"
    )


def _run_for_readme(command: str) -> str:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("RECAST_HOME", None)
    script = Path(sys.executable).with_name("recast")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "recast.cli.main"]
    with tempfile.TemporaryDirectory() as home:
        env["RECAST_HOME"] = home
        result = subprocess.run(
            [*entry, *shlex.split(command)[1:]], capture_output=True, text=True, env=env
        )
    return "\n".join(_normalize(result.stdout))


def update_readme() -> None:
    """Rewrite the outputs of the README's models-section console examples (after data changes)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- section:models -->")
    end = text.index("<!-- /section:models -->")
    section = text[start:end]

    def rewrite(match: re.Match[str]) -> str:
        if match.group("lang") != "console":
            return match.group(0)
        out: list[str] = []
        for line in match.group("body").splitlines():
            if line.startswith("$ "):
                if out:
                    out.append("")
                out.append(line)
                out.append(_run_for_readme(line[2:]))
        return "```console\n" + "\n".join(out) + "\n```"

    README.write_text(text[:start] + FENCE.sub(rewrite, section) + text[end:], encoding="utf-8")


if __name__ == "__main__":  # .venv/bin/python tests/test_readme.py --update
    if sys.argv[1:] == ["--update"]:
        update_readme()
    else:
        sys.exit("usage: python tests/test_readme.py --update")
