"""What every importer shares: the record types they produce and id normalisation.

An importer reads one source (a file or folder in that source's own format) and
returns an :class:`ImportResult`: partial :class:`~recast.catalog.Model` objects
(unknown fields left ``None``) and :class:`OfferingRecord` objects, whose
lifecycle fields are all optional so the compiler can tell "the source says
nothing" from "the source says active".

The id helpers here map every platform's spelling to the canonical model id
(``anthropic.claude-3-sonnet-20240229-v1:0`` on bedrock is model
``claude-3-sonnet-20240229``), so all importers group offerings the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from recast.catalog._model import LifecycleDate, Model, Prices, Replacement, Source, State
from recast.catalog._platforms import PLATFORMS, home_platform
from recast.errors import SourceError

__all__ = [
    "ImportResult",
    "OfferingRecord",
    "azure_model",
    "bedrock_model",
    "bedrock_provider",
    "infer_provider",
    "parse_date",
    "strip_bedrock_region",
    "vertex_model",
]


@dataclass
class OfferingRecord:
    """One source's facts about one offering; ``None`` means the source does not say."""

    platform: str
    platform_id: str
    model: str
    provider: str
    importer: str
    state: State | None = None
    announced_on: LifecycleDate | None = None
    deprecated_on: LifecycleDate | None = None
    shutdown_on: LifecycleDate | None = None
    replacements: tuple[Replacement, ...] = ()
    sources: tuple[Source, ...] = ()
    region: str | None = None
    prices: Prices | None = None  # what this platform charges
    #: Lifecycle facts the source says the provider does not publish (see ``Claim.denies``).
    denies: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str | None]:
        """Identity of the offering this record describes, as :attr:`Offering.key`."""
        return (self.platform, self.platform_id, self.region)


