"""The pre-commit hook and the composite GitHub Action run as written, on a real tree."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    src = tmp_path / "repo" / "src"
    src.mkdir(parents=True)
    (src / "app.py").write_text('MODEL = "gpt-4-0613"\nCLIENT = "claude_2_client"\n')
    (src / "clean.py").write_text('print("no models here")\n')
    return tmp_path / "repo"


def _action() -> dict[str, object]:
    return yaml.safe_load((ROOT / "action.yml").read_text())  # type: ignore[no-any-return]


def _step(name: str) -> dict[str, object]:
    steps = _action()["runs"]["steps"]  # type: ignore[index]
    return next(s for s in steps if s["name"] == name)  # type: ignore[no-any-return]


def test_pre_commit_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "recast-scan"
    assert hook["language"] == "python"
    assert hook["entry"] == "recast scan"
    assert hook["pass_filenames"] is True


@pytest.mark.skipif(not (BIN / "recast").exists(), reason="recast is not installed in this venv")
def test_pre_commit_hook_command_fails_on_a_retired_model(repo: Path, tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    cmd = [*shlex.split(hook["entry"]), *hook["args"], "src/app.py", "src/clean.py"]
    proc = subprocess.run(
        cmd, cwd=repo, env=_env(tmp_path), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("src/app.py:1:10: RC101 `gpt-4-0613`")
    assert "claude_2_client" not in proc.stdout
    clean = subprocess.run(
        [*cmd[:-2], "src/clean.py"], cwd=repo, env=_env(tmp_path), capture_output=True, text=True
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_action_inputs_and_steps() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"  # type: ignore[index]
    inputs = action["inputs"]
    assert {"paths", "fail-on", "fail-within", "version", "sarif-file", "upload-sarif"} <= set(
        inputs  # type: ignore[arg-type]
    )
    upload = _step("Upload SARIF to code scanning")
    assert str(upload["uses"]).startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"  # type: ignore[index]
    for step in action["runs"]["steps"]:  # type: ignore[index]
        # inputs reach shell scripts through env, never pasted into the script (injection)
        assert "${{ inputs." not in str(step.get("run", ""))


@pytest.mark.skipif(not (BIN / "recast").exists(), reason="recast is not installed in this venv")
def test_action_scan_step_writes_sarif_and_exit_code(repo: Path, tmp_path: Path) -> None:
    script = str(_step("Scan")["run"])
    output = tmp_path / "github_output"
    env = _env(
        tmp_path,
        GITHUB_OUTPUT=str(output),
        RECAST_PATHS="src",
        RECAST_FAIL_ON="retired",
        RECAST_FAIL_WITHIN="",
        RECAST_SARIF="recast.sarif",
        RECAST_ARGS="--no-docs",
    )
    proc = subprocess.run(
        ["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "exit-code=1" in output.read_text()
    sarif = json.loads((repo / "recast.sarif").read_text())
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "RC101"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/app.py"
    assert proc.stdout.startswith("::error file=src/app.py,line=1,col=10,")
