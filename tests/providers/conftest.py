"""Provider test fixtures: a live fake LLM server on loopback and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from providers.fakes import FakeLLMServer, echo
from recast.providers import reset_plugins


@pytest.fixture(scope="package")
def _shared_fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def fake_llm(_shared_fake_llm: FakeLLMServer) -> FakeLLMServer:
    """A running FakeLLMServer (echoes by default), reset for each test.

    Script it with ``.script(...)``; change ``.default`` freely (it is restored).
    """
    _shared_fake_llm.reset()
    _shared_fake_llm.default = echo
    return _shared_fake_llm


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An AsyncClient with a short timeout, closed after the test."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture(autouse=True)
def _clean_plugins() -> Iterator[None]:
    reset_plugins()
    yield
    reset_plugins()


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no real keys or base-URL overrides from the developer's shell."""
    from recast.providers import KEY_ENV

    for variable in [*KEY_ENV.values(), "OPENAI_COMPATIBLE_API_KEY"]:
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.replace("_API_KEY", "_BASE_URL"), raising=False)
    for variable in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_VERSION"):
        monkeypatch.delenv(variable, raising=False)
