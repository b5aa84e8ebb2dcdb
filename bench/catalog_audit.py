"""Audit the compiled catalog against each raw lifecycle source, fact by fact.

For every record of every source in ``../shared/data/lifecycle/`` (or the folder given),
find the offering it describes in the catalog and compare each lifecycle fact it states
(state, deprecation date, shutdown date with its precision, recommended replacement) with
the catalog's. Each comparison is one of:

* ``agree``: the catalog keeps the same value;
* ``justified``: the catalog keeps another value and says why: a conflict record names both
  values and the reason (a higher-ranked source, an explicit "active with no date"), or the
  value is a documented refinement (an exact date later than the source's "not before"
  floor; a state read later: ``deprecated`` -> ``retired``);
* ``defect``: anything else: a value lost, changed without a conflict record, or a record
  the catalog cannot find.

modeldeprecations.dev is read here with its own YAML reader and its own id mapping (the
file's folder, the Bedrock invoke id in the description, Mistral's ``YY-MM`` spelling),
not with recast's importer, so an importer bug shows up as a defect. The other sources
are read with their importers (the mapping of LiteLLM keys and models.dev folders to
platforms is too large to write twice); for them the audit checks the merge.

    .venv/bin/python bench/catalog_audit.py [LIFECYCLE_DIR] [--catalog FILE] [--show N]

Exits 1 when modeldeprecations.dev has any unexplained disagreement (the issue's target).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from recast.catalog import Catalog, Conflict, Offering, load_catalog, resolve
from recast.catalog._model import LifecycleDate, recommended_of

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "lifecycle"

_HOME = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini-api",
    "mistral": "mistral",
    "cohere": "cohere",
    "xai": "xai",
    "deepseek": "deepseek",
    "alibaba": "alibaba",
    "moonshot": "moonshot",
    "minimax": "minimax",
    "xiaomi": "xiaomi",
    "z-ai": "z-ai",
}
_STATE = {"shutdown": "retired"}
_INVOKE = re.compile(r"invoke id is\s+`?([a-z0-9][\w.:-]*\w)`?", re.IGNORECASE)


@dataclass
class Tally:
    """Counts and examples of one source's comparisons."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, text: str) -> None:
        self.counts[kind] += 1
        self.examples[kind].append(text)


@dataclass(frozen=True)
class Said:
    """What one raw record says of one offering (``None``: silent)."""

    where: str
    platform: str
    platform_id: str
    state: str | None
    announced_on: LifecycleDate | None
    deprecated_on: LifecycleDate | None
    shutdown_on: LifecycleDate | None
    replacement: str | None


def _day(value: Any, precision: str = "exact") -> LifecycleDate | None:
    if value in (None, ""):
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return LifecycleDate(date(int(text[:4]), int(text[5:]), 1), "month")
    return LifecycleDate(date.fromisoformat(text[:10]), precision)  # type: ignore[arg-type]


def _facts(offering: Offering) -> tuple[object, ...]:
    """An offering's lifecycle facts (not their provenance) and replacement models."""
    life = offering.lifecycle
    return (
        life.state,
        life.announced_on,
        life.deprecated_on,
        life.shutdown_on,
        tuple(r.model for r in life.replacements),
    )


