"""The hand-curated overlay: lifecycle facts the sources miss or get wrong, each with its source.

Files: ``recast/catalog/data/overlay/*.yaml``. Each file has optional
``defaults`` (merged into every entry) and a list of ``offerings``::

    defaults:
      provider: openai
      platform: openai
      sources:
        - url: https://platform.openai.com/docs/deprecations
          title: OpenAI API deprecations
          accessed: 2026-11-27
    offerings:
      - model: gpt-4.5-preview            # canonical model id
        platform_id: gpt-4.5-preview      # default: the model id
        state: retired                    # optional
        announced_on: 2025-04-14          # YYYY-MM-DD, or YYYY-MM (precision month)
        shutdown_on: 2025-07-14
        shutdown_precision: exact         # exact | not_before | month (optional)
        replacements:
          - {model: gpt-4.1, recommended: true}
        note: a caveat                    # optional: appended to each source's title
        unset: [shutdown_on]              # optional: the page publishes no such fact, so a
                                          # lower source's value for it is not kept
        aliases: [gpt-4.5-preview-latest] # optional: other ids the page says name this model
                                          # (they follow its lifecycle)

Every entry must end up with at least one source with ``url`` and ``accessed``;
an entry without one is an error naming the file and line, so no fact enters the
catalog unsourced.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from recast.catalog._model import Model, Replacement, Source, State
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    infer_provider,
    parse_date,
    plain_date,
)
from recast.catalog.sources.modeldeprecations import _load_yaml_any
from recast.errors import SourceError

NAME = "overlay"
LICENCE = "MIT"
URL = "recast/catalog/data/overlay/"

_FIELDS = {
    "model",
    "provider",
    "platform",
    "platform_id",
    "region",
    "name",
    "state",
    "announced_on",
    "deprecated_on",
    "shutdown_on",
    "announced_precision",
    "deprecated_precision",
    "shutdown_precision",
    "released_on",
    "replacements",
    "sources",
    "note",
    "unset",
    "aliases",
}
_STATES = ("active", "legacy", "deprecated", "retired")
_UNSETTABLE = ("announced_on", "deprecated_on", "shutdown_on", "replacements")


def _listed(raw: dict[str, Any], name: str, where: str) -> list[Any]:
    """A list-valued field (``[a, b]``); a scalar is an error, not a list of its letters."""
    value = raw.get(name) or []
    if not isinstance(value, list):
        raise SourceError(f"{where}: {name!r} must be a list, e.g. {name}: [{value}].")
    return value


def overlay_dir() -> Path:
    """The folder of bundled overlay YAML files."""
    return Path(str(resources.files("recast.catalog") / "data" / "overlay"))


def detect(path: Path) -> bool:
    """Overlay files are only read from the package (or an explicit folder of them)."""
    return False


def _entry(raw: dict[str, Any], defaults: dict[str, Any], where: str) -> OfferingRecord:
    from recast.catalog._platforms import PLATFORMS

    unknown = set(raw) - _FIELDS
    if unknown:
        raise SourceError(f"{where}: unknown field(s) {sorted(unknown)!r}.")
    entry = {**defaults, **raw}
    model = str(entry.get("model") or "").strip().lower()
    if not model:
        raise SourceError(f"{where}: entry without 'model'.")
    platform = str(entry.get("platform") or "")
    if platform not in PLATFORMS:
        raise SourceError(f"{where}: platform {platform!r} is not one of recast's platforms.")
    sources = []
    for item in entry.get("sources") or ():
        if not isinstance(item, dict) or not item.get("url") or not item.get("accessed"):
            raise SourceError(f"{where}: every source needs 'url' and 'accessed'.")
        sources.append(
            Source(
                url=str(item["url"]),
                title=str(item.get("title") or ""),
                accessed_on=plain_date(item["accessed"], where),
                importer=NAME,
            )
        )
    if not sources:
        raise SourceError(f"{where}: entry for {model!r} on {platform!r} has no source URL.")
    note = str(raw.get("note") or "").strip()
    if note:  # a caveat on this row's facts travels with its sources
        sources = [replace(s, title=f"{s.title} ({note})" if s.title else note) for s in sources]
    state = entry.get("state")
    if state is not None and state not in _STATES:
        raise SourceError(f"{where}: state {state!r} is not one of {', '.join(_STATES)}.")
    replacements = []
    for item in entry.get("replacements") or ():
        if isinstance(item, str):
            item = {"model": item}
        rep_platform = item.get("platform")
        replacements.append(
            Replacement(
                model=str(item["model"]).lower(),
                recommended=bool(item.get("recommended", False)),
                note=str(item.get("note") or ""),
                source_url=str(item.get("source_url") or sources[0].url),
                platform=rep_platform if rep_platform and rep_platform != platform else None,
            )
        )

    def when(name: str) -> Any:
        precision = str(entry.get(f"{name.split('_')[0]}_precision") or "exact")
        return parse_date(entry.get(name), where, precision)

    provider = str(entry.get("provider") or infer_provider(model) or "")
    if not provider:
        raise SourceError(f"{where}: cannot tell the provider of {model!r}; add 'provider'.")
    unset = tuple(str(name) for name in _listed(raw, "unset", where))
    wrong = [name for name in unset if name not in _UNSETTABLE]
    if wrong:
        raise SourceError(f"{where}: 'unset' takes {', '.join(_UNSETTABLE)}; got {wrong!r}.")
    typed_state: State | None = state
    return OfferingRecord(
        platform=platform,
        platform_id=str(entry.get("platform_id") or model),
        model=model,
        provider=provider,
        importer=NAME,
        state=typed_state,
        announced_on=when("announced_on"),
        deprecated_on=when("deprecated_on"),
        shutdown_on=when("shutdown_on"),
        replacements=tuple(replacements),
        sources=tuple(sources),
        region=entry.get("region"),
        denies=unset,
    )


def _entry_lines(file: Path) -> list[int]:
    """The 1-based line of each entry of the file's ``offerings`` list, for error messages."""
    import yaml

    node = yaml.compose(file.read_text(encoding="utf-8"))
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "offerings" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load(path: Path | None = None) -> ImportResult:
    """Read the overlay files in ``path`` (default: the bundled overlay folder)."""
    folder = path or overlay_dir()
    files = [folder] if folder.is_file() else sorted(folder.glob("*.yaml"))
    result = ImportResult(source=NAME, path=str(folder), licence=LICENCE, url=URL)
    for file in files:
        data = _load_yaml_any(file)
        if not isinstance(data, dict) or not isinstance(data.get("offerings"), list):
            raise SourceError(f"{str(file)!r}: expected a mapping with an 'offerings' list.")
        defaults = data.get("defaults") or {}
        lines = _entry_lines(file)
        for index, raw in enumerate(data["offerings"]):
            line = f" line {lines[index]}" if index < len(lines) else ""
            where = f"{str(file)!r}{line} (offerings[{index}])"
            if not isinstance(raw, dict):
                raise SourceError(f"{where}: expected a mapping.")
            record = _entry(raw, defaults, where)
            result.records += 1
            result.offerings.append(record)
            name = str(raw.get("name") or "")
            released = plain_date(raw.get("released_on"), where)
            aliases = tuple(str(a).strip().lower() for a in _listed(raw, "aliases", where))
            if name or released or aliases:
                result.models.append(
                    Model(
                        id=record.model,
                        provider=record.provider,
                        name=name,
                        released_on=released,
                        aliases=aliases,
                    )
                )
    return result
