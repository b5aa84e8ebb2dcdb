"""docs/providers.md stays true: its examples run, every kind and key variable is documented."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from recast.providers import KEY_ENV, provider_kinds

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_interactive_examples_match(text: str) -> None:
    # A closing code fence ends an example's expected output.
    source = "\n".join(
        "" if line.startswith(("```", "~~~")) else line for line in text.splitlines()
    )
    parser = doctest.DocTestParser()
    test = parser.get_doctest(source, {}, "providers.md", str(DOC), 0)
    assert test.examples, "docs/providers.md lost its >>> examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def test_every_kind_and_key_variable_is_documented(text: str) -> None:
    for kind in provider_kinds():
        assert f"`{kind}`" in text or f"`{kind}:" in text or f", `{kind}`" in text, kind
    for variable in KEY_ENV.values():
        if variable in ("COHERE_API_KEY", "MOONSHOT_API_KEY"):
            continue  # no built-in kind calls these platforms yet
        assert variable in text, variable
