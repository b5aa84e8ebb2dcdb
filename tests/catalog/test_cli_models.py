"""`recast models` against the bundled catalog, through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from typer.testing import CliRunner

from recast.cli.main import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, ["models", *args], catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["schema_version"] == 2
    return document


def _offering(document: dict[str, Any], platform: str) -> dict[str, Any]:
    matches = [o for o in document["offerings"] if o["platform"] == platform]
    assert len(matches) == 1, [o["platform"] for o in document["offerings"]]
    return matches[0]


def test_show_gpt_4_5_preview() -> None:
    document = run_json("show", "gpt-4.5-preview", "--as-of", "2026-11-27")
    assert document["as_of"] == "2026-11-27"
    assert [m["id"] for m in document["models"]] == ["gpt-4.5-preview"]
    openai = _offering(document, "openai")
    assert openai["platform_id"] == "gpt-4.5-preview"
    assert openai["provider"] == "openai"
    assert openai["announced_on"] == "2025-04-14"
    assert (openai["shutdown_on"], openai["shutdown_precision"]) == ("2025-07-14", "exact")
    assert openai["state"] == "retired"
    assert openai["days_left"] == (date(2025, 7, 14) - date(2026, 11, 27)).days
    recommended = [r for r in openai["replacements"] if r["recommended"]]
    assert recommended[0]["model"] == "gpt-4.1"
    assert recommended[0]["source_url"].startswith("https://")
    assert openai["sources"] and all(s["url"].startswith("http") for s in openai["sources"])
    assert openai["matched"] is True


def test_show_state_depends_on_as_of() -> None:
    before = _offering(run_json("show", "gpt-4.5-preview", "--as-of", "2025-05-01"), "openai")
    assert before["state"] == "deprecated" and before["days_left"] == 74


def test_show_text_output() -> None:
    result = run("show", "gpt-4.5-preview", "--as-of", "2026-11-27")
    assert result.exit_code == 0
    assert "gpt-4.5-preview" in result.stdout
    assert "2025-07-14" in result.stdout
    assert "recommended replacement: gpt-4.1" in result.stdout


def test_show_per_platform_lifecycles() -> None:
    document = run_json("show", "claude-3-sonnet-20240229", "--as-of", "2026-11-27")
    anthropic = _offering(document, "anthropic")
    bedrock = _offering(document, "bedrock")
    assert (anthropic["shutdown_on"], anthropic["state"]) == ("2025-07-21", "retired")
    assert bedrock["shutdown_on"] == "2026-07-30"
    assert bedrock["platform_id"] == "anthropic.claude-3-sonnet-20240229-v1:0"
    # before the Bedrock date, Bedrock still serves it
    earlier = run_json("show", "claude-3-sonnet-20240229", "--as-of", "2026-01-01")
    assert _offering(earlier, "bedrock")["state"] != "retired"
    assert _offering(earlier, "anthropic")["state"] == "retired"


def test_show_any_id_form_and_platform_filter() -> None:
    document = run_json("show", "us.anthropic.claude-3-sonnet-20240229-v1:0")
    matched = [o for o in document["offerings"] if o["matched"]]
    assert [(o["platform"], o["model"]) for o in matched] == [
        ("bedrock", "claude-3-sonnet-20240229")
    ]
    only = run_json("show", "claude-3-sonnet-20240229", "--platform", "bedrock")
    assert {o["platform"] for o in only["offerings"]} == {"bedrock"}


def test_show_o1_preview_replacements_differ_by_platform() -> None:
    document = run_json("show", "o1-preview", "--as-of", "2026-11-27")
    openai = _offering(document, "openai")
    azure = _offering(document, "azure-openai")
    assert [r["model"] for r in openai["replacements"] if r["recommended"]] == ["o3"]
    assert [r["model"] for r in azure["replacements"] if r["recommended"]] == ["o1"]


def test_show_unknown_id_exits_1_with_suggestions() -> None:
    result = run("show", "gpt-4.5-prevew")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Unknown model 'gpt-4.5-prevew'" in result.stderr
    assert "gpt-4.5-preview" in result.stderr


def test_bad_options_exit_2() -> None:
    assert run("show", "gpt-4", "--as-of", "yesterday-ish").exit_code == 2
    assert run("show", "gpt-4", "--platform", "aws").exit_code == 2
    assert run("list", "--status", "dead").exit_code == 2
    assert run("upcoming", "--within", "soon").exit_code == 2


def test_list_retired_as_of() -> None:
    document = run_json("list", "--status", "retired", "--as-of", "2026-11-27")
    offerings = document["offerings"]
    assert len(offerings) >= 300
    assert document["count"] == len(offerings)
    assert {o["state"] for o in offerings} == {"retired"}
    keys = [(o["provider"] or "", o["model"]) for o in offerings]
    assert keys == sorted(keys)


def test_list_filters() -> None:
    document = run_json(
        "list", "--provider", "anthropic", "--platform", "bedrock", "--as-of", "2026-11-27"
    )
    assert document["offerings"]
    assert {(o["provider"], o["platform"]) for o in document["offerings"]} == {
        ("anthropic", "bedrock")
    }
    before = run_json("list", "--shutdown-before", "2024-01-01", "--as-of", "2026-11-27")
    assert before["offerings"]
    assert all(o["shutdown_on"] < "2024-01-01" for o in before["offerings"])
    text = run("list", "--platform", "bedrock", "--provider", "anthropic")
    assert "anthropic.claude-3-sonnet-20240229-v1:0" in text.stdout


def test_upcoming_within_a_year() -> None:
    document = run_json("upcoming", "--within", "365d", "--as-of", "2026-11-27")
    offerings = document["offerings"]
    assert offerings and document["within_days"] == 365
    dates = [o["shutdown_on"] for o in offerings]
    assert dates == sorted(dates)
    assert all("2026-11-27" <= d <= "2027-11-27" for d in dates)
    bedrock = run_json(
        "upcoming", "--within", "1y", "--as-of", "2026-11-27", "--platform", "bedrock"
    )
    assert {o["platform"] for o in bedrock["offerings"]} == {"bedrock"}
    text = run("upcoming", "--within", "365d", "--as-of", "2026-11-27")
    assert offerings[0]["platform_id"] in text.stdout


def test_search() -> None:
    document = run_json("search", "gpt-4.5-preview")
    assert document["models"][0]["id"] == "gpt-4.5-preview"
    assert document["models"][0]["offerings"]
    text = run("search", "claude 3 sonnet")
    assert "claude-3-sonnet-20240229" in text.stdout


def test_calendar_file(tmp_path: Path) -> None:
    target = tmp_path / "shutdowns.ics"
    result = run("calendar", "--ics", str(target), "--as-of", "2026-11-27")
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert b"\r\n" in raw
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert len(events) > 10
    starts = [e.decoded("DTSTART") for e in events]
    assert min(starts) >= date(2026, 11, 1)  # past shutdowns left out (month dates kept)
    upcoming = run_json("upcoming", "--within", "36500d", "--as-of", "2026-11-27")
    assert len(events) == upcoming["count"]


def test_calendar_for_given_ids(tmp_path: Path) -> None:
    target = tmp_path / "ours.ics"
    result = run(
        "calendar",
        "--ics",
        str(target),
        "--include-past",
        "gpt-4.5-preview",
        "claude-3-sonnet-20240229",
    )
    assert result.exit_code == 0, result.output
    events = icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    starts = {e.decoded("DTSTART") for e in events}
    assert {date(2025, 7, 14), date(2025, 7, 21), date(2026, 7, 30)} <= starts
    gpt = next(e for e in events if e.decoded("DTSTART") == date(2025, 7, 14))
    assert "gpt-4.1" in str(gpt["DESCRIPTION"])


def test_calendar_unknown_id_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "ours.ics"
    result = run("calendar", "--ics", str(target), "gpt-4.5-preview", "no-such-model-x")
    assert result.exit_code == 1
    assert "no-such-model-x" in result.stderr
    assert not target.exists()
    assert list(out.iterdir()) == []


def test_calendar_stdout() -> None:
    result = run("calendar", "--ics", "-", "--include-past", "gpt-4.5-preview")
    assert result.exit_code == 0
    calendar = icalendar.Calendar.from_ical(result.stdout)
    assert len(calendar.walk("VEVENT")) >= 1


@pytest.mark.parametrize("command", ["list", "show", "search", "upcoming", "calendar"])
def test_help_ends_with_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "--json" in result.stdout and "--as-of" in result.stdout
    _assert_ends_with_example(result.stdout, command)


@pytest.mark.parametrize("command", [(), ("sync",), ("sources",)])
def test_group_and_data_commands_help_end_with_example(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    _assert_ends_with_example(result.stdout, command[0] if command else "")


def _assert_ends_with_example(text: str, command: str) -> None:
    """After the options table comes ``Example:`` and only runnable command lines."""
    lines = [line.strip(" │") for line in text.splitlines() if line.strip(" │")]
    start = max(i for i, line in enumerate(lines) if line == "Example:")
    examples = lines[start + 1 :]
    assert examples, text
    assert all(line.startswith(f"recast models {command}".rstrip()) for line in examples), text
    assert not any(line.startswith("╭") for line in examples), "options after the example"


def test_calendar_bad_targets_exit_2(tmp_path: Path) -> None:
    assert run("calendar", "--ics", str(tmp_path)).exit_code == 2  # a folder
    assert run("calendar", "--ics", str(tmp_path / "missing" / "x.ics")).exit_code == 2
    assert run("calendar", "--ics", "-", "--json").exit_code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["recast-home"]


def test_calendar_json_summary(tmp_path: Path) -> None:
    target = tmp_path / "ours.ics"
    document = run_json("calendar", "--ics", str(target), "--include-past", "gpt-4.5-preview")
    assert document["path"] == str(target)
    assert document["event_count"] == len(document["offerings"]) >= 1
    assert {o["model"] for o in document["offerings"]} == {"gpt-4.5-preview"}


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    script = (
        "import sys, contextlib, io\n"
        f"{code}\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "RECAST_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stderr.split())


def test_cli_module_imports_no_library_code_at_start(tmp_path: Path) -> None:
    modules = _modules_after("import recast.cli.models", tmp_path)
    assert "recast.catalog" not in modules
    assert "rich.console" not in modules


def test_show_never_imports_rich(tmp_path: Path) -> None:
    code = (
        "sys.argv = ['recast', 'models', 'show', 'gpt-4.5-preview']\n"
        "from recast.cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()"
    )
    modules = _modules_after(code, tmp_path)
    assert "recast.catalog" in modules  # it did run
    assert "rich.console" not in modules and "rich.table" not in modules
    assert "recast.catalog._sync" not in modules  # sync loads only when used
