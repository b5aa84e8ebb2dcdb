"""Importer for modeldeprecations.dev: one YAML file per model, with sourced lifecycle dates.

Layout: ``models/<provider>/<model>.yaml`` with fields ``provider``, ``model``,
``name``, ``aliases``, ``released_on``, ``deprecated_on``, ``shutdown_on``,
``earliest_shutdown_on`` ("not sooner than", precision ``not_before``),
``status``, ``replacements`` and ``sources``.

The ``bedrock`` and ``vertex`` folders are platform rows: the model as served on
that platform. Bedrock rows name their invoke id in the description ("The
Bedrock invoke id is amazon.nova-canvas-v1:0"). ``google`` rows are the Gemini API.

Aliases that are dated snapshots of the model (``gpt-4-32k-0613`` of
``gpt-4-32k``, ``gemini-1.5-pro-002`` of ``gemini-1.5-pro``) become models of their
own with the same lifecycle, since the maker documents them separately; other
aliases (``claude-3-5-haiku-latest``) stay aliases.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from recast.catalog._model import Model, Replacement, Source, State
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    bedrock_model,
    bedrock_provider,
    infer_provider,
    parse_date,
    plain_date,
    platform_for_provider,
    read_text,
    vertex_model,
)
from recast.errors import SourceError

NAME = "modeldeprecations.dev"
LICENCE = "MIT"
URL = "https://github.com/mnfst/modeldeprecations.dev"
#: Published archive of the repository (the YAML files live under models/).
ARCHIVE_URL = "https://codeload.github.com/mnfst/modeldeprecations.dev/tar.gz/refs/heads/main"

_STATES: dict[str, State] = {
    "active": "active",
    "legacy": "legacy",
    "deprecated": "deprecated",
    "retired": "retired",
    "shutdown": "retired",
}
_INVOKE_ID = re.compile(r"invoke id is\s+`?([a-z0-9][\w.:-]*[\w])`?", re.IGNORECASE)
_MISTRAL_VERSION = re.compile(r"-(2\d)-(\d{2})$")
_SNAPSHOT_SUFFIX = re.compile(r"^-(\d{4}|\d{3}|\d{4}-\d{2}-\d{2}|\d{8})$")


def detect(path: Path) -> bool:
    """True when ``path`` is a modeldeprecations.dev checkout, ``models/`` folder or YAML file."""
    if path.is_file():
        return path.suffix in (".yaml", ".yml")
    if (path / "models").is_dir():
        return any((path / "models").glob("*/*.yaml"))
    return any(path.glob("*/*.yaml")) or any(path.glob("*.yaml"))


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    root = path / "models" if (path / "models").is_dir() else path
    files = sorted(root.glob("*/*.yaml")) + sorted(root.glob("*.yaml"))
    if not files:
        raise SourceError(
            f"No modeldeprecations.dev YAML files under {str(path)!r}. "
            "Point at the repository, its models/ folder or one YAML file."
        )
    return files


def _load_yaml_any(file: Path) -> Any:
    """Parse one YAML file; raise SourceError naming the file and line when it is invalid."""
    import yaml

    text = read_text(file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(
            f"{str(file)!r}{line}: invalid YAML ({problem}). Fix the file or re-download it."
        ) from exc
    except ValueError as exc:  # a date YAML reads as a date but the calendar lacks (02-30)
        raise SourceError(
            f"{str(file)!r}{_bad_date_line(text)}: invalid date ({exc}). Fix the value."
        ) from exc
    return data


def _bad_date_line(text: str) -> str:
    """`` line N`` of the first ``YYYY-MM-DD`` in ``text`` that is not a calendar day."""
    from datetime import date as day

    for number, line in enumerate(text.splitlines(), start=1):
        for found in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", line):
            try:
                day(*(int(part) for part in found))
            except ValueError:
                return f" line {number}"
    return ""


def _load_yaml(file: Path) -> dict[str, Any]:
    data = _load_yaml_any(file)
    if not isinstance(data, dict):
        raise SourceError(
            f"{str(file)!r}: expected a mapping of fields, got {type(data).__name__}."
        )
    for required in ("provider", "model"):
        if not data.get(required):
            raise SourceError(
                f"{str(file)!r}: field {required!r} is missing; the file looks partial."
            )
    return data


def _sources(data: dict[str, Any], where: str) -> tuple[Source, ...]:
    out = []
    for item in data.get("sources") or ():
        if not isinstance(item, dict) or not item.get("url"):
            continue
        out.append(
            Source(
                url=str(item["url"]),
                title=str(item.get("title") or ""),
                accessed_on=plain_date(item.get("accessed"), where),
                importer=NAME,
            )
        )
    return tuple(out)


def _platform_and_id(data: dict[str, Any], folder: str, where: str) -> tuple[str, str, str, str]:
    """Return (platform, platform_id, canonical model id, maker)."""
    model = str(data["model"]).strip()
    if folder == "bedrock":
        match = _INVOKE_ID.search(str(data.get("description") or ""))
        if not match:
            raise SourceError(f"{where}: Bedrock row without 'invoke id is …' in its description.")
        platform_id = match.group(1)
        return (
            "bedrock",
            platform_id,
            bedrock_model(platform_id),
            bedrock_provider(platform_id) or "amazon",
        )
    if folder == "vertex":
        return "vertex", model, vertex_model(model), infer_provider(model) or "google"
    provider = str(data["provider"]).strip()
    platform = platform_for_provider(provider)
    if platform is None:
        raise SourceError(f"{where}: provider {provider!r} has no platform in recast.")
    model = _api_id(provider, model)
    return platform, model, model.lower(), provider


def _api_id(provider: str, model: str) -> str:
    """Mistral's API ids write the version as YYMM (``codestral-2508``); this source writes
    ``codestral-25-08``."""
    if provider == "mistral":
        return _MISTRAL_VERSION.sub(r"-\1\2", model)
    return model


def _replacement_model(item: dict[str, Any]) -> tuple[str, str | None]:
    model = str(item.get("model") or "").strip()
    provider = str(item.get("provider") or "").strip()
    if provider == "bedrock":
        return bedrock_model(model), "bedrock"
    if provider == "vertex":
        return vertex_model(model), "vertex"
    return _api_id(provider, model).lower(), platform_for_provider(provider) if provider else None


def load(path: Path) -> ImportResult:
    """Read a modeldeprecations.dev checkout (or one YAML file)."""
    result = ImportResult(source=NAME, path=str(path), licence=LICENCE, url=URL)
    for file in _files(path):
        data = _load_yaml(file)
        result.records += 1
        where = str(file)
        folder = file.parent.name if file.parent.name in ("bedrock", "vertex") else ""
        if not folder and str(data["provider"]) in ("bedrock", "vertex"):
            folder = str(data["provider"])
        try:
            platform, platform_id, model_id, maker = _platform_and_id(data, folder, where)
        except SourceError:
            result.skipped += 1
            continue
        sources = _sources(data, where)
        source_url = sources[0].url if sources else ""
        replacements = []
        for item in data.get("replacements") or ():
            if not isinstance(item, dict) or not item.get("model"):
                continue
            rep_model, rep_platform = _replacement_model(item)
            replacements.append(
                Replacement(
                    model=rep_model,
                    recommended=bool(item.get("recommended", False)),
                    note=" ".join(str(item.get("note") or "").split()),
                    source_url=source_url,
                    platform=rep_platform if rep_platform not in (None, platform) else None,
                )
            )
        shutdown = parse_date(data.get("shutdown_on"), where)
        if shutdown is None:
            shutdown = parse_date(data.get("earliest_shutdown_on"), where, "not_before")
        status = str(data.get("status") or "").strip().lower()
        state = _STATES.get(status)
        deprecated = parse_date(data.get("deprecated_on"), where)
        snapshot_ids = []
        aliases = []
        for alias in data.get("aliases") or ():
            alias = str(alias).strip().lower()
            if alias.startswith(model_id) and _SNAPSHOT_SUFFIX.match(alias[len(model_id) :]):
                snapshot_ids.append(alias)
            elif alias and alias != model_id:
                aliases.append(alias)
        name = str(data.get("name") or "")
        released = plain_date(data.get("released_on"), where)
        for mid, pid in [(model_id, platform_id)] + [
            (snap, snap if platform != "bedrock" else platform_id) for snap in snapshot_ids
        ]:
            if platform == "bedrock" and mid != model_id:
                continue
            result.models.append(
                Model(
                    id=mid,
                    provider=maker,
                    name=name,
                    aliases=tuple(aliases) if mid == model_id else (),
                    released_on=released,
                )
            )
            result.offerings.append(
                OfferingRecord(
                    platform=platform,
                    platform_id=pid,
                    model=mid,
                    provider=maker,
                    importer=NAME,
                    state=state,
                    deprecated_on=deprecated,
                    shutdown_on=shutdown,
                    replacements=tuple(replacements),
                    sources=sources,
                )
            )
    return result
