"""Importer for the deprecations.info feed (``docs/v1/deprecations.json`` of deprecations-rss).

The feed is a JSON list of announcements scraped from the providers' pages:
``provider`` (display name), ``model_id``, ``announcement_date``,
``shutdown_date``, ``replacement_model`` (free text), ``url`` (the provider's
page, with an anchor) and ``scraped_at``. It gives ``announced_on`` dates and
provider-page sources the other sources lack.

Mapping: OpenAI -> openai, Anthropic -> anthropic, Google -> gemini-api (only
entries with a shutdown date: the changelog also lists releases), AWS Bedrock
-> bedrock (display names mapped to Bedrock ids below), Cohere -> cohere.
Azure entries are Azure AI Foundry models (not Azure OpenAI) and Google Vertex
entries are SDK features, so both are skipped.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from recast.catalog._model import Model, Replacement, Source
from recast.catalog.sources._common import (
    ImportResult,
    OfferingRecord,
    bedrock_model,
    bedrock_provider,
    infer_provider,
    parse_date,
    read_json,
)
from recast.errors import SourceError

NAME = "deprecations.info"
LICENCE = "MIT"
URL = "https://deprecations.info/v1/deprecations.json"

_PLATFORMS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini-api",
    "aws bedrock": "bedrock",
    "cohere": "cohere",
}

#: Bedrock model-lifecycle display names -> Bedrock model ids.
BEDROCK_NAMES: dict[str, str] = {
    "claude 3 opus": "anthropic.claude-3-opus-20240229-v1:0",
    "claude opus 4": "anthropic.claude-opus-4-20250514-v1:0",
    "claude opus 4.1": "anthropic.claude-opus-4-1-20250805-v1:0",
    "claude sonnet 4": "anthropic.claude-sonnet-4-20250514-v1:0",
    "claude sonnet 4.5": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "claude 3.5 sonnet v1": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "claude 3.5 sonnet v2": "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "claude 3.7 sonnet": "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude 3 sonnet": "anthropic.claude-3-sonnet-20240229-v1:0",
    "claude 3 haiku": "anthropic.claude-3-haiku-20240307-v1:0",
    "claude v1.3": "anthropic.claude-v1",
    "claude v2": "anthropic.claude-v2",
    "claude v2.1": "anthropic.claude-v2:1",
    "claude instant": "anthropic.claude-instant-v1",
    "cohere command": "cohere.command-text-v14",
    "cohere command light": "cohere.command-light-text-v14",
    "cohere command r": "cohere.command-r-v1:0",
    "cohere command r+": "cohere.command-r-plus-v1:0",
    "meta llama 2 13b-chat-v1": "meta.llama2-13b-chat-v1",
    "meta llama 2 70b-chat-v1": "meta.llama2-70b-chat-v1",
    "meta llama 2-13b": "meta.llama2-13b-v1",
    "meta llama 2-70b": "meta.llama2-70b-v1",
    "ai21 j2 mid-v1": "ai21.j2-mid-v1",
    "ai21 j2 ultra-v1": "ai21.j2-ultra-v1",
    "ai21 j2-grande-instruct": "ai21.j2-grande-instruct",
    "ai21 j2 jumbo-instruct": "ai21.j2-jumbo-instruct",
    "ai21 jamba-instruct": "ai21.jamba-instruct-v1:0",
    "ai21 jamba 1.5 mini": "ai21.jamba-1-5-mini-v1:0",
    "ai21 jamba 1.5 large": "ai21.jamba-1-5-large-v1:0",
    "amazon titan text g1 - premier": "amazon.titan-text-premier-v1:0",
    "amazon titan text g1 - express": "amazon.titan-text-express-v1",
    "amazon titan text g1 - lite": "amazon.titan-text-lite-v1",
    "amazon titan image generator g1 v1": "amazon.titan-image-generator-v1",
    "amazon nova pro": "amazon.nova-pro-v1:0",
    "amazon nova lite": "amazon.nova-lite-v1:0",
    "amazon nova micro": "amazon.nova-micro-v1:0",
    "amazon nova canvas": "amazon.nova-canvas-v1:0",
    "stable diffusion xl 1.0": "stability.stable-diffusion-xl-v1",
    "stable diffusion xl 0.8": "stability.stable-diffusion-xl-v0",
    "stability image core v1": "stability.stable-image-core-v1:0",
    "stability 3 large": "stability.sd3-large-v1:0",
    "stability image ultra v1": "stability.stable-image-ultra-v1:0",
}

_ANTHROPIC_NAMES = {
    "claude sonnet 4.5": "claude-sonnet-4-5-20250929",
    "claude opus 4.1": "claude-opus-4-1-20250805",
}
_SPLIT = re.compile(r",\s*|\s+or\s+|\s+and\s+")
_ID = re.compile(r"^[a-z0-9][a-z0-9.:_-]*$")


def detect(path: Path) -> bool:
    """True for the feed's JSON file, or a folder holding ``docs/v1/deprecations.json``."""
    if path.is_dir():
        return (path / "docs" / "v1" / "deprecations.json").is_file() or (
            path / "deprecations.json"
        ).is_file()
    if path.suffix != ".json":
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    return head.lstrip().startswith("[") and '"shutdown_date"' in head


