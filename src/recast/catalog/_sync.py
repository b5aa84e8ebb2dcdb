"""Refresh the user's catalog cache from a source, a URL, a file or a provider's /v1/models.

``sync()`` reads one source, merges it into the current catalog (the user cache
if there is one, else the bundled catalog) with the documented precedence of
:mod:`recast.catalog._compile`, and writes the result atomically to
:func:`recast.catalog.user_cache_path`. Any failure (offline, corrupt file,
bad key) raises :class:`~recast.errors.SourceError` and leaves the cache as it was.

Source forms:

* ``None``: every named source from its published URL.
* a name (``litellm``, ``models.dev``, ``modeldeprecations.dev``, ``deprecations.info``):
  that source's published URL.
* ``http(s)://…``: a file in any of the four formats, downloaded.
* a local file or folder in any of the four formats (auto-detected).
* ``base_url`` (+ ``api_key_env``): a provider's ``GET /v1/models``; OpenAI's
  ``shutdown_date`` and Mistral's ``deprecation`` / ``deprecation_replacement_model``
  become lifecycle facts (importers ``openai-models-endpoint`` / ``mistral-models-endpoint``).
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from recast.catalog._catalog import (
    Catalog,
    read_user_cache_or_bundled,
    reset_catalog_cache,
    user_cache_path,
    write_catalog_file,
)
from recast.catalog._model import (
    Capabilities,
    Conflict,
    LifecycleDate,
    Model,
    Replacement,
    Source,
)
from recast.errors import SourceError

if TYPE_CHECKING:  # only for annotations: loading the catalog must not import these
    import httpx

    from recast.catalog.sources._common import ImportResult

SYNC_SCHEMA_VERSION = 1

#: Named sources and where each is published.
PUBLISHED: dict[str, str] = {
    "litellm": (
        "https://raw.githubusercontent.com/BerriAI/litellm/main/"
        "model_prices_and_context_window.json"
    ),
    "models.dev": "https://models.dev/api.json",
    "modeldeprecations.dev": (
        "https://codeload.github.com/mnfst/modeldeprecations.dev/tar.gz/refs/heads/main"
    ),
    "deprecations.info": "https://deprecations.info/v1/deprecations.json",
}
_ALIASES = {
    "modeldeprecations": "modeldeprecations.dev",
    "modelsdev": "models.dev",
    "deprecations-rss": "deprecations.info",
    "deprecations-info": "deprecations.info",
}
_ENDPOINT_HOSTS = {"api.openai.com": "openai", "api.mistral.ai": "mistral"}


@dataclass
class SourceSync:
    """What one source contributed to a sync."""

    source: str
    kind: str  # named | url | file | dir | models-endpoint
    importer: str
    location: str
    records: int = 0
    models: int = 0
    offerings: int = 0
    new_offerings: int = 0
    changed_offerings: int = 0
    conflicts: int = 0
    synced_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Render as one entry of the sync report's JSON ``sources`` list."""
        return {
            "source": self.source,
            "kind": self.kind,
            "importer": self.importer,
            "location": self.location,
            "records": self.records,
            "models": self.models,
            "offerings": self.offerings,
            "new_offerings": self.new_offerings,
            "changed_offerings": self.changed_offerings,
            "conflicts": self.conflicts,
            "synced_at": self.synced_at,
        }


