"""The platforms recast knows, and which provider's models each one serves by default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """Where models are served. ``home_of`` lists the providers whose own API this is."""

    name: str
    title: str
    home_of: tuple[str, ...] = ()
    deprecations_url: str = ""


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "openai", "OpenAI API", ("openai",), "https://platform.openai.com/docs/deprecations"
        ),
        Platform(
            "azure-openai",
            "Azure OpenAI",
            (),
            "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/concepts/model-retirements",
        ),
        Platform(
            "anthropic",
            "Anthropic API",
            ("anthropic",),
            "https://docs.anthropic.com/en/docs/resources/model-deprecations",
        ),
        Platform(
            "bedrock",
            "Amazon Bedrock",
            ("amazon",),
            "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html",
        ),
        Platform(
            "vertex",
            "Google Cloud Vertex AI",
            (),
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
        ),
        Platform(
            "gemini-api",
            "Gemini API",
            ("google",),
            "https://ai.google.dev/gemini-api/docs/deprecations",
        ),
        Platform(
            "mistral",
            "Mistral AI API",
            ("mistral",),
            "https://docs.mistral.ai/getting-started/models/models_overview/",
        ),
        Platform("openrouter", "OpenRouter"),
        Platform("cohere", "Cohere API", ("cohere",), "https://docs.cohere.com/docs/deprecations"),
        Platform("deepseek", "DeepSeek API", ("deepseek",)),
        Platform("xai", "xAI API", ("xai",)),
        Platform("moonshot", "Moonshot (Kimi) API", ("moonshot",)),
        Platform("alibaba", "Alibaba Cloud Model Studio", ("alibaba",)),
        Platform("minimax", "MiniMax API", ("minimax",)),
        Platform("z-ai", "Z.ai API", ("z-ai",)),
        Platform("xiaomi", "Xiaomi MiMo API", ("xiaomi",)),
        Platform("groq", "Groq", ()),
        Platform("together", "Together AI", ()),
        Platform("fireworks", "Fireworks AI", ()),
        # No provider: Ollama, llama.cpp, vLLM and LM Studio serve models you run yourself,
        # so no lifecycle applies. Scan reports such references as ``local``.
        Platform("local", "Local runtime (Ollama, llama.cpp, vLLM, LM Studio)"),
    )
}


_RANK = {name: index for index, name in enumerate(PLATFORMS)}


def platform_rank(platform: str) -> int:
    """Return the platform's position in :data:`PLATFORMS` (unknown platforms last).

    Every listing orders platforms this way: the makers' own APIs and the big clouds
    first, in a fixed order that does not change with the data.
    """
    return _RANK.get(platform, len(_RANK))


def check_platform(platform: str | None) -> str | None:
    """Return ``platform`` normalized (stripped, lower case), or ``None`` for ``None``.

    Raises :class:`~recast.errors.UnknownPlatformError` listing the known platforms, so a
    typo fails loudly instead of matching nothing.
    """
    if platform is None:
        return None
    name = platform.strip().lower()
    if name not in PLATFORMS:
        from recast.errors import UnknownPlatformError

        raise UnknownPlatformError(platform, sorted(PLATFORMS))
    return name


def home_platform(provider: str) -> str | None:
    """Return the platform that is ``provider``'s own API, if any."""
    for platform in PLATFORMS.values():
        if provider in platform.home_of:
            return platform.name
    return None