def _feed_file(path: Path) -> Path:
    if path.is_file():
        return path
    for candidate in (path / "docs" / "v1" / "deprecations.json", path / "deprecations.json"):
        if candidate.is_file():
            return candidate
    raise SourceError(f"No deprecations.json under {str(path)!r}.")


def _split_ids(text: str, platform: str) -> list[str]:
    """Model ids in a free-text replacement field ("gpt-5orgpt-4.1*" -> gpt-5, gpt-4.1)."""
    out: list[str] = []
    for piece in _SPLIT.split(text.replace("*", "").strip()):
        piece = piece.strip().lower()
        if not piece:
            continue
        if platform == "bedrock":
            bedrock_id = BEDROCK_NAMES.get(piece)
            if bedrock_id:
                out.append(bedrock_model(bedrock_id))
            continue
        if piece in _ANTHROPIC_NAMES:
            out.append(_ANTHROPIC_NAMES[piece])
            continue
        if not _ID.match(piece):
            continue
        if "or" in piece and infer_provider(piece):
            parts = piece.split("or")
            if len(parts) > 1 and all(_ID.match(p) and infer_provider(p) for p in parts):
                out.extend(parts)
                continue
        out.append(piece)
    return out


def _model_ids(entry: dict[str, Any], platform: str) -> list[tuple[str, str, str]]:
    """(platform_id, model id, maker) for each model an entry covers."""
    raw = str(entry.get("model_id") or "").strip()
    if platform == "bedrock":
        bedrock_id = BEDROCK_NAMES.get(raw.lower())
        if bedrock_id is None:
            return []
        return [(bedrock_id, bedrock_model(bedrock_id), bedrock_provider(bedrock_id) or "amazon")]
    out = []
    for piece in raw.split(","):
        model = piece.strip().lower()
        if not _ID.match(model) or "finetuned" in model:
            continue
        maker = infer_provider(model)
        if maker is None:
            continue
        out.append((model, model, maker))
    return out


def load(path: Path) -> ImportResult:
    """Read the deprecations.info feed (file or checkout folder)."""
    file = _feed_file(path)
    feed = read_json(file, "Re-download the feed.")
    if not isinstance(feed, list):
        raise SourceError(f"{str(file)!r}: expected a JSON list of deprecations.")
    result = ImportResult(source=NAME, path=str(file), licence=LICENCE, url=URL)
    for index, entry in enumerate(feed):
        where = f"{file} entry {index}"
        if not isinstance(entry, dict) or "provider" not in entry or "model_id" not in entry:
            raise SourceError(f"{where}: not a deprecation record (needs provider, model_id).")
        result.records += 1
        platform = _PLATFORMS.get(str(entry["provider"]).strip().lower())
        shutdown = parse_date(entry.get("shutdown_date"), where)
        if platform is None or (platform == "gemini-api" and shutdown is None):
            result.skipped += 1
            continue
        ids = _model_ids(entry, platform)
        if not ids:
            result.skipped += 1
            continue
        url = str(entry.get("url") or "")
        scraped = str(entry.get("scraped_at") or "")[:10]
        accessed = date.fromisoformat(scraped) if scraped else None
        sources = (
            (
                Source(
                    url=url,
                    title=f"{entry['provider']} deprecations (via deprecations.info)",
                    accessed_on=accessed,
                    importer=NAME,
                ),
            )
            if url
            else ()
        )
        replacement_ids = _split_ids(str(entry.get("replacement_model") or ""), platform)
        replacements = tuple(
            Replacement(model=rep, recommended=i == 0, source_url=url)
            for i, rep in enumerate(replacement_ids)
        )
        announced = parse_date(entry.get("announcement_date"), where)
        for platform_id, model, maker in ids:
            result.models.append(Model(id=model, provider=maker))
            result.offerings.append(
                OfferingRecord(
                    platform=platform,
                    platform_id=platform_id,
                    model=model,
                    provider=maker,
                    importer=NAME,
                    announced_on=announced,
                    shutdown_on=shutdown,
                    replacements=replacements,
                    sources=sources,
                )
            )
    return result
