"""`recast plan` on a fixture repository plus a store with traffic and an audition."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.watch.conftest import make_catalog, write_catalog
from typer.testing import CliRunner

from recast.cli.main import app
from recast.store import CapturedExchange, open_store

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
AS_OF = "2026-03-05"


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("RECAST_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI") and not path.exists():
            pytest.fail(f"snapshot {name} is missing; run with RECAST_UPDATE_SNAPSHOTS=1")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def _stable(text: str, repo: Path) -> str:
    """Take out what differs between runs: the audition's time, ids and the temp folder."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", "<audited_at>", text)
    text = re.sub(r'"report_id": "[0-9A-Z]{26}"', '"report_id": "<id>"', text)
    text = text.replace(datetime.now(timezone.utc).date().isoformat(), "<audited_on>")
    return text.replace(str(repo), "<repo>").replace(str(repo.parent), "<tmp>")


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Any]:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "app" / "chat.py").write_text(
        'from openai import OpenAI\n\nclient = OpenAI()\nMODEL = "gpt-4-0613"\n\n\n'
        "def answer(q):\n"
        '    return client.chat.completions.create(model="gpt-4-0613", messages=q)\n',
        encoding="utf-8",
    )
    (repo / "app" / "fast.py").write_text(
        'from openai import OpenAI\n\nOpenAI().chat.completions.create(model="gpt-4.1-mini")\n',
        encoding="utf-8",
    )
    catalog = write_catalog(tmp_path / "catalog.json", make_catalog())
    store_path = tmp_path / "store.db"
    store = open_store(store_path)
    start = datetime(2026, 2, 4, tzinfo=timezone.utc)
    rows = [
        CapturedExchange(
            requested_model="gpt-4-0613",
            served_model="gpt-4-0613",
            platform="openai",
            endpoint="/v1/chat/completions",
            request={
                "model": "gpt-4-0613",
                "messages": [{"role": "user", "content": f"q{i}"}],
                "temperature": 0.2,
                "max_tokens": 300,
            },
            response={"choices": [{"message": {"role": "assistant", "content": f"a{i}"}}]},
            captured_at=start + timedelta(hours=6 * i),
            input_tokens=1200,
            output_tokens=250,
            cost_usd=0.051,
            latency_ms=900.0,
        )
        for i in range(120)
    ]
    rows += [
        CapturedExchange(
            requested_model="gpt-4.1-mini",
            served_model="gpt-4.1-mini",
            platform="openai",
            endpoint="/v1/chat/completions",
            request={"model": "gpt-4.1-mini", "messages": []},
            captured_at=start + timedelta(hours=5 * i),
            input_tokens=100,
            output_tokens=20,
            cost_usd=0.0001,
        )
        for i in range(40)
    ]
    store.capture_many(rows)
    from recast.audition import audition, demo_inputs, to_json

    cases, candidates = demo_inputs()
    report = to_json(audition(cases, candidates))
    store.save_audition_report("gpt-4-0613", report)
    store.close()
    config = repo / "recast.toml"
    config.write_text(
        f'[watch]\npaths = ["app"]\nstore = "sqlite:///{store_path}"\n', encoding="utf-8"
    )
    return {"repo": repo, "catalog": catalog, "config": config}


def _plan(setup: dict[str, Any], *args: str) -> Any:
    cwd = os.getcwd()
    os.chdir(setup["repo"])
    try:
        return CliRunner().invoke(
            app,
            [
                "plan",
                "--config",
                str(setup["config"]),
                "--catalog",
                str(setup["catalog"]),
                "--as-of",
                AS_OF,
                *args,
            ],
        )
    finally:
        os.chdir(cwd)


def test_plan_markdown(setup: dict[str, Any]) -> None:
    result = _plan(setup)
    assert result.exit_code == 1, result.stderr  # gpt-4-0613 is within the 30-day horizon
    text = result.stdout
    assert "## `gpt-4-0613` on openai: shuts down within 30 days (27 left)" in text
    assert "- `app/chat.py`: lines 4, 8" in text
    assert "traffic: 120 requests in 30 days" in text
    assert "overlay, https://platform.openai.com/docs/deprecations, read 2026-01-02" in text
    assert "**must** (parameter)" not in text  # gpt-4.1 is not a reasoning model
    assert "Latest audition" in text and "Regressions to review" in text
    assert '-MODEL = "gpt-4-0613"' in text and '+MODEL = "gpt-4.1"' in text
    assert "gpt-4.1-mini" not in text.split("## ")[0]  # active models need no plan
    _check_snapshot("plan.md", _stable(text, setup["repo"]))


def test_plan_json_and_its_gateway_snippet_is_valid(setup: dict[str, Any]) -> None:
    result = _plan(setup, "--format", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1 and document["exit_code"] == 1
    (item,) = document["items"]
    assert item["platform_id"] == "gpt-4-0613" and item["days_left"] == 27
    assert item["shutdown"]["precision"] == "exact"
    assert item["replacement"]["live"] == "gpt-4.1"
    assert item["traffic"]["requests"] == 120
    assert item["evidence"]["auditioned"] is True
    assert item["evidence"]["metrics"]["fidelity"]["ci_low"] is not None
    kinds = {c["kind"] for c in item["changes"]}
    assert {"context", "price"} <= kinds
    price = next(c for c in item["changes"] if c["kind"] == "price")["text"]
    assert "a month at the observed volume" in price
    from recast.gateway import parse_config

    snippet = yaml.safe_load(item["gateway_snippet"])
    gateway = parse_config(
        {"upstreams": [{"name": "openai", "base_url": "https://api.openai.com/v1"}], **snippet}
    )
    route = gateway.routes["gpt-4-0613"]
    assert route.policy == "redirect" and route.replacement == "gpt-4.1"
    assert route.canary is not None and route.canary.percent == 10
    _check_snapshot("plan.json", _stable(result.stdout, setup["repo"]))


def test_plan_with_nothing_to_do_exits_0(setup: dict[str, Any]) -> None:
    result = _plan(setup, "--as-of", "2025-06-01")  # before the deprecation: all active
    assert result.exit_code == 0, result.stderr
    assert "Nothing to migrate" in result.stdout


@pytest.mark.browser
def test_plan_html_in_chromium(setup: dict[str, Any], tmp_path: Path, chromium: Any) -> None:
    out = tmp_path / "plan.html"
    result = _plan(setup, "--format", "html", "--output", str(out))
    assert result.exit_code == 1, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://adaptivecards", "")
    page = chromium.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    assert page.title().startswith("Migration plan 2026-03-05")
    rows = page.locator("#summary tbody tr")
    assert rows.count() == 1
    assert "gpt-4-0613" in rows.first.inner_text()
    section = page.locator("section.item").first
    assert section.locator("code.replacement").inner_text() == "gpt-4.1"
    assert section.locator("table.evidence tbody tr").count() >= 4
    assert "traffic: 120 requests" in section.locator("li.traffic").inner_text()
    page.locator("details summary").first.click()
    assert '+MODEL = "gpt-4.1"' in page.locator("pre.diff").first.inner_text()
    assert requests == [out.as_uri()]  # offline: nothing else loaded
