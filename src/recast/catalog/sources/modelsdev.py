"""Importer for the models.dev catalogue (TOML): capabilities, prices, limits, ``status``.

Layout: ``providers/<provider>/models/<id>.toml`` (ids may contain ``/``, as
folders) and ``models/<lab>/<id>.toml``, provider-independent facts a provider
file inherits through ``base_model = "<lab>/<id>"`` (minus the dotted keys in
``base_model_omit``). Only providers that map to a recast platform are read
(see :data:`PROVIDERS`). ``status = "deprecated"`` becomes state ``deprecated``;
other statuses (alpha, beta) and no status say nothing about the lifecycle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from recast.catalog._model import Capabilities, Model, Prices, Source
from recast.catalog._platforms import home_platform
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    azure_model,
    bedrock_model,
    bedrock_provider,
    infer_provider,
    plain_date,
    read_json,
    read_text,
    strip_bedrock_region,
    vertex_model,
)
from recast.errors import SourceError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

NAME = "models.dev"
LICENCE = "MIT"
URL = "https://models.dev/api.json"

#: models.dev provider folder -> recast platform.
PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini-api",
    "google-vertex": "vertex",
    "google-vertex-anthropic": "vertex",
    "amazon-bedrock": "bedrock",
    "azure": "azure-openai",
    "mistral": "mistral",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
    "xai": "xai",
    "cohere": "cohere",
    "moonshotai": "moonshot",
    "alibaba": "alibaba",
    "minimax": "minimax",
    "zai": "z-ai",
    "xiaomi": "xiaomi",
}
_LAB_MAKERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "meta": "meta",
    "meta-llama": "meta",
    "mistral": "mistral",
    "mistralai": "mistral",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "deepseek-ai": "deepseek",
    "xai": "xai",
    "x-ai": "xai",
    "moonshotai": "moonshot",
    "qwen": "alibaba",
    "alibaba": "alibaba",
    "minimax": "minimax",
    "zhipuai": "z-ai",
    "zai-org": "z-ai",
    "z-ai": "z-ai",
    "xiaomi": "xiaomi",
    "amazon": "amazon",
}
_HOME_MAKERS = {
    "deepseek": "deepseek",
    "xai": "xai",
    "cohere": "cohere",
    "moonshot": "moonshot",
    "alibaba": "alibaba",
    "minimax": "minimax",
    "z-ai": "z-ai",
    "xiaomi": "xiaomi",
    "mistral": "mistral",
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini-api": "google",
}


def detect(path: Path) -> bool:
    """True for a models.dev checkout (``providers/``), a provider folder or one TOML file."""
    if path.is_file():
        if path.suffix == ".json":
            with open(path, encoding="utf-8", errors="replace") as handle:
                return detect_api_json(handle.read(65536))
        return path.suffix == ".toml"
    return (path / "providers").is_dir() or (
        (path / "models").is_dir() and any((path / "models").rglob("*.toml"))
    )


def _load_toml(file: Path) -> dict[str, Any]:
    text = read_text(file)
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{str(file)!r}: invalid TOML ({exc}). Fix or re-download it.") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _omit(data: dict[str, Any], dotted: str) -> None:
    parts = dotted.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def _identify(platform: str, raw_id: str) -> tuple[str, str, str] | None:
    """(platform_id, model id, maker) or ``None`` to skip."""
    if platform == "bedrock":
        base, _ = strip_bedrock_region(raw_id)
        maker = bedrock_provider(base)
        return (base, bedrock_model(base), maker) if maker else None
    if platform == "vertex":
        if raw_id.endswith(("@default", "@latest")):
            return None
        model = vertex_model(raw_id)
        vendor = raw_id.split("/", 1)[0] if "/" in raw_id else ""
        maker = infer_provider(model) or _LAB_MAKERS.get(vendor)
        return (raw_id, model, maker) if maker else None
    if platform == "azure-openai":
        model = azure_model(raw_id)
        return (raw_id, model, "openai") if infer_provider(model) == "openai" else None
    if "/" in raw_id:
        vendor, tail = raw_id.split("/", 1)
        tail = tail.rsplit("/", 1)[-1].lower()
        maker = _LAB_MAKERS.get(vendor.lower()) or infer_provider(tail)
        return (raw_id, tail, maker) if maker else None
    model = raw_id.lower()
    maker = infer_provider(model) or _HOME_MAKERS.get(platform)
    return (raw_id, model, maker) if maker else None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _dedupe(result: ImportResult) -> ImportResult:
    """Keep the first record of each offering (a model can sit in two provider folders)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for record in result.offerings:
        key = (record.platform, record.platform_id.lower())
        if key not in seen:
            seen.add(key)
            kept.append(record)
    result.offerings = kept
    return result


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def load(path: Path) -> ImportResult:
    """Read a models.dev checkout, one provider folder, one model TOML file, or ``api.json``."""
    if path.is_file() and path.suffix == ".json":
        return load_api_json(path)
    result = ImportResult(source=NAME, path=str(path), licence=LICENCE, url=URL)
    if path.is_file():
        root = path.parents[3] if len(path.parents) > 3 else path.parent
        provider = path.parent.parent.name if path.parent.name == "models" else ""
        if provider not in PROVIDERS:
            _load_toml(path)  # a corrupt file says so first
            raise SourceError(
                f"{str(path)!r}: cannot tell which provider this models.dev file belongs to; "
                "expected providers/<provider>/models/<id>.toml with a provider recast knows "
                f"({', '.join(sorted(PROVIDERS))})."
            )
        files = [(provider, path)]
    else:
        root = path
        providers_dir = path / "providers"
        if (
            not providers_dir.is_dir()
            and (path / "models").is_dir()
            and (path / "provider.toml").exists()
        ):
            providers_dir, root = path.parent, path.parent.parent
        files = []
        for provider in sorted(PROVIDERS):
            folder = providers_dir / provider / "models"
            if folder.is_dir():
                files.extend((provider, f) for f in sorted(folder.rglob("*.toml")))
        if not files and not providers_dir.is_dir():
            raise SourceError(
                f"No models.dev providers/ folder under {str(path)!r}. "
                "Point at the models.dev checkout."
            )
    base_cache: dict[str, dict[str, Any]] = {}
    home_done: set[str] = set()
    for provider, file in files:
        platform = PROVIDERS.get(provider)
        result.records += 1
        if platform is None:
            result.skipped += 1
            continue
        data = _load_toml(file)
        base_name = data.get("base_model")
        if isinstance(base_name, str):
            if base_name not in base_cache:
                base_file = root / "models" / f"{base_name}.toml"
                if not base_file.is_file():
                    raise SourceError(
                        f"{str(file)!r}: base_model {base_name!r} not found at {str(base_file)!r}."
                    )
                base_cache[base_name] = _load_toml(base_file)
            data = _merge(base_cache[base_name], data)
            for dotted in data.get("base_model_omit") or ():
                _omit(data, str(dotted))
        models_dir = file.parents[0]
        while models_dir.name != "models" and models_dir != models_dir.parent:
            models_dir = models_dir.parent
        raw_id = file.relative_to(models_dir).with_suffix("").as_posix()
        _convert(result, platform, raw_id, data, str(file), home_done)
    return _dedupe(result)