@dataclass
class SyncReport:
    """What ``sync`` did: each source read, the cache written, and sources that failed."""

    cache_path: str
    sources: list[SourceSync] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    offerings_total: int = 0

    @property
    def new_offerings(self) -> int:
        """Offerings the sync added, over every source read."""
        return sum(s.new_offerings for s in self.sources)

    @property
    def changed_offerings(self) -> int:
        """Existing offerings whose lifecycle or prices the sync changed, over every source."""
        return sum(s.changed_offerings for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        """Render as the JSON document `recast models sync --json` prints."""
        return {
            "schema_version": SYNC_SCHEMA_VERSION,
            "cache_path": self.cache_path,
            "offerings_total": self.offerings_total,
            "new_offerings": self.new_offerings,
            "changed_offerings": self.changed_offerings,
            "sources": [s.to_dict() for s in self.sources],
            "failures": list(self.failures),
        }


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _current_catalog(cache: Path) -> Catalog:
    return read_user_cache_or_bundled(cache)


# --------------------------------------------------------------------------- network


def _client(client: httpx.Client | None, timeout: float) -> httpx.Client:
    import httpx

    return client if client is not None else httpx.Client(timeout=timeout, follow_redirects=True)


def _get(
    url: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET ``url``; network failures and HTTP errors become one-line SourceErrors."""
    import httpx

    http = _client(client, timeout)
    try:
        response = http.get(url, headers=headers or {})
    except httpx.HTTPError as exc:
        raise SourceError(
            f"Cannot reach {url!r} ({type(exc).__name__}: {exc}). You may be offline; "
            "the catalog stays as it was (bundled or previously synced data). "
            "Sync from a local file with `recast models sync --source FILE`."
        ) from exc
    finally:
        if client is None:
            http.close()
    if response.status_code in (401, 403):
        raise SourceError(
            f"{url!r} refused the request (HTTP {response.status_code}). "
            "Check the API key (--api-key-env)."
        )
    if response.status_code >= 400:
        raise SourceError(f"{url!r} answered HTTP {response.status_code}; nothing was synced.")
    return response


def _download(url: str, folder: Path, *, client: httpx.Client | None, timeout: float) -> Path:
    response = _get(url, client=client, timeout=timeout)
    name = Path(urlparse(url).path).name or "download"
    if response.headers.get("content-type", "").startswith("application/gzip") or url.endswith(
        (".tar.gz", ".tgz", "/tar.gz/refs/heads/main")
    ):
        archive = folder / "archive.tar.gz"
        archive.write_bytes(response.content)
        return _extract(archive, folder / "extracted")
    target = folder / name
    target.write_bytes(response.content)
    return target


def _extract(archive: Path, target: Path) -> Path:
    """Unpack the YAML files of a modeldeprecations.dev archive; return the models/ folder."""
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile()
                and m.name.endswith(".yaml")
                and "/models/" in f"/{m.name}"
                and ".." not in Path(m.name).parts
                and not m.name.startswith("/")
            ]
            for member in members:
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                rel = (
                    member.name.split("/models/", 1)[1]
                    if "/models/" in member.name
                    else member.name
                )
                out = target / "models" / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(handle.read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceError(f"Archive {str(archive)!r} is corrupt or partial ({exc}).") from exc
    if not (target / "models").is_dir():
        raise SourceError(f"Archive {str(archive)!r} holds no models/*.yaml files.")
    return target


# --------------------------------------------------------------------------- /v1/models


def _models_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/models" if base.endswith("/v1") else f"{base}/v1/models"


def _endpoint_platform(base_url: str, items: list[dict[str, Any]], platform: str | None) -> str:
    if platform:
        return platform
    host = urlparse(base_url).hostname or ""
    if host in _ENDPOINT_HOSTS:
        return _ENDPOINT_HOSTS[host]
    mistral_keys = {"deprecation", "max_context_length", "capabilities"}
    if any(mistral_keys & set(item) for item in items):
        return "mistral"
    return "openai"


def _day(value: Any, where: str) -> LifecycleDate | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return LifecycleDate(datetime.fromtimestamp(value, timezone.utc).date())
    text = str(value)
    try:
        return LifecycleDate(date.fromisoformat(text[:10]))
    except ValueError:
        raise SourceError(f"{where}: {text!r} is not a date.") from None


def import_models_endpoint(
    base_url: str,
    *,
    api_key_env: str | None = None,
    platform: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
) -> ImportResult:
    """Read a provider's ``GET /v1/models`` into an ImportResult (OpenAI or Mistral shape)."""
    from recast.catalog._platforms import PLATFORMS
    from recast.catalog.sources._common import ImportResult, OfferingRecord, infer_provider

    headers = {}
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise SourceError(
                f"Environment variable {api_key_env!r} is not set. Export the provider's API "
                f"key as {api_key_env} (or pass another name with --api-key-env)."
            )
        headers["Authorization"] = f"Bearer {key}"
    url = _models_url(base_url)
    response = _get(url, client=client, timeout=timeout, headers=headers)
    try:
        body = response.json()
    except ValueError as exc:
        raise SourceError(f"{url!r} did not answer JSON ({exc}).") from exc
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise SourceError(f"{url!r}: expected a JSON object with a 'data' list of models.")
    items = [i for i in items if isinstance(i, dict) and i.get("id")]
    kind = _endpoint_platform(base_url, items, platform)
    if kind not in PLATFORMS:
        raise SourceError(f"Unknown platform {kind!r} for {url!r}.")
    importer = f"{kind}-models-endpoint" if kind in ("openai", "mistral") else "models-endpoint"
    result = ImportResult(source=importer, path=url, licence="provider API", url=url)
    for item in items:
        result.records += 1
        raw = str(item["id"])
        if raw.startswith("ft:") or ":ft-" in raw:
            result.skipped += 1
            continue
        model_id = raw.lower()
        maker = infer_provider(model_id) or (
            "mistral" if kind == "mistral" else "openai" if kind == "openai" else kind
        )
        where = f"{url} model {raw!r}"
        shutdown = _day(item.get("shutdown_date") or item.get("deprecation"), where)
        replacements: tuple[Replacement, ...] = ()
        successor = item.get("deprecation_replacement_model") or item.get("replacement_model")
        if isinstance(successor, str) and successor:
            replacements = (Replacement(model=successor.lower(), recommended=True, source_url=url),)
        sources = (
            (
                Source(
                    url=url,
                    title=f"{kind} GET /v1/models",
                    accessed_on=date.today(),
                    importer=importer,
                ),
            )
            if shutdown or replacements
            else ()
        )
        result.offerings.append(
            OfferingRecord(
                platform=kind,
                platform_id=raw,
                model=model_id,
                provider=maker,
                importer=importer,
                shutdown_on=shutdown,
                replacements=replacements,
                sources=sources,
            )
        )
        caps = item.get("capabilities") if isinstance(item.get("capabilities"), dict) else {}
        aliases = tuple(
            str(a).lower() for a in item.get("aliases") or () if str(a).lower() != model_id
        )
        context = item.get("max_context_length")
        result.models.append(
            Model(
                id=model_id,
                provider=maker,
                name=str(item.get("name") or ""),
                aliases=aliases,
                capabilities=Capabilities(
                    vision=caps.get("vision") if isinstance(caps.get("vision"), bool) else None,
                    tools=caps.get("function_calling")
                    if isinstance(caps.get("function_calling"), bool)
                    else None,
                ),
                context_window=context if isinstance(context, int) and context > 0 else None,
            )
        )
    return result


# --------------------------------------------------------------------------- merging


def _catalog_as_results(
    catalog: Catalog, replaced: str, touched: set[tuple[str, str]]
) -> list[ImportResult]:
    """The current catalog as importer results: one record per source claim it kept.

    A claim of ``replaced`` (the source being synced) about an offering the new data
    covers is left out, so newer data from the same source replaces older. Every offering
    also gets a ``catalog`` record (no lifecycle; its prices, its place), so nothing is
    dropped, and the models come back as a ``catalog`` result.
    """
    from recast.catalog.sources._common import ImportResult, OfferingRecord

    results: dict[str, ImportResult] = {}

    def add(importer: str, record: OfferingRecord) -> None:
        results.setdefault(importer, ImportResult(source=importer, path="catalog"))
        results[importer].offerings.append(record)

    for offering in catalog.offerings:
        provider = catalog.provider_of(offering.model) or ""
        common: dict[str, Any] = {
            "provider": provider,
            "region": offering.region,
            "platform": offering.platform,
        }
        # An alias row is read back as a record of the alias id itself, so the build's alias
        # rule decides again where it points: a newer source may have moved it.
        model = offering.platform_id.lower() if offering.alias_of else offering.model
        add(
            "catalog",
            OfferingRecord(
                **common,
                model=model,
                platform_id=offering.platform_id,
                importer="catalog",
                prices=catalog.prices_for(offering),
            ),
        )
        if offering.alias_of:
            continue  # its claims are its target's, read there
        for claim in offering.lifecycle.claims:
            platform_id = claim.via or offering.platform_id
            if claim.importer == "overlay":
                continue  # the overlay is read afresh from the package (see merge_into)
            if claim.importer == replaced and (offering.platform, platform_id.lower()) in touched:
                continue
            add(
                claim.importer,
                OfferingRecord(
                    **common,
                    model=claim.via.lower() if claim.via else offering.model,
                    platform_id=platform_id,
                    importer=claim.importer,
                    state=claim.state,
                    announced_on=claim.announced_on,
                    deprecated_on=claim.deprecated_on,
                    shutdown_on=claim.shutdown_on,
                    replacements=claim.replacements,
                    sources=claim.sources,
                    denies=claim.denies,
                ),
            )
    models = ImportResult(source="catalog", path="catalog")
    models.models = list(catalog.models.values())
    return [*results.values(), models]


def _built_with_overlay(catalog: Catalog) -> bool:
    return any(p.get("source") == "overlay" for p in catalog.provenance)


def _against_sources(
    conflict: Conflict, old: dict[tuple[str, str, str], Conflict]
) -> Conflict | None:
    """A price or limit conflict as sources see it: the ``catalog`` stands in for the value
    an earlier source set, so where it is one side, the earlier record (naming that source)
    stands; else the synced source's disagreement with the others."""
    key = (conflict.platform, conflict.platform_id.lower(), conflict.field)
    if not any(imp == "catalog" for imp, _ in conflict.values):
        return conflict
    if key in old:
        return old[key]
    values = tuple((imp, v) for imp, v in conflict.values if imp != "catalog")
    if len({v for _, v in values}) < 2:
        return None
    return replace(conflict, values=values)


def merge_into(catalog: Catalog, result: ImportResult, provenance: dict[str, Any]) -> Catalog:
    """Merge one importer result into an existing catalog (precedence as in the build).

    Lifecycle facts and their conflicts are recompiled from every source's kept claims,
    so a synced fact keeps its own source and the others keep theirs. Price and limit
    conflicts the synced source did not touch stand as they were (the catalog keeps only
    the winning price, not every source's).
    """
    from recast.catalog._compile import compile_catalog
    from recast.catalog.sources._registry import module

    touched = {(r.platform, r.platform_id.lower()) for r in result.offerings}
    # The overlay is part of the package: it is read again rather than rebuilt from the
    # catalog, so its model-level facts (aliases) stand and an upgraded recast's overlay
    # reaches a synced cache.
    overlay = [module("overlay").load(None)] if _built_with_overlay(catalog) else []
    merged = compile_catalog(
        [*_catalog_as_results(catalog, result.source, touched), *overlay, result],
        built_at=catalog.built_at,
    )
    lifecycle = [c for c in merged.conflicts if c.is_lifecycle]
    old = {(c.platform, c.platform_id.lower(), c.field): c for c in catalog.conflicts}
    seen = [
        _against_sources(c, old)
        for c in merged.conflicts
        if not c.is_lifecycle
        and (
            (c.platform, c.platform_id.lower()) in touched
            or any(imp == result.source for imp, _ in c.values)
        )
    ]
    new_other = [c for c in seen if c is not None]
    fresh = {(c.platform, c.platform_id.lower(), c.field) for c in new_other}
    kept_other = [
        c
        for c in catalog.conflicts
        if not c.is_lifecycle and (c.platform, c.platform_id.lower(), c.field) not in fresh
    ]
    history = [
        p
        for p in catalog.provenance
        if not (p.get("source") == provenance["source"] and p.get("path") == provenance["path"])
    ]
    merged.conflicts = sorted(
        lifecycle + kept_other + new_other, key=lambda c: (c.platform, c.platform_id, c.field)
    )
    merged.provenance = [*history, provenance]
    return merged


# --------------------------------------------------------------------------- entry point


def _resolve_source(source: str) -> tuple[str, str]:
    """(kind, location) for a source argument."""
    name = _ALIASES.get(source, source)
    if name in PUBLISHED:
        return "named", name
    if re.match(r"^https?://", source):
        return "url", source
    path = Path(source).expanduser()
    if path.exists():
        return ("dir" if path.is_dir() else "file"), str(path)
    raise SourceError(
        f"Source {source!r} is neither a known source ({', '.join(PUBLISHED)}), "
        "a URL nor an existing file or folder."
    )


#: Provider ``/v1/models`` endpoints that a no-argument sync also reads when their key is set.
ENDPOINTS: dict[str, str] = {
    "OPENAI_API_KEY": "https://api.openai.com/v1",
    "MISTRAL_API_KEY": "https://api.mistral.ai/v1",
}

#: A job: (kind, location, environment variable holding its API key).
_Job = tuple[str, str, "str | None"]


def _jobs(source: str | None, base_url: str | None, api_key_env: str | None) -> list[_Job]:
    if base_url:
        return [("models-endpoint", base_url, api_key_env)]
    if source is not None:
        kind, location = _resolve_source(source)
        return [(kind, location, None)]
    jobs: list[_Job] = [("named", name, None) for name in PUBLISHED]
    jobs += [("models-endpoint", url, var) for var, url in ENDPOINTS.items() if os.environ.get(var)]
    return jobs


def _read(
    job: _Job, tmp: Path, platform: str | None, client: httpx.Client | None, timeout: float
) -> ImportResult:
    """Fetch and import one job's source (raises SourceError, nothing written)."""
    from recast.catalog.sources._registry import import_source

    kind, location, key_env = job
    if kind == "models-endpoint":
        return import_models_endpoint(
            location, api_key_env=key_env, platform=platform, client=client, timeout=timeout
        )
    if kind in ("named", "url"):
        url = PUBLISHED[location] if kind == "named" else location
        path = _download(url, tmp, client=client, timeout=timeout)
        result = import_source(path, location if kind == "named" else None)
        result.url = url
        result.as_of = date.today()
        return result
    return import_source(Path(location))


def _failed(failures: list[tuple[str, str]], total: int) -> SourceError:
    """One line for a sync that read some sources and failed on others (nothing written)."""
    offline = all("Cannot reach" in why for _, why in failures)
    names = ", ".join(name for name, _ in failures)
    if offline and len(failures) == total:
        return SourceError(
            f"Cannot reach any source ({names}): you may be offline. The catalog stays as it "
            "was (bundled or previously synced data); sync from a local copy with "
            "`recast models sync --source PATH`."
        )
    first = failures[0][1].split(". ")[0]
    return SourceError(
        f"{len(failures)} of {total} sources failed ({names}; first: {first}); nothing was "
        "written and the catalog stays as it was. Retry, sync the others one by one with "
        "--source, or pass --partial to keep what did sync."
    )


def sync(
    source: str | None = None,
    *,
    base_url: str | None = None,
    api_key_env: str | None = None,
    platform: str | None = None,
    cache_path: str | Path | None = None,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
    partial: bool = False,
) -> SyncReport:
    """Refresh the user catalog cache from one source (or every published one).

    With ``source=None`` and no ``base_url``, every named source is fetched from its
    published URL, plus each provider ``/v1/models`` whose key is set (:data:`ENDPOINTS`).
    All or nothing: when any source cannot be reached or read, :class:`SourceError` is raised
    and the cache stays as it was, unless ``partial`` keeps the sources that did sync (the
    others are listed in ``SyncReport.failures``; if none synced, it raises all the same).
    """
    cache = Path(cache_path) if cache_path is not None else user_cache_path()
    jobs = _jobs(source, base_url, api_key_env)
    catalog = _current_catalog(cache)
    report = SyncReport(cache_path=str(cache))
    failures: list[tuple[str, str]] = []
    for job in jobs:
        with tempfile.TemporaryDirectory(prefix="recast-sync-") as tmp:
            try:
                result = _read(job, Path(tmp), platform, client, timeout)
            except SourceError as exc:
                if len(jobs) == 1:
                    raise
                failures.append((job[1], str(exc)))
                continue
        catalog = _merge_one(catalog, result, job, source, report)
    if failures and (not partial or not report.sources):
        raise _failed(failures, len(jobs))
    report.failures = [why for _, why in failures]
    write_catalog_file(catalog, cache)
    report.offerings_total = len(catalog.offerings)
    if cache == user_cache_path():
        reset_catalog_cache()
    return report


def _merge_one(
    catalog: Catalog, result: ImportResult, job: _Job, source: str | None, report: SyncReport
) -> Catalog:
    """Merge one source's result into ``catalog`` and record what it did in ``report``."""
    kind, location, _ = job
    synced_at = _now()
    provenance = {**result.summary(), "path": location, "kind": kind, "synced_at": synced_at}
    before = {o.key: o for o in catalog.offerings}
    catalog = merge_into(catalog, result, provenance)
    after = {o.key: o for o in catalog.offerings}
    touched = {(r.platform, r.platform_id.lower()) for r in result.offerings}
    changed = sum(
        1
        for key, o in after.items()
        if key in before and before[key] != o and (key[0], key[1].lower()) in touched
    )
    report.sources.append(
        SourceSync(
            source=source or location,
            kind=kind,
            importer=result.source,
            location=location,
            records=result.records,
            models=len(result.models),
            offerings=len(result.offerings),
            new_offerings=len(set(after) - set(before)),
            changed_offerings=changed,
            conflicts=sum(
                1 for c in catalog.conflicts if (c.platform, c.platform_id.lower()) in touched
            ),
            synced_at=synced_at,
        )
    )
    return catalog


__all__ = [
    "PUBLISHED",
    "SourceSync",
    "SyncReport",
    "import_models_endpoint",
    "merge_into",
    "sync",
]
