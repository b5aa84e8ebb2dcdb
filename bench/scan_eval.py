"""How well `recast scan` does on real public repositories: precision, recall, platform errors.

    .venv/bin/python bench/scan_eval.py                  # score against bench/scan_eval/labels.csv
    .venv/bin/python bench/scan_eval.py --sheet todo.txt # write the sampled items still unlabelled
    .venv/bin/python bench/scan_eval.py --split heldout --sheet todo.txt --blind  # no verdicts
    .venv/bin/python bench/scan_eval.py --errors         # also list every error (tuning set only)

The trees are not committed: only their names, commit shas and the labels are
(:data:`REPOS`, ``bench/scan_eval/labels.csv``). Get each one with
``git clone https://github.com/OWNER/NAME TREES/OWNER+NAME && git -C ... checkout SHA``
(``--trees``, default ``/tmp/eval``); a missing tree is reported with that command.

Two samples per repository, both chosen by a hash of the item's key, so a sample does not
move when the scanner changes (only items recast newly reports join the findings sample):

- **pool**: every token a generous regex (:data:`_FAMILY`, widened to the id characters)
  finds in the files git tracks (notebook outputs aside), the first ``--pool`` per
  repository in hash order (at most :data:`PER_FILE` per file). Labelled
  ``ref`` (a reference to a model by an id: code, config, docs, comment or data) or
  ``not`` (a display name, a family, a file name, a package...). Recall is the share of
  ``ref`` items recast reports with the right id text.
- **findings**: recast's findings, the first ``--findings`` per repository in hash order (the
  same cap per file).
  Precision is the share whose id text is a ``ref`` label *and* whose platform is the
  labelled one; the platform-error rate is the share of id-correct findings on the wrong
  platform.

A label's ``platform`` is the platform the reference is served on as a reader of the
file would tell it; ``a|b`` accepts either (the text itself does not say), ``local`` a
local runtime (Ollama, llama.cpp, vLLM, LM Studio). A finding whose platform is
``ambiguous`` counts as right only when its candidates are all in the label's set.

Repositories in the ``heldout`` split were labelled and scored once, after the tuning,
and never used to change the scanner; the output reports them apart.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "scan_eval" / "labels.csv"
AS_OF = date(2026, 11, 28)
FIELDS = ("repo", "sha", "path", "line", "token", "id", "platform", "label", "sample")

#: (owner/name, commit sha, split). Tuning repositories first.
REPOS: tuple[tuple[str, str, str], ...] = (
    ("anthropics/anthropic-cookbook", "4b36a1e1f64361397f4cbe4fbc7cdace338f16f8", "tune"),
    ("aws-samples/amazon-bedrock-samples", "85fba9d9c404ae120c0ceee5e67befed35004fdc", "tune"),
    ("GoogleCloudPlatform/generative-ai", "23b75dab2c25248f352d4c39e3c5984398b4b448", "tune"),
    ("simonw/llm", "f3f4f29c6e5e623c3776cbf6455dda2345638214", "tune"),
    ("Aider-AI/aider", "5dc9490bb35f9729ef2c95d00a19ccd30c26339c", "tune"),
    ("crewAIInc/crewAI", "f4731f5025f861c78e3af0487cc80bf5e7c64782", "tune"),
    ("stanfordnlp/dspy", "4ed377ee9110e912d4f5e1be43b317b87455053c", "tune"),
    ("microsoft/semantic-kernel", "b39d95a34435f4c1d55dd00c86120ce118d847e1", "tune"),
    ("microsoft/autogen", "027ecf0a379bcc1d09956d46d12d44a3ad9cee14", "heldout"),
    ("langchain-ai/langchainjs", "62fc484b2a0d1ec5b8bebff4a8a0efe6300ada72", "heldout"),
)

_FAMILIES = (
    r"gpt|chatgpt|claude|gemini|gemma|llama|mistral|mixtral|codestral|ministral|magistral"
    r"|devstral|pixtral|command-r|command-a|titan|nova|grok|deepseek|qwen|qwq|phi-?\d|jamba"
    r"|sonar|kimi|glm|o[134]|text-embedding|text-davinci|davinci|whisper|dall-e|tts-1"
)
#: A model family name followed by a digit or a word (``gpt-4o``, ``claude.v2``, ``llama3.2``,
#: ``command-r``, ``gemini-pro``), or a bare o-series name: far more than recast reports.
_FAMILY = re.compile(rf"(?i)(?<![a-z])(?:{_FAMILIES})(?:[-.:@_]?\d|-[a-z])")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/-")
_TRIM = "._:@/-"
#: At most this many items of one file in a sample, so one big data file cannot fill it.
PER_FILE = 3
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """One sampled thing to label: a pool token or a finding."""

    repo: str
    path: str
    line: int
    token: str
    sample: str  # "pool" or "finding"
    platform: str = ""  # recast's, for findings
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.repo, self.path, self.line, self.token)


def _rank(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def tracked_files(tree: Path) -> list[str]:
    """What git tracks in ``tree`` (the trees are checkouts at a recorded sha)."""
    out = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "-z"], capture_output=True, check=True
    ).stdout
    return sorted(p for p in out.decode("utf-8", "replace").split("\0") if p)


def _notebook_lines(raw: str) -> list[tuple[int, str]]:
    """(raw line number, decoded source line) of every cell's source; outputs left out."""
    try:
        cells = json.loads(raw).get("cells", [])
    except (ValueError, AttributeError):
        return []
    out: list[tuple[int, str]] = []
    pos = 0
    for cell in cells:
        source = cell.get("source", []) if isinstance(cell, dict) else []
        parts = [source] if isinstance(source, str) else source
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, str):
                continue
            for piece in part.splitlines() or [""]:
                encoded = json.dumps(piece)[1:-1]
                found = raw.find(encoded, pos) if encoded else -1
                if found < 0:
                    continue
                out.append((raw.count("\n", 0, found) + 1, piece))
                pos = found + len(encoded)
    return out