@dataclass
class ImportResult:
    """What one importer read from one source."""

    source: str  # importer name, e.g. "litellm"
    path: str
    models: list[Model] = field(default_factory=list)
    offerings: list[OfferingRecord] = field(default_factory=list)
    records: int = 0  # records read from the source (before filtering)
    skipped: int = 0  # records not imported (unknown platform, non-text mode, ...)
    licence: str = ""
    url: str = ""
    as_of: date | None = None  # when the source's prices were current (stamps Prices.as_of)

    def summary(self) -> dict[str, Any]:
        """Provenance entry for the catalog: where the source was read and what it gave."""
        return {
            "source": self.source,
            "path": self.path,
            "licence": self.licence,
            "url": self.url,
            "records": self.records,
            "skipped": self.skipped,
            "models": len(self.models),
            "offerings": len(self.offerings),
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


# --------------------------------------------------------------------------- dates

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(value: object, where: str, precision: str = "exact") -> LifecycleDate | None:
    """Turn a source's date (``date``, ``YYYY-MM-DD``, ``YYYY-MM``) into a LifecycleDate.

    ``YYYY-MM`` becomes precision ``month`` on the first of the month. Empty
    values give ``None``; anything else raises :class:`SourceError` naming ``where``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return LifecycleDate(value, precision)  # type: ignore[arg-type]
    text = str(value).strip()
    if not text:
        return None
    month = _MONTH.match(text)
    if month:
        return LifecycleDate(date(int(month.group(1)), int(month.group(2)), 1), "month")
    try:
        return LifecycleDate(date.fromisoformat(text[:10]), precision)  # type: ignore[arg-type]
    except ValueError:
        raise SourceError(
            f"{where}: {text!r} is not a date (expected YYYY-MM-DD). Fix or remove the value."
        ) from None


def plain_date(value: object, where: str) -> date | None:
    """Parse a day (``YYYY-MM-DD``) as :func:`parse_date` does, dropping the precision."""
    parsed = parse_date(value, where)
    return parsed.on if parsed else None


# --------------------------------------------------------------------------- providers

_PROVIDER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-3", "openai"),
    ("text-embedding-ada", "openai"),
    ("text-davinci", "openai"),
    ("text-curie", "openai"),
    ("text-babbage", "openai"),
    ("text-ada", "openai"),
    ("text-moderation", "openai"),
    ("omni-moderation", "openai"),
    ("davinci", "openai"),
    ("babbage", "openai"),
    ("curie", "openai"),
    ("code-davinci", "openai"),
    ("code-cushman", "openai"),
    ("dall-e", "openai"),
    ("whisper", "openai"),
    ("tts-", "openai"),
    ("codex", "openai"),
    ("computer-use", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("imagen", "google"),
    ("veo", "google"),
    ("text-embedding-004", "google"),
    ("text-embedding-005", "google"),
    ("text-multilingual-embedding", "google"),
    ("mistral", "mistral"),
    ("open-mistral", "mistral"),
    ("open-mixtral", "mistral"),
    ("open-codestral", "mistral"),
    ("mixtral", "mistral"),
    ("codestral", "mistral"),
    ("pixtral", "mistral"),
    ("ministral", "mistral"),
    ("magistral", "mistral"),
    ("devstral", "mistral"),
    ("voxtral", "mistral"),
    ("command", "cohere"),
    ("embed-", "cohere"),
    ("rerank", "cohere"),
    ("c4ai-", "cohere"),
    ("llama", "meta"),
    ("nova-", "amazon"),
    ("titan-", "amazon"),
    ("deepseek", "deepseek"),
    ("grok", "xai"),
    ("kimi", "moonshot"),
    ("moonshot", "moonshot"),
    ("qwen", "alibaba"),
    ("qwq", "alibaba"),
    ("glm", "z-ai"),
    ("minimax", "minimax"),
    ("abab", "minimax"),
    ("mimo", "xiaomi"),
    ("jamba", "ai21"),
    ("j2-", "ai21"),
)


def infer_provider(model_id: str) -> str | None:
    """Guess the maker of a model from its id (``claude-…`` is anthropic); ``None`` if unsure."""
    lowered = model_id.lower()
    for prefix, provider in _PROVIDER_PREFIXES:
        if lowered.startswith(prefix):
            return provider
    return None


#: Bedrock vendor prefixes (``anthropic.`` in ``anthropic.claude-…``) to makers.
BEDROCK_VENDORS: dict[str, str] = {
    "anthropic": "anthropic",
    "amazon": "amazon",
    "meta": "meta",
    "cohere": "cohere",
    "mistral": "mistral",
    "ai21": "ai21",
    "stability": "stability",
    "deepseek": "deepseek",
    "openai": "openai",
    "qwen": "alibaba",
    "writer": "writer",
    "twelvelabs": "twelvelabs",
    "moonshot": "moonshot",
    "moonshotai": "moonshot",
    "minimax": "minimax",
    "google": "google",
    "nvidia": "nvidia",
    "zai": "z-ai",
    "xai": "xai",
    "luma": "luma",
}

_BEDROCK_REGION = re.compile(r"^(us|eu|apac|global|au|jp|ca|us-gov|ap|sa|me|af|il|mx)\.")


def strip_bedrock_region(bedrock_id: str) -> tuple[str, str | None]:
    """Split ``us.anthropic.claude-…`` into (``anthropic.claude-…``, ``us``)."""
    match = _BEDROCK_REGION.match(bedrock_id)
    if match and bedrock_id.count(".") >= 2:
        return bedrock_id[match.end() :], match.group(1)
    return bedrock_id, None


def bedrock_provider(bedrock_id: str) -> str | None:
    """The maker behind a Bedrock id (``meta.llama3-…`` is meta); ``None`` if unknown."""
    vendor = bedrock_id.split(".", 1)[0]
    return BEDROCK_VENDORS.get(vendor)


_ANTHROPIC_LEGACY_BEDROCK = {
    "claude-v1": "claude-1.3",
    "claude-v2": "claude-2.0",
    "claude-v2:1": "claude-2.1",
    "claude-instant-v1": "claude-instant-1.2",
}


def bedrock_model(bedrock_id: str) -> str:
    """Canonical model id of a Bedrock id (region prefix already stripped).

    ``anthropic.claude-3-5-sonnet-20241022-v2:0`` -> ``claude-3-5-sonnet-20241022``;
    ``meta.llama3-70b-instruct-v1:0`` -> ``llama3-70b-instruct``;
    ``amazon.nova-reel-v1:1`` -> ``nova-reel-v1-1`` (distinct from ``nova-reel``).
    """
    vendor, _, rest = bedrock_id.partition(".")
    if not rest:
        return bedrock_id.lower()
    rest = rest.lower()
    if vendor == "anthropic":
        if rest in _ANTHROPIC_LEGACY_BEDROCK:
            return _ANTHROPIC_LEGACY_BEDROCK[rest]
        return re.sub(r"-v\d+(:\d+)?$", "", rest)
    rest = re.sub(r"-v1(:0)?$", "", rest)
    rest = re.sub(r":0$", "", rest)
    if vendor == "deepseek" and not rest.startswith("deepseek"):
        rest = f"deepseek-{rest}"  # deepseek.r1-v1:0 is DeepSeek's deepseek-r1
    return rest.replace(":", "-")


def vertex_model(vertex_id: str) -> str:
    """Canonical model id of a Vertex id.

    ``claude-3-5-sonnet-v2@20241022`` -> ``claude-3-5-sonnet-20241022``;
    ``mistral-large@2407`` -> ``mistral-large-2407``; ``gemini-1.5-pro-002`` unchanged;
    ``meta/llama3-70b-instruct-maas`` -> ``llama3-70b-instruct``.
    """
    text = vertex_id.lower()
    if "/models/" in text:
        text = text.rsplit("/models/", 1)[1]
    text = text.rsplit("/", 1)[-1]
    name, _, version = text.partition("@")
    if name.endswith("-maas"):
        name = name[: -len("-maas")]
    if version and re.fullmatch(r"\d{8}|\d{4}(-\d{3})?", version):
        if name.startswith("claude"):
            name = re.sub(r"-v\d+$", "", name)
        return f"{name}-{version.split('-')[0]}"
    return name


def azure_model(azure_name: str) -> str:
    """Canonical (OpenAI) id of an Azure OpenAI name.

    ``gpt-35-turbo-0613`` -> ``gpt-3.5-turbo-0613``: Azure spells gpt-3.5 as gpt-35.
    """
    text = azure_name.lower()
    return text.replace("gpt-35", "gpt-3.5")


def platform_for_provider(provider: str) -> str | None:
    """The maker's own platform, if recast knows it."""
    if provider == "google":
        return "gemini-api"
    platform = home_platform(provider)
    if platform is None and provider in PLATFORMS:
        return provider
    return platform


_SOURCE_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")


def snapshot_date(path: Path) -> date | None:
    """The snapshot date a ``SOURCE.txt`` beside (or above) ``path`` states, e.g. "(2026-07-02)"."""
    folder = path if path.is_dir() else path.parent
    for candidate in (folder, *folder.parents[:3]):
        note = candidate / "SOURCE.txt"
        if note.is_file():
            match = _SOURCE_DATE.search(note.read_text(encoding="utf-8", errors="replace"))
            return date.fromisoformat(match.group(1)) if match else None
    return None


def read_text(path: Path) -> str:
    """Read a source file as UTF-8; raise :class:`SourceError` naming it when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(f"Source file {str(path)!r} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"Source file {str(path)!r} cannot be read ({exc}).") from exc


def read_json(path: Path, fix: str) -> Any:
    """Read and parse a JSON source file.

    Raises :class:`SourceError` naming the file and the line of a syntax error; ``fix``
    (e.g. "Re-download the feed.") ends the message.
    """
    import json

    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{str(path)!r} line {exc.lineno}: invalid JSON ({exc.msg}). {fix}"
        ) from exc
