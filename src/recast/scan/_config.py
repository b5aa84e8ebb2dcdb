"""Scan configuration: ``[tool.recast]`` in ``pyproject.toml`` or a ``recast.toml``, validated.

Keys (all optional)::

    [tool.recast]                     # or top level of recast.toml
    exclude = ["legacy/**", "*.snap"] # gitignore-style globs, relative to the config's folder
    include_vendored = false
    include_docs = true               # Markdown/RST prose and docstrings
    include_comments = true
    platform = "bedrock"              # hint for every file (the id's own form still wins)
    fail_on = "retired"               # retired | deprecated | legacy | unknown
    fail_within = "90d"               # also fail on shutdowns this close (or an int of days)
    max_file_mb = 5

    [tool.recast.platforms]           # platform hints per glob (first match wins), relative
                                      # to the config file's folder like exclude
    "infra/bedrock/**" = "bedrock"

    [tool.recast.replace]             # custom --fix mappings, old = new
    "gpt-4-0613" = "gpt-4.1"

Inline suppression is handled by the finder: ``# recast: ignore`` (any comment syntax) on
the line, ``recast: ignore[gpt-4-0613, RC102]`` for some ids or codes only,
``recast: ignore-next-line`` on the line before, ``recast: ignore-file`` anywhere.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recast.errors import ConfigError

FAIL_ON = ("retired", "deprecated", "legacy", "unknown", "unverified")
_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$", re.IGNORECASE)
_DURATION_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}
_KEYS = {
    "exclude",
    "include_vendored",
    "include_docs",
    "include_comments",
    "platform",
    "platforms",
    "fail_on",
    "fail_within",
    "replace",
    "max_file_mb",
    "include_outputs",
    "strict",
}


@dataclass(frozen=True)
class ScanConfig:
    """Every scan option; :func:`load_config` reads one, CLI flags override fields."""

    exclude: tuple[str, ...] = ()
    include_vendored: bool = False
    include_docs: bool = True
    include_comments: bool = True
    platform: str | None = None
    platforms: tuple[tuple[str, str], ...] = ()
    fail_on: str = "retired"
    fail_within_days: int | None = None
    replace: tuple[tuple[str, str], ...] = ()
    max_file_bytes: int = 5 * 1024 * 1024
    #: Also read notebook outputs (as ``data``); off by default: outputs are results.
    include_outputs: bool = False
    #: Exit 2 when a file could not be read (it is always counted and listed).
    strict: bool = False
    source: str | None = None
    base: str | None = field(default=None, compare=False)

    def platform_for(self, rel_path: str) -> str | None:
        """The platform hint for a file: first matching ``platforms`` glob, else ``platform``."""
        for pattern, platform in self.platforms:
            if fnmatch.fnmatch(rel_path, pattern) or fnmatch.fnmatch(rel_path, pattern + "/*"):
                return platform
        return self.platform


def parse_duration(value: str | int, where: str = "fail_within") -> int:
    """``90d``, ``12w``, ``6m`` (30 days), ``1y`` or a number of days."""
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a duration such as '90d', not {value!r}.")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"{where} must not be negative, got {value!r}.")
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(f"{where} {value!r} is not a duration; use e.g. 90d, 12w, 6m or 1y.")
    return int(match.group(1)) * _DURATION_DAYS[match.group(2).lower()]


def check_platform(name: str, where: str) -> str:
    from recast.catalog import PLATFORMS

    if name not in PLATFORMS:
        raise ConfigError(
            f"{where}: unknown platform {name!r}.{_did_you_mean(name, PLATFORMS)} "
            f"Known platforms: {', '.join(PLATFORMS)}."
        )
    return name


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'bedrock'?`` for a near miss, else an empty string."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_fail_on(value: str, where: str = "fail_on") -> str:
    if value not in FAIL_ON:
        raise ConfigError(f"{where} must be one of {', '.join(FAIL_ON)}; got {value!r}.")
    return value


def parse_replace(items: list[str] | tuple[str, ...], where: str = "--replace") -> dict[str, str]:
    """Parse ``OLD=NEW`` pairs; raise :class:`ConfigError` naming the bad one."""
    mapping: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(f"{where} {item!r} is not OLD=NEW, e.g. gpt-4-0613=gpt-4.1.")
        mapping[old.strip()] = new.strip()
    return mapping


def _expect(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}: {key} must be a {names}, got {value!r}.")
    return value


#: Tables of other verbs that share the file (``[tool.recast.watch]``): not scan's to check.
_OTHER_VERBS = frozenset({"watch", "plan"})


def config_from_table(table: dict[str, Any], source: str, base: str) -> ScanConfig:
    """Validate one ``[tool.recast]`` table; every problem is a :class:`ConfigError`."""
    unknown = sorted(set(table) - _KEYS - _OTHER_VERBS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r} in [tool.recast]."
            f"{_did_you_mean(unknown[0], sorted(_KEYS))} Known keys: {', '.join(sorted(_KEYS))}."
        )
    values: dict[str, Any] = {"source": source, "base": base}
    if "exclude" in table:
        exclude = _expect(table, "exclude", list, source)
        if not all(isinstance(e, str) for e in exclude):
            raise ConfigError(f"{source}: exclude must be a list of glob strings, got {exclude!r}.")
        values["exclude"] = tuple(exclude)
    for key in (
        "include_vendored",
        "include_docs",
        "include_comments",
        "include_outputs",
        "strict",
    ):
        if key in table:
            values[key] = _expect(table, key, bool, source)
    if "platform" in table:
        values["platform"] = check_platform(_expect(table, "platform", str, source), source)
    if "platforms" in table:
        platforms = _expect(table, "platforms", dict, source)
        pairs = []
        for pattern, platform in platforms.items():
            if not isinstance(platform, str):
                raise ConfigError(f"{source}: platforms.{pattern} must be a platform name.")
            pairs.append((pattern, check_platform(platform, f"{source}: platforms.{pattern}")))
        values["platforms"] = tuple(pairs)
    if "fail_on" in table:
        values["fail_on"] = check_fail_on(
            _expect(table, "fail_on", str, source), f"{source}: fail_on"
        )
    if "fail_within" in table:
        values["fail_within_days"] = parse_duration(
            _expect(table, "fail_within", (str, int), source), f"{source}: fail_within"
        )
    if "replace" in table:
        replace = _expect(table, "replace", dict, source)
        if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in replace.items()):
            raise ConfigError(f"{source}: replace must map model ids to model ids (strings).")
        values["replace"] = tuple(replace.items())
    if "max_file_mb" in table:
        size = _expect(table, "max_file_mb", (int, float), source)
        if size <= 0:
            raise ConfigError(f"{source}: max_file_mb must be positive, got {size!r}.")
        values["max_file_bytes"] = int(size * 1024 * 1024)
    return ScanConfig(**values)


def read_config_file(path: str | os.PathLike[str]) -> ScanConfig:
    """Read ``recast.toml`` (top-level keys or ``[tool.recast]``) or a ``pyproject.toml``."""
    if sys.version_info >= (3, 11):  # imported here: most scans read no config file
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    path = Path(path)
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file {source!r} does not exist.") from exc
    except OSError as exc:
        raise ConfigError(f"Config file {source!r} is unreadable ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {source!r} is not valid TOML ({exc}).") from exc
    tool = data.get("tool", {})
    table = tool.get("recast") if isinstance(tool, dict) else None
    if table is None and path.name != "pyproject.toml":
        table = {k: v for k, v in data.items() if k != "tool"}
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.recast] must be a table.")
    return config_from_table(table, source, str(path.parent.resolve()))


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``recast.toml``, or ``pyproject.toml`` with ``[tool.recast]``, at or above
    ``start``; the search stops at the repository root (a folder with ``.git``)."""
    folder = Path(start).resolve()
    if folder.is_file():
        folder = folder.parent
    while True:
        candidate = folder / "recast.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            if "[tool.recast" in text:
                return pyproject
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def load_config(
    path: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] = "."
) -> ScanConfig:
    """Read ``path``, else the nearest config file from ``start``, else the defaults."""
    if path is not None:
        return read_config_file(path)
    found = find_config(start)
    return read_config_file(found) if found else ScanConfig()


def changed_files(ref: str, cwd: str | os.PathLike[str] = ".") -> list[str]:
    """Absolute paths of files changed since git ``ref`` (plus untracked ones) under ``cwd``."""
    import subprocess

    from recast.errors import ScanError

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
            )
        except FileNotFoundError as exc:
            raise ScanError("--changed-since needs git, which is not installed.") from exc
        if done.returncode != 0:
            message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
            if "not a git repository" in done.stderr:
                raise ScanError(
                    f"--changed-since {ref!r}: {os.path.abspath(cwd)!r} is not in a git "
                    "repository. Drop --changed-since or run inside a repository."
                )
            raise ScanError(f"--changed-since {ref!r}: git {args[0]} failed ({message}).")
        return done.stdout

    top = git("rev-parse", "--show-toplevel").strip()
    git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    names = git("diff", "--name-only", "--diff-filter=ACMR", ref, "--").splitlines()
    names += git("ls-files", "--others", "--exclude-standard", "--full-name").splitlines()
    out = []
    for name in dict.fromkeys(names):
        full = os.path.join(top, name)
        if os.path.isfile(full):
            out.append(full)
    return out