def pool_of(repo: str, tree: Path) -> list[Item]:
    """Every generous-regex token in the tracked text files of one tree."""
    items: list[Item] = []
    for rel in tracked_files(tree):
        path = tree / rel
        try:
            if path.is_symlink() or path.stat().st_size > MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        raw = data.decode("utf-8", "replace")
        if rel.endswith(".ipynb"):
            lines = _notebook_lines(raw)
        else:
            lines = list(enumerate(raw.split("\n"), 1))
        for number, text in lines:
            if len(text) > 4000:
                text = text[:4000]
            end = -1
            for match in _FAMILY.finditer(text):
                if match.start() < end:
                    continue
                start, end = match.start(), match.end()
                while start > 0 and text[start - 1] in _ID_CHARS:
                    start -= 1
                while end < len(text) and text[end] in _ID_CHARS:
                    end += 1
                token = text[start:end].strip(_TRIM)
                if token:
                    items.append(Item(repo, rel, number, token, "pool"))
    return items


def findings_of(repo: str, tree: Path) -> list[Item]:
    """recast's findings in one tree (in process, the bundled catalog, default options)."""
    sys.path.insert(0, str(ROOT / "src"))
    from recast.scan import ScanConfig, scan

    result = scan([str(tree)], as_of=AS_OF, config=ScanConfig(), root=str(tree))
    return [
        Item(
            repo,
            f.path,
            f.line,
            f.text,
            "finding",
            f.platform or "",
            _reason(f),
        )
        for f in result.findings
    ]


def _reason(finding: object) -> str:
    reason = getattr(finding, "platform_reason", None) or ""
    candidates = getattr(finding, "platform_candidates", ()) or ()
    if candidates:
        reason += " [" + "|".join(c.platform for c in candidates) + "]"
    return f"{reason} {getattr(finding, 'context', '')} {getattr(finding, 'status', '')}"


