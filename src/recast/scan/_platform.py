"""Which platform a reference is called on: the id's form, the hint, then the nearest evidence.

The order (docs/scan.md, "Platform"):

1. ``form``: the id says it (``bedrock/…``, ``us.anthropic…-v1:0``, an ARN, ``…@2024…``,
   ``models/…``, ``ollama/…``);
2. ``hint``: ``--platform`` or ``[tool.recast.platforms]`` for the file;
3. the nearest evidence (``call``, ``client``, ``mapping``, ``use``, ``block``, ``cell``; see
   ``_evidence.py``) that names a platform the id can be served on;
4. ``file``: strong evidence anywhere in a code or config file; when it names two or more
   such platforms the reference is ``ambiguous`` and every candidate is reported;
5. a weak form: an ``org/model`` id (OpenRouter's spelling, also a Hugging Face name) or an
   Azure-only spelling (``gpt-35-turbo``);
6. ``path``: a platform the file's path names (``cassettes/azure/…``); then
   ``repo``: the platform most code and config files of the scan point at, when it
   dominates (at least :data:`REPO_MIN_FILES` files, :data:`REPO_RATIO` times any other
   and :data:`REPO_SHARE` of the files with evidence); never ``local``;
7. ``home``: the model maker's own API; else ``only`` / ``first`` platform that serves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recast.catalog import platform_rank
from recast.scan._evidence import VERTEX_SWITCH, Evidence

REPO_MIN_FILES = 3
REPO_RATIO = 3
#: ... and in at least this share of the files with any evidence.
REPO_SHARE = 1 / 2
#: The key of ``repo`` that counts the files with any evidence.
REPO_TOTAL = ""
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Choice:
    """A platform (or ``ambiguous`` with ``candidates``) and what decided it."""

    platform: str | None
    reason: str
    candidates: tuple[str, ...] = ()


def _said(item: Evidence) -> str:
    level, _, line, snippet = item
    return f"{level}: `{snippet.strip()}` (line {line})"


def _vertex_switch(evidence: Sequence[Evidence]) -> Evidence | None:
    """A :data:`VERTEX_SWITCH` anywhere: Google's SDK calls Vertex."""
    for item in evidence:
        if item[1] == "vertex" and VERTEX_SWITCH.search(item[3]):
            return item
    return None


def choose(
    *,
    implied: str | None,
    weak: bool,
    allowed: frozenset[str],
    offered: Sequence[str],
    home: str | None,
    hint: str | None,
    evidence: Sequence[Evidence],
    file_evidence: Sequence[Evidence] | None,
    path_evidence: Sequence[Evidence] = (),
    repo: Mapping[str, int],
) -> Choice:
    """Decide the platform of one reference (see the module docstring for the order).

    ``allowed``: the platforms this id can be served on; ``offered``: those the catalog has
    an offering on, best first; ``file_evidence`` is ``None`` in docs and data files.
    """
    if implied and not weak:
        return Choice(implied, "form")
    if hint and (hint in allowed or not allowed):
        return Choice(hint, "hint")
    for item in evidence:
        if item[1] in allowed:
            if item[1] == "gemini-api" and "vertex" in allowed:
                switch = _vertex_switch(file_evidence or evidence)
                if switch is not None:
                    return Choice("vertex", _said(switch))
            return Choice(item[1], _said(item))
    if file_evidence:
        named = [item for item in file_evidence if item[1] in allowed]
        platforms = tuple(dict.fromkeys(item[1] for item in named))
        if len(platforms) == 1:
            return Choice(platforms[0], _said(named[0]))
        if len(platforms) > 1:
            ordered = tuple(sorted(platforms, key=platform_rank))
            where = ", ".join(_said(item) for item in named)
            return Choice(AMBIGUOUS, f"ambiguous: {where}", ordered)
    named = [item for item in path_evidence if item[1] in allowed]
    if len({item[1] for item in named}) == 1:
        return Choice(named[0][1], f"path: `{named[0][3]}`")
    if implied and implied in allowed:
        return Choice(implied, "form")
    counts = sorted(((repo.get(p, 0), p) for p in allowed if p != "local"), reverse=True)
    if counts and counts[0][0] >= REPO_MIN_FILES:
        top, name = counts[0]
        runner_up = counts[1][0] if len(counts) > 1 else 0
        share = top / max(repo.get(REPO_TOTAL, top), 1)
        if top >= REPO_RATIO * max(runner_up, 1) and share >= REPO_SHARE:
            return Choice(name, f"repo: {top} files point at {name}")
    if home and home in offered:
        return Choice(home, "home")
    if offered:
        return Choice(offered[0], "only" if len(set(offered)) == 1 else "first")
    if implied:
        return Choice(implied, "form")
    return Choice(home, "home" if home else "none")
