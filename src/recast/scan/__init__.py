"""`recast scan`: find every model id a codebase depends on, and judge it against the catalog.

Example::

    >>> from recast.scan import scan, fix
    >>> result = scan(["src"])
    >>> [f"{f.path}:{f.line} {f.text} {f.status}" for f in result.findings]
    >>> fix(result).diff          # a dry run; fix(result, write=True) applies it
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from recast.scan._config import ScanConfig, changed_files, load_config, read_config_file
from recast.scan._find import kind_of
from recast.scan._finding import CODES, Context, Finding, ScanResult, Severity, SkippedFile, Status
from recast.scan._scan import scan, with_overrides

if TYPE_CHECKING:
    from recast.scan._fix import FileFix, FixResult, SkippedFix, fix
    from recast.scan._render import FORMATS, render, render_table
    from recast.scan._rules import RULES, Rule, explain, rule_for

#: Imported on first use: a plain ``recast scan --format json`` never needs the fixer,
#: the renderers' extras or the rule docs, and start-up time counts on every run.
_LAZY = {
    "FileFix": "_fix",
    "FixResult": "_fix",
    "SkippedFix": "_fix",
    "fix": "_fix",
    "FORMATS": "_render",
    "render": "_render",
    "render_table": "_render",
    "RULES": "_rules",
    "Rule": "_rules",
    "explain": "_rules",
    "rule_for": "_rules",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'recast.scan' has no attribute {name!r}")
    value = getattr(import_module(f"recast.scan.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CODES",
    "FORMATS",
    "RULES",
    "Context",
    "FileFix",
    "Finding",
    "FixResult",
    "Rule",
    "ScanConfig",
    "ScanResult",
    "Severity",
    "SkippedFile",
    "SkippedFix",
    "Status",
    "changed_files",
    "explain",
    "fix",
    "kind_of",
    "load_config",
    "read_config_file",
    "render",
    "render_table",
    "rule_for",
    "scan",
    "with_overrides",
]
