"""The watch configuration: ``[watch]`` in ``recast.toml`` or ``[tool.recast.watch]``.

Validated with pydantic (strict: an unknown key is an error naming its path), the way the
gateway validates its YAML. Credentials are never in the file: every channel names the
environment variable that holds its webhook URL, token or password, and the variable is
read when the alert is sent, so a missing one fails that channel alone.

Example::

    [watch]
    paths = ["src", "config"]          # scanned each run (relative to this file)
    models = ["gpt-4o", "claude-3-sonnet-20240229@bedrock"]
    traffic_days = 30                  # gateway traffic in the store; 0 turns it off
    horizons = [90, 30, 7, 1]

    [[watch.channels]]
    type = "slack"                     # url from $SLACK_WEBHOOK_URL
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recast.errors import ConfigError

#: Days before each platform's shutdown at which an alert goes out (and a VALARM fires).
DEFAULT_HORIZONS = (90, 30, 7, 1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Channel(_Strict):
    #: Unique per config; the store records deliveries by it. Default: the type.
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    timeout: float = Field(15.0, gt=0, le=300)


class SlackChannel(_Channel):
    """A Slack incoming webhook (Block Kit message)."""

    type: Literal["slack"]
    url_env: str = "SLACK_WEBHOOK_URL"


class TeamsChannel(_Channel):
    """A Microsoft Teams Workflows webhook ("When a Teams webhook request is received")."""

    type: Literal["teams"]
    url_env: str = "TEAMS_WEBHOOK_URL"


class DiscordChannel(_Channel):
    """A Discord channel webhook (embeds)."""

    type: Literal["discord"]
    url_env: str = "DISCORD_WEBHOOK_URL"


class WebhookChannel(_Channel):
    """Any HTTP endpoint: JSON, signed with HMAC-SHA256 over the timestamp and body."""

    type: Literal["webhook"]
    url_env: str = "RECAST_WEBHOOK_URL"
    secret_env: str = "RECAST_WEBHOOK_SECRET"


class EmailChannel(_Channel):
    """E-mail over SMTP: a plain-text and an HTML part."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password_env: str | None = None
    #: A CA bundle to trust for the server's certificate (a private relay's own CA).
    ca_file: str | None = None

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if "@" not in a]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an e-mail address")
        return value

    @property
    def effective_port(self) -> int:
        """The port given, else 587 for STARTTLS, 465 for SSL, 25 for none."""
        if self.port is not None:
            return self.port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class GitHubChannel(_Channel):
    """One GitHub issue per model (updated, closed when off the watch set), plus a dashboard."""

    type: Literal["github"]
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    token_env: str = "GITHUB_TOKEN"
    api_url: str = Field("https://api.github.com", pattern=r"^https?://[^/\s]+")
    labels: list[str] = Field(default_factory=lambda: ["recast-watch"])
    dashboard: bool = False
    close: bool = True


class StdoutChannel(_Channel):
    """The alerts as text on stdout (``--format json``: the whole run as JSON), for CI."""

    type: Literal["stdout"]


ChannelConfig = Annotated[
    SlackChannel
    | TeamsChannel
    | DiscordChannel
    | WebhookChannel
    | EmailChannel
    | GitHubChannel
    | StdoutChannel,
    Field(discriminator="type"),
]

CHANNEL_TYPES = ("slack", "teams", "discord", "webhook", "email", "github", "stdout")


class WatchConfig(_Strict):
    """Everything ``recast watch`` and ``recast plan`` read from the config file."""

    paths: list[str] = Field(default_factory=list)
    scan_json: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    traffic_days: int = Field(30, ge=0, le=3660)
    horizons: list[int] = Field(default_factory=lambda: list(DEFAULT_HORIZONS), min_length=1)
    store: str | None = None
    channels: list[ChannelConfig] = Field(default_factory=list)
    #: The file this came from and its folder (paths are relative to it); not in the file.
    source: str = Field("", exclude=True)
    base: str = Field("", exclude=True)

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, value: list[int]) -> list[int]:
        if any(h < 0 for h in value):
            raise ValueError("horizons are days before a shutdown and must be >= 0")
        return sorted(set(value), reverse=True)

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        names = [c.name or c.type for c in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"channel names must be unique; {dupes[0]!r} is used twice (give one a name)"
            )
        return value

    def channel_name(self, channel: Any) -> str:
        """The name deliveries are recorded under: ``name``, else the type."""
        return str(channel.name or channel.type)

    def resolve_path(self, path: str) -> str:
        """``path`` relative to the config file's folder (absolute paths stay)."""
        if not self.base or os.path.isabs(path):
            return path
        return os.path.normpath(os.path.join(self.base, path))


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        parts.append(f"watch.{where}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def parse_watch_config(table: Any, source: str = "<config>", base: str = "") -> WatchConfig:
    """Validate one ``[watch]`` table; every problem is a one-line :class:`ConfigError`."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [watch] must be a table, got {type(table).__name__}.")
    try:
        config = WatchConfig.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_format_errors(exc)}. See docs/watch.md.") from exc
    return config.model_copy(update={"source": source, "base": base})


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except FileNotFoundError as exc:
        raise ConfigError(f"Watch config {str(path)!r} does not exist.") from exc
    except OSError as exc:
        raise ConfigError(f"Watch config {str(path)!r} is unreadable ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Watch config {str(path)!r} is not valid TOML ({exc}).") from exc


def _watch_table(data: dict[str, Any]) -> Any:
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("recast"), dict):
        nested = tool["recast"].get("watch")
        if nested is not None:
            return nested
    return data.get("watch")


def read_watch_config(path: str | os.PathLike[str]) -> WatchConfig:
    """Read ``[watch]`` (or ``[tool.recast.watch]``) from a TOML file; empty if it has none."""
    file = Path(path)
    table = _watch_table(_load_toml(file))
    if table is None:
        table = {}
    return parse_watch_config(table, str(file), str(file.parent.resolve()))


def find_watch_config(start: str | os.PathLike[str] = ".") -> Path | None:
    """The nearest ``recast.toml`` or ``pyproject.toml`` with a watch table, at or above
    ``start``; the search stops at the repository root (a folder with ``.git``)."""
    folder = Path(start).resolve()
    if folder.is_file():
        folder = folder.parent
    while True:
        for name in ("recast.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file():
                try:
                    text = candidate.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = ""
                if "[watch" in text or "[tool.recast.watch" in text:
                    return candidate
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def load_watch_config(
    path: str | os.PathLike[str] | None = None,
    start: str | os.PathLike[str] = ".",
    *,
    models: Sequence[str] = (),
    paths: Sequence[str] = (),
    scan_json: Sequence[str] = (),
) -> WatchConfig:
    """Read ``path``, else the nearest config with a watch table, else the defaults; then
    add the ``models``, ``paths`` and ``scan_json`` given on the command line."""
    if path is not None:
        config = read_watch_config(path)
    else:
        found = find_watch_config(start)
        config = read_watch_config(found) if found else WatchConfig.model_validate({})
    if not (models or paths or scan_json):
        return config
    return config.model_copy(
        update={
            "models": [*config.models, *models],
            "paths": [*config.paths, *paths],
            "scan_json": [*config.scan_json, *scan_json],
        }
    )