def sample(items: list[Item], n: int) -> list[Item]:
    """The first ``n`` distinct keys in hash order (stable when other items come and go)."""
    unique = {item.key: item for item in items}
    ranked = sorted(unique.values(), key=lambda i: _rank(*i.key))
    chosen: list[Item] = []
    per_file: dict[str, int] = defaultdict(int)
    for item in ranked:
        if per_file[item.path] < PER_FILE:
            per_file[item.path] += 1
            chosen.append(item)
            if len(chosen) == n:
                break
    return chosen


Labels = dict[tuple[str, str, int, str], dict[str, str]]


def load_labels(path: Path = LABELS) -> Labels:
    labels: Labels = {}
    if not path.exists():
        return labels
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels[(row["repo"], row["path"], int(row["line"]), row["token"])] = row
            if row["id"] and row["id"] != row["token"]:
                labels.setdefault((row["repo"], row["path"], int(row["line"]), row["id"]), row)
    return labels


def same_id(found: str, labelled: str) -> bool:
    """The finding's text names the labelled id: equal, or one is the other with a routing
    prefix (``openai/gpt-4o`` for ``gpt-4o``, ``foundation-model/…`` inside an ARN)."""
    if found == labelled:
        return True
    short, long = sorted((found, labelled), key=len)
    return long.endswith(short) and long[-len(short) - 1] in "/.:"


def _platform_ok(finding: Item, label: dict[str, str]) -> bool:
    wanted = set(label["platform"].split("|"))
    if finding.platform == "ambiguous":
        inside = finding.reason.partition("[")[2].partition("]")[0]
        return bool(inside) and set(inside.split("|")) <= wanted
    return finding.platform in wanted


@dataclass
class Score:
    findings: int = 0
    id_right: int = 0
    both_right: int = 0
    refs: int = 0
    recalled: int = 0
    unlabelled: int = 0

    def add(self, other: Score) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self, name: str) -> str:
        precision = self.both_right / self.findings if self.findings else float("nan")
        recall = self.recalled / self.refs if self.refs else float("nan")
        platform_err = 1 - self.both_right / self.id_right if self.id_right else float("nan")
        return (
            f"{name:<36} {self.findings:>4} {precision:>9.3f} {self.refs:>5} {recall:>7.3f} "
            f"{platform_err:>8.3f}"
            + (f"  ({self.unlabelled} unlabelled)" if self.unlabelled else "")
        )


def score_repo(
    pool: list[Item], findings: list[Item], sampled: list[Item], labels: Labels
) -> tuple[Score, list[str]]:
    score = Score()
    errors: list[str] = []
    by_line: dict[tuple[str, int], list[Item]] = defaultdict(list)
    for finding in findings:
        by_line[(finding.path, finding.line)].append(finding)
    for item in sampled:
        label = labels.get(item.key)
        if label is None:
            score.unlabelled += 1
            continue
        if item.sample == "finding":
            score.findings += 1
            if label["label"] != "ref" or not same_id(item.token, label["id"]):
                errors.append(f"FP  {item.path}:{item.line} {item.token} ({item.reason})")
                continue
            score.id_right += 1
            if _platform_ok(item, label):
                score.both_right += 1
            else:
                errors.append(
                    f"PLAT {item.path}:{item.line} {item.token} got {item.platform} "
                    f"({item.reason}) want {label['platform']}"
                )
        elif label["label"] == "ref":
            score.refs += 1
            hits = [f for f in by_line[(item.path, item.line)] if same_id(f.token, label["id"])]
            if hits:
                score.recalled += 1
            else:
                errors.append(f"MISS {item.path}:{item.line} {label['id']}")
    return score, errors


