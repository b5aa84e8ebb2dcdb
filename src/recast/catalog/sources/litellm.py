"""Importer for LiteLLM's ``model_prices_and_context_window.json``: prices, limits, shutdown dates.

Each key is a model as LiteLLM routes it (``gpt-4o``, ``azure/gpt-4o-2024-05-13``,
``anthropic.claude-…``, ``us.anthropic.claude-…``, ``vertex_ai/claude-…@…``,
``gemini/gemini-…``, ``mistral/…``). Only ``chat``, ``completion``, ``responses``
and ``embedding`` modes are read. ``litellm_provider`` picks the platform;
providers recast has no platform for are skipped. Region-prefixed Bedrock keys
(``us.``, ``eu.``, ``apac.``, ``global.``…) fold into the base offering, and
per-region or commitment pricing keys (``bedrock/us-east-1/…``, ``azure/eu/…``)
are skipped.

``deprecation_date`` is in practice the day the model stops answering, so it
becomes ``shutdown_on`` (exact); ``successor_model`` becomes a replacement and
``deprecation_source`` its source. Prices are USD per 1M tokens
(``input_cost_per_token`` × 1e6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recast.catalog._model import Capabilities, Model, Prices, Replacement, Source
from recast.catalog._platforms import home_platform
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    azure_model,
    bedrock_model,
    bedrock_provider,
    infer_provider,
    parse_date,
    read_json,
    strip_bedrock_region,
    vertex_model,
)
from recast.errors import SourceError

NAME = "litellm"
LICENCE = "MIT"
URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"

MODES = ("chat", "completion", "responses", "embedding")

#: litellm_provider -> recast platform (vertex_ai-* handled by prefix).
PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure-openai",
    "azure_text": "azure-openai",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "vertex_ai": "vertex",
    "gemini": "gemini-api",
    "mistral": "mistral",
    "codestral": "mistral",
    "openrouter": "openrouter",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "xai": "xai",
    "moonshot": "moonshot",
    "dashscope": "alibaba",
    "minimax": "minimax",
    "zai": "z-ai",
    "xiaomi_mimo": "xiaomi",
}
# Hosts that serve other makers' open-weight models (groq, together_ai, fireworks_ai) are
# not imported: their ids are host-specific spellings with no lifecycle data.

_ROUTES = {
    "openai",
    "azure",
    "azure_text",
    "anthropic",
    "bedrock",
    "bedrock_converse",
    "vertex_ai",
    "gemini",
    "mistral",
    "codestral",
    "openrouter",
    "cohere",
    "cohere_chat",
    "deepseek",
    "xai",
    "moonshot",
    "dashscope",
    "minimax",
    "zai",
    "xiaomi_mimo",
    "groq",
    "together_ai",
    "fireworks_ai",
    "text-completion-openai",
}
_HOSTS = ("openrouter",)
#: Platforms whose unprefixed ids all belong to the platform's own maker.
_HOME_MAKERS = {
    "cohere": "cohere",
    "deepseek": "deepseek",
    "xai": "xai",
    "moonshot": "moonshot",
    "minimax": "minimax",
    "z-ai": "z-ai",
    "xiaomi": "xiaomi",
    "alibaba": "alibaba",
    "mistral": "mistral",
}


def detect(path: Path) -> bool:
    """True for a JSON object whose values carry ``litellm_provider``."""
    if path.is_dir():
        return (path / "model_prices_and_context_window.json").is_file()
    if path.suffix != ".json":
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(65536)
    return head.lstrip().startswith("{") and '"litellm_provider"' in head


def platform_of(litellm_provider: str) -> str | None:
    """The recast platform of a ``litellm_provider`` value, or ``None`` when recast has none."""
    if litellm_provider.startswith("vertex_ai"):
        return "vertex"
    return PROVIDERS.get(litellm_provider)


def _strip_route(key: str) -> str:
    head, sep, rest = key.partition("/")
    if sep and head in _ROUTES:
        return rest
    return key


def _per_million(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value) * 1_000_000, 6)
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def identify(key: str, platform: str) -> tuple[str, str, str, str | None] | None:
    """(platform_id, model id, maker, region prefix) for a LiteLLM key, or ``None`` to skip."""
    name = _strip_route(key)
    if platform == "bedrock":
        if "/" in name:  # bedrock/<region>/… and commitment pricing
            return None
        base, region = strip_bedrock_region(name)
        maker = bedrock_provider(base)
        if maker is None:
            return None
        return base, bedrock_model(base), maker, region
    if platform == "vertex":
        if "@default" in name or "@latest" in name:
            return None
        model = vertex_model(name)
        vendor = name.split("/", 1)[0] if "/" in name else ""
        maker = infer_provider(model) or (bedrock_provider(vendor + ".x") if vendor else None)
        if maker is None:
            return None
        return name, model, maker, None
    if platform == "azure-openai":
        if "/" in name:  # azure/eu/…, azure/us/…, azure/global/… data-zone pricing
            return None
        model = azure_model(name)
        if infer_provider(model) != "openai":
            return None
        return name, model, "openai", None
    if platform in _HOSTS:
        tail = name.rsplit("/", 1)[-1].lower()
        vendor = name.split("/", 1)[0].lower() if "/" in name else ""
        maker = infer_provider(tail) or (bedrock_provider(vendor + ".x") if vendor else None)
        if maker is None:
            return None
        return name, tail, maker, None
    if "/" in name or name.startswith("ft:"):
        return None
    model = name.lower()
    maker = infer_provider(model) or _HOME_MAKERS.get(platform)
    if maker is None:
        return None
    return name, model, maker, None


def load(path: Path) -> ImportResult:
    """Read LiteLLM's JSON (the file, or a folder holding it)."""
    file = path / "model_prices_and_context_window.json" if path.is_dir() else path
    data = read_json(file, "Re-download LiteLLM's model_prices_and_context_window.json.")
    if not isinstance(data, dict):
        raise SourceError(f"{str(file)!r}: expected a JSON object keyed by model.")
    result = ImportResult(source=NAME, path=str(file), licence=LICENCE, url=URL)
    chosen: dict[tuple[str, str], tuple[int, str, dict[str, Any], tuple[str, str, str]]] = {}
    for key in sorted(data):
        entry = data[key]
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        result.records += 1
        platform = platform_of(str(entry.get("litellm_provider") or ""))
        if platform is None or entry.get("mode") not in MODES:
            result.skipped += 1
            continue
        found = identify(key, platform)
        if found is None:
            result.skipped += 1
            continue
        platform_id, model, maker, region = found
        # Prefer the plain key over region-prefixed copies of the same offering.
        rank = 1 if region else 0
        slot = (platform, platform_id.lower())
        if slot in chosen and chosen[slot][0] <= rank:
            continue
        chosen[slot] = (rank, key, entry, (platform_id, model, maker))

    home_done: set[str] = set()
    for (platform, _), (_, key, entry, (platform_id, model, maker)) in sorted(chosen.items()):
        where = f"{file} key {key!r}"
        prices = None
        input_price = _per_million(entry.get("input_cost_per_token"))
        output_price = _per_million(entry.get("output_cost_per_token"))
        if input_price is not None or output_price is not None:
            prices = Prices(
                input=input_price,
                output=output_price,
                cached_input=_per_million(entry.get("cache_read_input_token_cost")),
            )
        shutdown = parse_date(entry.get("deprecation_date"), where)
        source_url = str(entry.get("deprecation_source") or "")
        replacements: tuple[Replacement, ...] = ()
        successor = entry.get("successor_model")
        if isinstance(successor, str) and successor.strip():
            succ = successor.strip()
            found = identify(succ, platform)
            replacements = (
                Replacement(
                    model=found[1] if found else _strip_route(succ).lower(),
                    recommended=True,
                    source_url=source_url or URL,
                ),
            )
        sources: tuple[Source, ...] = ()
        if shutdown is not None or replacements:  # a lifecycle fact: say where it is from
            sources = (
                Source(
                    url=source_url or URL,
                    title="LiteLLM model_prices_and_context_window.json"
                    if not source_url
                    else "Provider deprecation page (via LiteLLM)",
                    importer=NAME,
                ),
            )
        result.offerings.append(
            OfferingRecord(
                platform=platform,
                platform_id=platform_id,
                model=model,
                provider=maker,
                importer=NAME,
                shutdown_on=shutdown,
                replacements=replacements,
                sources=sources,
                prices=prices,
            )
        )
        is_home = home_platform(maker) == platform or (
            maker == "google" and platform == "gemini-api"
        )
        if is_home and model not in home_done:
            home_done.add(model)
            result.models.append(
                Model(
                    id=model,
                    provider=maker,
                    capabilities=Capabilities(
                        vision=_bool(entry.get("supports_vision")),
                        tools=_bool(entry.get("supports_function_calling")),
                        structured_output=_bool(entry.get("supports_response_schema")),
                        reasoning=_bool(entry.get("supports_reasoning")),
                        audio=_bool(entry.get("supports_audio_input")),
                    ),
                    context_window=_int(entry.get("max_input_tokens")),
                    max_output_tokens=_int(entry.get("max_output_tokens")),
                    prices=prices,
                )
            )
    return result
