"""The gateway's YAML configuration, validated with pydantic.

A broken file raises :class:`recast.errors.ConfigError` whose message names the file and
the path of each bad field (``routes.gpt-4o.canary.percent: Input should be less than or
equal to 100``). See ``docs/gateway.md`` for the full reference.
"""

from __future__ import annotations

import fnmatch
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recast.errors import ConfigError

UpstreamKind = Literal["openai", "anthropic", "azure"]
Policy = Literal["warn", "redirect", "block"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(_Strict):
    """Seconds: ``connect`` to open a connection, ``read`` to wait for the head or any chunk."""

    connect: float = Field(10.0, gt=0)
    read: float = Field(120.0, gt=0)


class UpstreamConfig(_Strict):
    """Where requests go: one OpenAI-compatible, Anthropic or Azure OpenAI endpoint."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    base_url: str
    kind: UpstreamKind = "openai"
    api_key_env: str | None = None
    models: list[str] = Field(default_factory=lambda: ["*"])
    timeouts: Timeouts = Field(default_factory=lambda: Timeouts.model_validate({}))
    concurrency: int = Field(256, ge=1, le=100_000)
    api_version: str | None = None  # azure: appended as ?api-version=

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL such as https://api.openai.com/v1")
        return value.rstrip("/")

    def serves(self, model: str) -> bool:
        """Whether this upstream's ``models`` patterns (shell globs) match ``model``."""
        return any(fnmatch.fnmatchcase(model, pattern) for pattern in self.models)

    def api_key(self) -> str | None:
        """The key from the environment variable, read at call time (never stored)."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class Target(_Strict):
    """A model, optionally pinned to one upstream by name."""

    model: str = Field(min_length=1)
    upstream: str | None = None


def _target(value: Any) -> Any:
    if isinstance(value, str):
        model, _, upstream = value.partition("@")
        return {"model": model, "upstream": upstream or None}
    return value


class Canary(_Strict):
    """Send ``percent`` of this model's traffic to ``model`` (sticky per user/session key)."""

    model: str = Field(min_length=1)
    percent: float = Field(ge=0, le=100)


class Shadow(_Strict):
    """Mirror a ``rate`` (0..1) of requests to each candidate model, in the background."""

    models: list[str] = Field(min_length=1)
    rate: float = Field(ge=0, le=1)


class LifecycleOverride(_Strict):
    """Lifecycle facts for a model the catalog does not know (or to override it)."""

    deprecated_on: date | None = None
    shutdown_on: date | None = None
    replacement: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _order(self) -> LifecycleOverride:
        if self.deprecated_on and self.shutdown_on and self.shutdown_on < self.deprecated_on:
            raise ValueError("shutdown_on must not be earlier than deprecated_on")
        return self


class Route(_Strict):
    """What happens to requests for one requested model."""

    alias: str | None = None
    policy: Policy = "warn"
    redirect_on: date | None = None
    replacement: str | None = None
    canary: Canary | None = None
    shadow: Shadow | None = None
    fallbacks: list[Target] = Field(default_factory=list)
    lifecycle: LifecycleOverride | None = None
    upstream: str | None = None

    @field_validator("fallbacks", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_target(item) for item in value]
        return value


class CaptureConfig(_Strict):
    """Traffic capture into the store."""

    enabled: bool = True
    store: str | None = None  # default: sqlite in RECAST_HOME
    queue_size: int = Field(10_000, ge=1)
    #: Exchanges per hand-over to the capture processes. Larger batches cost the serving
    #: worker less per request (alternating runs at c=64: 50 > 200 > 500 ≈ 1000 in worker
    #: CPU per request).
    batch_size: int = Field(500, ge=1)
    #: How long a part-filled batch waits for more before it goes to the writers, so
    #: light traffic reaches the store within a fraction of a second.
    batch_wait_ms: int = Field(50, ge=1, le=60_000)
    buffer_mb: int = Field(256, ge=1)
    redact_patterns: list[str] = Field(default_factory=list)
    redact_fields: list[str] = Field(default_factory=list)
    retention_days: int | None = Field(None, ge=1)
    max_exchanges: int | None = Field(None, ge=1)
    max_body_bytes: int = Field(1 << 20, ge=1024)

    @field_validator("redact_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return value


class AccessConfig(_Strict):
    """Who may call the gateway."""

    require_key: bool = True


class LimitsConfig(_Strict):
    """Request limits."""

    max_request_bytes: int = Field(8 << 20, ge=1024)


class ShadowLimits(_Strict):
    """Bounds on background shadow traffic."""

    max_in_flight: int = Field(64, ge=1)


class GatewayConfig(_Strict):
    """The whole file."""

    upstreams: list[UpstreamConfig] = Field(min_length=1)
    routes: dict[str, Route] = Field(default_factory=dict)
    capture: CaptureConfig = Field(default_factory=lambda: CaptureConfig.model_validate({}))
    access: AccessConfig = Field(default_factory=lambda: AccessConfig.model_validate({}))
    limits: LimitsConfig = Field(default_factory=lambda: LimitsConfig.model_validate({}))
    shadow: ShadowLimits = Field(default_factory=lambda: ShadowLimits.model_validate({}))
    catalog_lifecycles: bool = True
    log_interval_s: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _references(self) -> GatewayConfig:
        names = [u.name for u in self.upstreams]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"upstream names must be unique; repeated: {', '.join(dupes)}")
        known = set(names)
        for model, route in self.routes.items():
            pinned = [route.upstream] + [t.upstream for t in route.fallbacks]
            for name in pinned:
                if name is not None and name not in known:
                    raise ValueError(
                        f"routes.{model} names upstream {name!r}, which is not defined "
                        f"(defined: {', '.join(names)})"
                    )
            if route.policy == "block" and route.alias:
                raise ValueError(f"routes.{model}: policy 'block' and 'alias' exclude each other")
        return self

    def upstream(self, name: str) -> UpstreamConfig:
        for upstream in self.upstreams:
            if upstream.name == name:
                return upstream
        raise KeyError(name)

    def upstream_for(self, model: str) -> UpstreamConfig | None:
        """The first upstream whose ``models`` patterns match ``model``."""
        for upstream in self.upstreams:
            if upstream.serves(model):
                return upstream
        return None


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        message = message.removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)


def parse_config(data: Any, source: str = "<config>") -> GatewayConfig:
    """Validate an already-parsed YAML document."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the gateway config must be a mapping with 'upstreams' and 'routes', "
            f"got {type(data).__name__}."
        )
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_format_errors(exc)}. See docs/gateway.md.") from exc


def load_config(path: str | Path) -> GatewayConfig:
    """Read and validate a gateway config file; raise ConfigError naming the bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read gateway config {str(path)!r}: {exc.strerror}.") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    return parse_config(data, str(path))
