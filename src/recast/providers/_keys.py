"""API keys: read from environment variables only, held in a wrapper that never prints them.

recast never writes a key anywhere: not to the cache, the store, logs or reports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from recast.errors import MissingKeyError

#: The environment variable holding each platform's key, when none is named explicitly.
KEY_ENV: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "azure-openai": "AZURE_OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "gemini-api": "GEMINI_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "groq": "GROQ_API_KEY",
    "together": "TOGETHER_API_KEY",
    "xai": "XAI_API_KEY",
    "fireworks": "FIREWORKS_API_KEY",
    "cohere": "COHERE_API_KEY",
    "moonshot": "MOONSHOT_API_KEY",
    "openai-compatible": "OPENAI_COMPATIBLE_API_KEY",
}


class Secret:
    """A secret string whose ``repr`` and ``str`` are masked; :meth:`reveal` returns it.

    Equality compares the hidden values, hashing is deliberately unsupported so a
    secret cannot end up as a dict key in something that gets serialised.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself; only ever put it in a request header."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __format__(self, spec: str) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("recast Secrets cannot be pickled")


def key_env_for(platform: str, api_key_env: str | None = None) -> str | None:
    """Return the variable a platform's key is read from (``api_key_env`` wins)."""
    return api_key_env or KEY_ENV.get(platform)


def get_key(
    platform: str,
    api_key_env: str | None = None,
    *,
    required: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Secret | None:
    """Return the key for ``platform`` from the environment.

    ``api_key_env`` names the variable explicitly; otherwise the platform default
    from :data:`KEY_ENV` is used. Raise :class:`MissingKeyError` naming the variable
    when the key is required and missing; return ``None`` when it is optional.
    """
    env = os.environ if environ is None else environ
    variable = key_env_for(platform, api_key_env)
    value = env.get(variable, "").strip() if variable else ""
    if value:
        return Secret(value)
    if not required:
        return None
    if variable:
        how = f"Set {variable} in the environment"
        if not api_key_env:
            how += " (or name another variable with api_key_env)"
    else:
        how = "Name the variable holding its key with api_key_env"
    raise MissingKeyError(
        f"No API key for platform {platform!r}. {how}.",
        platform=platform,
        status=0,
        body="",
    )
