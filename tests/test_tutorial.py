"""docs/tutorial.md, run: every `$ recast` command in it, with the outputs it shows."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from tests.watch.servers import webhook_receiver
from typer.testing import CliRunner

from recast.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
#: Exit code each command has in the tutorial (scan and plan find something to act on).
EXIT = {"scan": 0, "watch": 0, "audition": 0, "plan": 1, "serve": 0}


def _steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, output lines shown) of every console block."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and line.strip():
                steps[-1][1].append(line)
    return steps


def test_tutorial_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    repo = tmp_path / "tutorial-repo"
    shutil.copytree(ROOT / "docs" / "examples" / "tutorial-repo", repo)
    gateway = re.search(r"```yaml\n(upstreams:.*?)```", text, re.S)
    assert gateway
    (repo / "gateway.yaml").write_text(gateway.group(1), encoding="utf-8")
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        with webhook_receiver() as hook:
            monkeypatch.setenv("RECAST_WEBHOOK_URL", f"{hook.url}/hook")
            monkeypatch.setenv("RECAST_WEBHOOK_SECRET", "tutorial")
            ran = []
            for command, shown in _steps(text):
                if command.startswith("cd "):
                    continue
                words = shlex.split(command)
                assert words[0] == "recast", command
                target = None
                if ">" in words:
                    target = words[words.index(">") + 1]
                    words = words[: words.index(">")]
                result = runner.invoke(app, words[1:])
                assert result.exit_code == EXIT[words[1]], (command, result.stderr)
                for line in shown:
                    assert line in result.stdout + result.stderr, (command, line)
                if target:
                    Path(target).write_text(result.stdout, encoding="utf-8")
                ran.append(words[1])
            alerts = [r.json()["alert"] for r in hook.on("/hook")]
    finally:
        os.chdir(cwd)
    assert ran == ["scan", "watch", "watch", "audition", "plan", "serve"]
    (alert,) = alerts
    assert alert["subject"] == "gpt-4-0314 on openai: deprecated since 2025-09-26"
    titles = [e["title"] for e in alert["events"]]
    assert titles == [
        "deprecated since 2025-09-26",
        "25 days left (within 30): shuts down 2026-03-26",
    ]
    plan = (repo / "plan.md").read_text(encoding="utf-8")
    for expected in (
        "## `gpt-4-0314` on openai: shuts down within 30 days (25 left)",
        "- `app/support.py`: line 6",
        "- **Live replacement**: `gpt-4` (active)",
        "Latest audition",
        "Regressions to review",
        '+MODEL = "gpt-4"',
        "canary: {model: gpt-4, percent: 10}",
        "redirect_on: 2026-03-26",
    ):
        assert expected in plan, expected
