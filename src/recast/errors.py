"""Every error recast raises on purpose.

The whole tree, so callers can catch at the level they need::

    * RecastError
      x CatalogError           - UnknownModelError, UnknownPlatformError, SourceError
      x ProviderError          (.platform, .model)
        + ProviderUnavailable  network, timeout; retryable
        + RateLimited          (.retry_after)
        + ProviderRejected     (.status, .body) - MissingKeyError
      x StoreError
      x ConfigError
      x ScanError
      x AuditionError          - BudgetExceeded, DatasetError

Messages say what went wrong, with the offending value, then how to fix it.
This module imports nothing, so every package (``catalog`` included) may use it.
"""

from __future__ import annotations


class RecastError(Exception):
    """Base class of every error recast raises on purpose."""


class CatalogError(RecastError):
    """The lifecycle catalog could not answer."""


class UnknownModelError(CatalogError):
    """No offering matches a model id; ``suggestions`` holds the closest known ids."""

    def __init__(self, text: str, suggestions: list[str] | None = None) -> None:
        self.text = text
        self.suggestions = list(suggestions or [])
        hint = ""
        if self.suggestions:
            hint = " Did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(
            f"Unknown model {text!r}.{hint} Run `recast models search {text}` to look it up."
        )


class UnknownPlatformError(CatalogError):
    """A platform name that recast does not know."""

    def __init__(self, platform: str, known: list[str] | None = None) -> None:
        self.platform = platform
        self.known = list(known or [])
        listing = ", ".join(self.known)
        super().__init__(
            f"Unknown platform {platform!r}." + (f" Known platforms: {listing}." if listing else "")
        )


class SourceError(CatalogError):
    """A lifecycle source file is missing, corrupt or partial."""


class CatalogVersionError(SourceError):
    """A compiled catalog file has another layout version than this recast reads."""


class ProviderError(RecastError):
    """A call to a model provider failed."""

    def __init__(self, message: str, *, platform: str = "", model: str = "") -> None:
        super().__init__(message)
        self.platform = platform
        self.model = model


class ProviderUnavailable(ProviderError):
    """Network failure or timeout: worth retrying."""


class RateLimited(ProviderError):
    """HTTP 429; ``retry_after`` is in seconds when the provider said."""

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        model: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, platform=platform, model=model)
        self.retry_after = retry_after


class ProviderRejected(ProviderError):
    """The provider answered with a 4xx/5xx that retrying will not fix."""

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        model: str = "",
        status: int = 0,
        body: str = "",
    ) -> None:
        super().__init__(message, platform=platform, model=model)
        self.status = status
        self.body = body


class MissingKeyError(ProviderRejected):
    """No API key was found for a platform."""


class StoreError(RecastError):
    """The store (SQLite or PostgreSQL) could not be opened, migrated or written."""


class ConfigError(RecastError):
    """A configuration file or option is invalid."""


class ScanError(RecastError):
    """A scan could not run (bad path, bad option)."""


class AuditionError(RecastError):
    """An audition could not run."""


class DatasetError(AuditionError):
    """A cases file could not be read."""


class BudgetExceeded(AuditionError):
    """An audition would spend more than ``--budget`` allows."""
