"""Recall and precision of `recast scan` on the labelled corpus (tests/scan/corpus).

The labels themselves are checked first, so a mislabelled line fails loudly instead of
silently moving the numbers.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "scan" / "corpus"

#: The file kinds the issue asks the scanner to cover; the corpus must have one of each.
KINDS = {
    "python": ".py",
    "javascript/typescript": (".ts", ".mjs"),
    "go": ".go",
    "java": ".java",
    "kotlin": ".kt",
    "ruby": ".rb",
    "c#": ".cs",
    "rust": ".rs",
    "shell": ".sh",
    "json": ".json",
    "yaml": ".yaml",
    "toml": ".toml",
    "ini": ".ini",
    "env": ".env.example",
    "dockerfile": "Dockerfile",
    "github actions": ".github/workflows/",
    "gitlab ci": ".gitlab-ci.yml",
    "terraform": ".tf",
    "notebook": ".ipynb",
    "markdown": ".md",
    "rst": ".rst",
}


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scan_corpus", ROOT / "bench" / "scan_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scan_corpus"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, list[dict[str, object]]]]:
    return bench.load_labels()  # type: ignore[no-any-return]


def test_labels_name_existing_files_and_lines(
    labels: dict[str, dict[str, list[dict[str, object]]]],
) -> None:
    for path, entry in labels.items():
        lines = (CORPUS / path).read_text(encoding="utf-8").splitlines()
        for item in entry.get("expect", ()):
            line = lines[int(str(item["line"])) - 1]
            assert str(item["id"]) in line, f"{path}:{item['line']}: {item['id']!r} not on {line!r}"
        for item in entry.get("must_not_flag", ()):
            assert 1 <= int(str(item["line"])) <= len(lines)
            assert item.get("why"), f"{path}:{item['line']}: say why it must not be flagged"


def test_every_corpus_file_is_labelled(labels: dict[str, object]) -> None:
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in {"labels.yaml", ".recastignore"}
    }
    assert on_disk == set(labels)


def test_corpus_covers_every_file_kind(labels: dict[str, object]) -> None:
    for kind, suffixes in KINDS.items():
        wanted = (suffixes,) if isinstance(suffixes, str) else suffixes
        assert any(any(s in path for s in wanted) for path in labels), f"no {kind} file"


def test_corpus_has_negatives_of_every_sort(
    labels: dict[str, dict[str, list[dict[str, object]]]],
) -> None:
    whys = " ".join(
        str(item["why"]) for entry in labels.values() for item in entry.get("must_not_flag", ())
    )
    for sort in ("identifier", "prose", "file name", "URL", "version", "look-alike"):
        assert sort in whys, f"no must-not-flag line of sort {sort!r}"


def test_score_counts_misses_and_false_positives() -> None:
    labels = {"a.py": {"expect": [{"line": 1, "id": "gpt-4-0613"}, {"line": 2, "id": "o3"}]}}
    found = [
        ("a.py", 1, "gpt-4-0613", "retired"),
        ("a.py", 1, "gpt-4-0613", "retired"),  # a second finding for one label
        ("a.py", 3, "claude_2", "unknown"),
    ]
    s = bench.score(found, labels)
    assert (s.expected, s.found, s.hits) == (2, 3, 1)
    assert s.misses == [{"path": "a.py", "line": 2, "id": "o3"}]
    assert len(s.false_positives) == 2
    assert s.recall == 0.5 and s.precision == pytest.approx(1 / 3)


def test_routing_prefixes_match_by_containment() -> None:
    labels = {"r.py": {"expect": [{"line": 1, "id": "bedrock/anthropic.claude-v2"}]}}
    s = bench.score([("r.py", 1, "anthropic.claude-v2", "retired")], labels)
    assert s.hits == 1


def test_recall_and_precision_reach_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--json"])
    doc = json.loads(capsys.readouterr().out)
    report = (
        f"recall {doc['recall']} precision {doc['precision']}\n"
        f"misses: {json.dumps(doc['misses'], indent=1)}\n"
        f"false positives: {json.dumps(doc['false_positives'], indent=1)}"
    )
    assert doc["recall"] >= 0.97, report
    assert doc["precision"] >= 0.97, report
    assert code == 0