def alias_defects(root: Path, catalog: Catalog) -> Tally:
    """Each non-snapshot alias a modeldeprecations.dev file lists must follow its model: the
    catalog resolves it (on the file's platform) to an offering with the model's lifecycle."""
    tally = Tally()
    for file in sorted((root / "models").glob("*/*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        folder, model = file.parent.name, str(data["model"]).lower()
        if folder in ("bedrock", "vertex"):
            continue
        platform = _HOME[folder]
        target = next(iter(resolve(model, platform, catalog=catalog)), None)
        for alias in data.get("aliases") or ():
            alias = str(alias).lower()
            if re.fullmatch(r"-(\d{4}|\d{3}|\d{4}-\d{2}-\d{2}|\d{8})", alias[len(model) :]):
                continue  # a dated snapshot: its own model with the same lifecycle
            found = next(iter(resolve(alias, platform, catalog=catalog)), None)
            here = f"{platform}:{alias} (alias of {model})"
            if target is None or found is None:
                tally.add("defect", f"{here}: not in the catalog")
            elif _facts(found) == _facts(target):
                tally.add("agree", here)
            else:
                tally.add("defect", f"{here}: lifecycle differs from {target.platform_id}'s")
    return tally


def read_modeldeprecations(root: Path) -> Iterable[Said]:
    """Every modeldeprecations.dev file, mapped to (platform, platform id) independently."""
    for file in sorted((root / "models").glob("*/*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        folder, model = file.parent.name, str(data["model"])
        if folder == "bedrock":
            match = _INVOKE.search(str(data.get("description") or ""))
            if match is None:
                continue
            platform, platform_id = "bedrock", match.group(1)
        elif folder == "vertex":
            platform, platform_id = "vertex", model
        else:
            platform = _HOME[folder]
            platform_id = model
            if folder == "mistral":  # Mistral's API writes 25-08 as 2508
                platform_id = re.sub(r"-(2\d)-(\d{2})$", r"-\1\2", model)
        shutdown = _day(data.get("shutdown_on")) or _day(
            data.get("earliest_shutdown_on"), "not_before"
        )
        recommended = [r for r in data.get("replacements") or () if r.get("recommended")]
        named = recommended or list(data.get("replacements") or ())
        replacement = str(named[0]["model"]).lower() if named else None
        if replacement and folder == "mistral":
            replacement = re.sub(r"-(2\d)-(\d{2})$", r"-\1\2", replacement)
        status = str(data.get("status") or "").lower() or None
        yield Said(
            where=f"{folder}/{file.name}",
            platform=platform,
            platform_id=platform_id,
            state=_STATE.get(status or "", status),
            announced_on=None,  # modeldeprecations.dev gives no announcement date
            deprecated_on=_day(data.get("deprecated_on")),
            shutdown_on=shutdown,
            replacement=replacement,
        )


def read_with_importer(name: str, root: Path) -> Iterable[Said]:
    """The records of a source as recast's importer reads them."""
    from recast.catalog.sources._registry import FOLDERS, import_source

    folder = next(root / f for f in FOLDERS[name] if (root / f).exists())
    for record in import_source(folder, name).offerings:
        replacement = recommended_of(record.replacements)
        yield Said(
            where=f"{record.platform}:{record.platform_id}",
            platform=record.platform,
            platform_id=record.platform_id,
            state=record.state,
            announced_on=record.announced_on,
            deprecated_on=record.deprecated_on,
            shutdown_on=record.shutdown_on,
            replacement=replacement.model if replacement else None,
        )


def _offering(catalog: Catalog, said: Said) -> Offering | None:
    """The catalog's offering with this platform id (through the resolver, else by key:
    the audit checks the merge, not the id grammar)."""
    wanted = said.platform_id.lower()
    for offering in resolve(said.platform_id, said.platform, catalog=catalog):
        if offering.platform_id.lower() == wanted:
            return offering
    for offering in catalog.offerings:
        if offering.platform == said.platform and offering.platform_id.lower() == wanted:
            return offering
    return None


def _explained(conflict: Conflict | None, importer: str, value: str) -> bool:
    """Whether a conflict record names this source's value (so the override is on record)."""
    return conflict is not None and any(
        imp == importer and val == value for imp, val in conflict.values
    )


def _compare_date(mine: LifecycleDate | None, kept: LifecycleDate | None) -> str | None:
    """``agree``, ``refined`` (a documented refinement), or ``None`` (a disagreement)."""
    if mine is None:
        return "silent"
    if kept == mine:
        return "agree"
    if kept is not None and mine.precision == "not_before" and kept.on > mine.on:
        return "refined"  # an exact date later than the floor: documented
    if kept is not None and kept.precision == "not_before" and kept.on == mine.on:
        return "refined"  # a floor repeated as an exact day stays a floor: documented
    if (
        kept is not None
        and mine.precision == "month"
        and (kept.on.year, kept.on.month)
        == (
            mine.on.year,
            mine.on.month,
        )
    ):
        return "refined"
    return None


def audit(source: str, records: Iterable[Said], catalog: Catalog) -> Tally:
    """Compare every fact of every record with the catalog."""
    tally = Tally()
    for said in records:
        offering = _offering(catalog, said)
        if offering is None:
            tally.add("defect", f"{said.where}: {said.platform}:{said.platform_id} not in catalog")
            continue
        lifecycle = offering.lifecycle
        conflicts = catalog.conflicts_of(offering)
        here = f"{said.platform}:{said.platform_id}"
        for name, mine, kept in (
            ("announced_on", said.announced_on, lifecycle.announced_on),
            ("deprecated_on", said.deprecated_on, lifecycle.deprecated_on),
            ("shutdown_on", said.shutdown_on, lifecycle.shutdown_on),
        ):
            verdict = _compare_date(mine, kept)
            if verdict == "silent":
                continue
            if verdict == "agree":
                tally.add("agree", f"{here} {name}")
            elif verdict is not None:
                why = conflicts[name].reason if name in conflicts else "documented refinement"
                tally.add("justified", f"{here} {name}: {mine} -> {kept} ({why})")
            elif _explained(conflicts.get(name), source, str(mine)):
                reason = conflicts[name].reason
                tally.add("justified", f"{here} {name}: {mine} -> {kept or 'none'} ({reason})")
            else:
                tally.add("defect", f"{here} {name}: source {mine}, catalog {kept or 'none'}")
        if said.state is not None:
            kept_state = lifecycle.state
            if kept_state == said.state:
                tally.add("agree", f"{here} state")
            elif (said.state, kept_state) == ("deprecated", "retired"):
                tally.add("justified", f"{here} state: {said.state} -> {kept_state} (read later)")
            elif _explained(conflicts.get("state"), source, said.state):
                reason = conflicts["state"].reason
                tally.add("justified", f"{here} state: {said.state} -> {kept_state} ({reason})")
            else:
                tally.add("defect", f"{here} state: source {said.state}, catalog {kept_state}")
        if said.replacement is not None:
            chosen = recommended_of(lifecycle.replacements)
            kept_model = chosen.model if chosen else None
            if kept_model == said.replacement:
                tally.add("agree", f"{here} replacement")
            elif _explained(conflicts.get("replacement"), source, said.replacement):
                reason = conflicts["replacement"].reason
                tally.add(
                    "justified",
                    f"{here} replacement: {said.replacement} -> {kept_model} ({reason})",
                )
            else:
                tally.add(
                    "defect", f"{here} replacement: source {said.replacement}, catalog {kept_model}"
                )
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--catalog", type=Path, default=None, help="a catalog file to audit")
    parser.add_argument("--show", type=int, default=5, help="examples to print per kind")
    args = parser.parse_args(argv)
    catalog = load_catalog(args.catalog) if args.catalog else load_catalog()
    sources = {
        "modeldeprecations.dev": read_modeldeprecations(args.data / "modeldeprecations.dev"),
        "deprecations.info": read_with_importer("deprecations.info", args.data),
        "litellm": read_with_importer("litellm", args.data),
        "models.dev": read_with_importer("models.dev", args.data),
    }
    print(f"catalog built {catalog.built_at}: {len(catalog)} offerings; data {args.data}")
    print(f"{'source':<22} {'facts':>6} {'agree':>6} {'justified':>9} {'defects':>7}")
    failed = False
    tallies = {}
    for source, records in sources.items():
        tally = tallies[source] = audit(source, records, catalog)
        if source == "modeldeprecations.dev":
            aliases = alias_defects(args.data / "modeldeprecations.dev", catalog)
            tally.counts.update(aliases.counts)
            for kind, lines in aliases.examples.items():
                tally.examples[kind].extend(lines)
        total = sum(tally.counts.values())
        print(
            f"{source:<22} {total:>6} {tally.counts['agree']:>6} {tally.counts['justified']:>9} "
            f"{tally.counts['defect']:>7}"
        )
        failed |= source == "modeldeprecations.dev" and tally.counts["defect"] > 0
    for source, tally in tallies.items():
        for kind in ("justified", "defect"):
            shown = tally.examples[kind][: args.show]
            if shown:
                print(f"\n{source}: {kind} ({tally.counts[kind]}), first {len(shown)}:")
                for line in shown:
                    print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
