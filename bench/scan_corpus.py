"""Recall and precision of `recast scan` on the labelled corpus in tests/scan/corpus.

    .venv/bin/python bench/scan_corpus.py            # summary, misses and false positives
    .venv/bin/python bench/scan_corpus.py --json     # the same as a JSON document

The labels (tests/scan/corpus/labels.yaml) list every expected finding (path, line, id)
and every must-not-flag line; the header of that file says how findings are matched.
Every finding counts, whatever its status (active models included: the scan is also an
inventory). Exit code 0 when recall and precision both reach --min (default 0.97), else 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "scan" / "corpus"
LABELS = CORPUS / "labels.yaml"
#: Fixed so the numbers do not move with the calendar (statuses do not affect matching).
AS_OF = date(2026, 11, 28)


@dataclass
class Score:
    """What matched, what was missed and what was flagged wrongly."""

    expected: int = 0
    found: int = 0
    hits: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)
    negatives_flagged: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0


def load_labels(path: Path = LABELS) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The labels file as ``{path: {"expect": [...], "must_not_flag": [...]}}``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    files: dict[str, dict[str, list[dict[str, Any]]]] = data["files"]
    return files


def _matches(label_id: str, text: str) -> bool:
    return label_id == text or label_id in text or text in label_id


def score(findings: list[tuple[str, int, str, str]], labels: dict[str, Any]) -> Score:
    """Match findings ``(path, line, text, status)`` to labels; see labels.yaml for the rules."""
    result = Score()
    expected: dict[tuple[str, int], list[str]] = defaultdict(list)
    negatives: dict[tuple[str, int], dict[str, Any]] = {}
    for path, entry in labels.items():
        for item in entry.get("expect", ()):
            expected[(path, item["line"])].append(str(item["id"]))
            result.expected += 1
        for item in entry.get("must_not_flag", ()):
            negatives[(path, item["line"])] = item
    by_line: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for path, line, text, status in findings:
        by_line[(path, line)].append((text, status))
        result.found += 1
    for key in sorted(set(expected) | set(by_line)):
        wanted = list(expected.get(key, ()))
        for text, status in by_line.get(key, ()):
            match = next((w for w in wanted if _matches(w, text)), None)
            if match is not None:
                wanted.remove(match)
                result.hits += 1
                continue
            wrong = {"path": key[0], "line": key[1], "text": text, "status": status}
            result.false_positives.append(wrong)
            if key in negatives:
                result.negatives_flagged.append({**wrong, "why": negatives[key]["why"]})
        for label_id in wanted:
            result.misses.append({"path": key[0], "line": key[1], "id": label_id})
    return result


def run_scan() -> list[tuple[str, int, str, str]]:
    """Scan the corpus with the default configuration; return (path, line, text, status)."""
    from recast.scan import ScanConfig, scan

    result = scan([str(CORPUS)], root=str(CORPUS), as_of=AS_OF, config=ScanConfig())
    return [(f.path.replace("\\", "/"), f.line, f.text, f.status) for f in result.findings]


def _line(path: str, line: int) -> str:
    try:
        return (CORPUS / path).read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument("--min", type=float, default=0.97, help="threshold for exit code 0")
    args = parser.parse_args(argv)
    labels = load_labels()
    s = score(run_scan(), labels)
    if args.json:
        doc = {
            "schema_version": 1,
            "expected": s.expected,
            "found": s.found,
            "hits": s.hits,
            "recall": round(s.recall, 4),
            "precision": round(s.precision, 4),
            "misses": s.misses,
            "false_positives": s.false_positives,
            "negatives_flagged": s.negatives_flagged,
        }
        print(json.dumps(doc, indent=2))
    else:
        files = len(labels)
        negatives = sum(len(v.get("must_not_flag", ())) for v in labels.values())
        print(f"corpus: {files} files, {s.expected} expected findings, ", end="")
        print(f"{negatives} must-not-flag lines")
        print(f"found:  {s.found} findings, {s.hits} correct")
        print(f"recall    {s.recall:.4f}  ({s.hits}/{s.expected})")
        print(f"precision {s.precision:.4f}  ({s.hits}/{s.found})")
        if s.misses:
            print(f"\nmisses ({len(s.misses)}):")
            for m in s.misses:
                print(
                    f"  {m['path']}:{m['line']}: {m['id']}    | {_line(m['path'], m['line'])[:100]}"
                )
        if s.false_positives:
            print(f"\nfalse positives ({len(s.false_positives)}):")
            for f in s.false_positives:
                print(
                    f"  {f['path']}:{f['line']}: {f['text']} [{f['status']}]"
                    f"    | {_line(f['path'], f['line'])[:100]}"
                )
    return 0 if s.recall >= args.min and s.precision >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
