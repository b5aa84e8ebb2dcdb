"""Fixtures every test area shares."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
LIFECYCLE_DATA = SHARED / "data" / "lifecycle"
RECORDED_DATA = SHARED / "data" / "recorded"


@pytest.fixture(autouse=True)
def recast_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point RECAST_HOME at a fresh folder so no test sees the user's cache or store."""
    home = tmp_path / "recast-home"
    home.mkdir()
    monkeypatch.setenv("RECAST_HOME", str(home))
    from recast.catalog import reset_catalog_cache

    reset_catalog_cache()
    yield home
    reset_catalog_cache()


@pytest.fixture(scope="session")
def lifecycle_data() -> Path:
    """The shared lifecycle sources (read-only)."""
    if not LIFECYCLE_DATA.is_dir():
        pytest.fail(f"{LIFECYCLE_DATA} is missing: tests need ../shared beside the project")
    return LIFECYCLE_DATA


@pytest.fixture(scope="session")
def recorded_data() -> Path:
    """The shared recorded model outputs (read-only)."""
    if not RECORDED_DATA.is_dir():
        pytest.fail(f"{RECORDED_DATA} is missing: tests need ../shared beside the project")
    return RECORDED_DATA


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL URL for tests; `scripts/test` starts a server and sets it."""
    url = os.environ.get("RECAST_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("RECAST_TEST_POSTGRES_URL is not set; scripts/test starts PostgreSQL")
        pytest.skip("RECAST_TEST_POSTGRES_URL not set (run scripts/test to start PostgreSQL)")
    return url


#: Debian's Chromium, launched so this closed network refuses none of its background calls.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright ``Browser``); skips where Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