def _convert(
    result: ImportResult,
    platform: str,
    raw_id: str,
    data: dict[str, Any],
    where: str,
    home_done: set[str],
) -> None:
    """Add the records of one models.dev model (already merged with its base) to ``result``."""
    found = _identify(platform, raw_id)
    if found is None:
        result.skipped += 1
        return
    platform_id, model_id, maker = found
    cost = _table(data, "cost")
    limit = _table(data, "limit")
    modalities = _table(data, "modalities")
    inputs = [str(m) for m in modalities.get("input") or ()]
    prices = None
    if _float(cost.get("input")) is not None or _float(cost.get("output")) is not None:
        prices = Prices(
            input=_float(cost.get("input")),
            output=_float(cost.get("output")),
            cached_input=_float(cost.get("cache_read")),
        )
    status = str(data.get("status") or "")
    result.offerings.append(
        OfferingRecord(
            platform=platform,
            platform_id=platform_id,
            model=model_id,
            provider=maker,
            importer=NAME,
            state="deprecated" if status == "deprecated" else None,
            sources=(
                (Source(url=URL, title="models.dev (status: deprecated)", importer=NAME),)
                if status == "deprecated"
                else ()
            ),
            prices=prices,
        )
    )
    is_home = home_platform(maker) == platform or (maker == "google" and platform == "gemini-api")
    home_first = is_home and model_id not in home_done
    result.models.append(
        Model(
            id=model_id,
            provider=maker,
            name=str(data.get("name") or ""),
            family=str(data["family"]) if data.get("family") else None,
            released_on=plain_date(data.get("release_date"), where),
            capabilities=Capabilities(
                vision=("image" in inputs) if inputs else None,
                tools=_bool(data.get("tool_call")),
                structured_output=_bool(data.get("structured_output")),
                reasoning=_bool(data.get("reasoning")),
                audio=("audio" in inputs) if inputs else None,
            ),
            # Limits and prices differ between platforms: the model gets its maker's own.
            context_window=_positive(limit.get("context")) if home_first else None,
            max_output_tokens=_positive(limit.get("output")) if home_first else None,
            prices=prices if home_first else None,
        )
    )
    if is_home:
        home_done.add(model_id)


def detect_api_json(head: str) -> bool:
    """True when the start of a JSON document looks like models.dev's ``api.json``."""
    return head.lstrip().startswith("{") and '"models"' in head and '"npm"' in head


def load_api_json(path: Path) -> ImportResult:
    """Read models.dev's published ``api.json`` (providers keyed by id, each with ``models``)."""
    data = read_json(path, "Re-download api.json.")
    if not isinstance(data, dict):
        raise SourceError(f"{str(path)!r}: expected a JSON object of providers.")
    result = ImportResult(source=NAME, path=str(path), licence=LICENCE, url=URL)
    home_done: set[str] = set()
    for provider in sorted(data):
        entry = data[provider]
        models = entry.get("models") if isinstance(entry, dict) else None
        if not isinstance(models, dict):
            raise SourceError(f"{str(path)!r}: provider {provider!r} has no 'models' object.")
        platform = PROVIDERS.get(provider)
        for raw_id in sorted(models):
            result.records += 1
            model = models[raw_id]
            if platform is None or not isinstance(model, dict):
                result.skipped += 1
                continue
            _convert(result, platform, raw_id, model, f"{path} {provider}/{raw_id}", home_done)
    return _dedupe(result)