_HINT_WORDS = (
    "bedrock",
    "boto3",
    "vertex",
    "aiplatform",
    "azure",
    "openrouter",
    "ollama",
    "litellm",
    "genai.client",
    "generativeai",
    "anthropic(",
    "openai(",
    "groq",
    "together",
    "huggingface",
    "vllm",
    "llama.cpp",
    "lm studio",
    "mistralai",
    "deepseek",
    "gemini_api_key",
)


def write_sheet(todo: list[tuple[Path, Item, Item | None]], out: Path, blind: bool = False) -> None:
    """What a labeller needs per item: the line, two lines around it, recast's verdict (left
    out with ``blind``, so the platform is judged from the file alone)."""
    with open(out, "w", encoding="utf-8") as handle:
        for tree, item, finding in todo:
            path = tree / item.path
            try:
                raw = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                raw = ""
            if item.path.endswith(".ipynb"):
                numbered = dict(_notebook_lines(raw))
                span = range(item.line - 4, item.line + 2)
                lines = [(n, numbered.get(n, "")) for n in span]
            else:
                all_lines = raw.split("\n")
                first = max(0, item.line - 3)
                lines = list(enumerate(all_lines[first : item.line + 1], first + 1))
            verdict = f"{finding.platform} {finding.reason}" if finding and not blind else "-"
            lowered = raw.lower()
            hints = " ".join(w for w in _HINT_WORDS if w in lowered)
            handle.write(f"@@@ {item.repo} {item.path}:{item.line} [{item.token}] {verdict}\n")
            handle.write(f"    hints: {hints}\n")
            for number, text in lines:
                if text.strip():
                    mark = ">>" if number == item.line else "  "
                    handle.write(f"  {mark}{text[:220]}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", default="/tmp/eval", help="folder with OWNER+NAME checkouts")
    parser.add_argument("--pool", type=int, default=40, help="pool items per repository")
    parser.add_argument("--findings", type=int, default=40, help="findings per repository")
    parser.add_argument("--sheet", help="write the unlabelled sampled items to this file")
    parser.add_argument("--blind", action="store_true", help="the sheet without recast's verdicts")
    parser.add_argument("--split", choices=("tune", "heldout", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list errors (tuning set only)")
    args = parser.parse_args()
    labels = load_labels()
    totals = {"tune": Score(), "heldout": Score()}
    todo: list[tuple[Path, Item, Item | None]] = []
    header = ("repository", "find", "precision", "refs", "recall", "plat-err")
    print("{:<36} {:>4} {:>9} {:>5} {:>7} {:>8}".format(*header))
    for repo, sha, split in REPOS:
        if args.split != "all" and split != args.split:
            continue
        tree = Path(args.trees) / repo.replace("/", "+")
        if not (tree / ".git").exists():
            print(
                f"{repo}: no tree at {tree}; get it with: git clone https://github.com/{repo} "
                f"{tree} && git -C {tree} checkout {sha}"
            )
            continue
        head = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        if head != sha:
            print(f"{repo}: {tree} is at {head}, not {sha}; git -C {tree} checkout {sha}")
            continue
        pool = pool_of(repo, tree)
        findings = findings_of(repo, tree)
        sampled = sample(pool, args.pool) + sample(findings, args.findings)
        score, errors = score_repo(pool, findings, sampled, labels)
        totals[split].add(score)
        print(score.line(f"{repo} ({split})"))
        if args.errors and split == "tune":
            for error in errors:
                print(f"    {error}")
        verdicts = {f.key: f for f in findings}
        for item in {i.key: i for i in sampled}.values():
            if item.key not in labels:
                todo.append((tree, item, verdicts.get(item.key)))
    for split, score in totals.items():
        print(score.line(f"== {split}"))
    overall = Score()
    for score in totals.values():
        overall.add(score)
    print(overall.line("== all"))
    if args.sheet:
        write_sheet(todo, Path(args.sheet), args.blind)
        print(f"{len(todo)} items to label written to {args.sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
