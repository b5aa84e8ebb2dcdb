"""`recast scan`: find every model id a codebase depends on, and judge it against the catalog."""

from __future__ import annotations

from recast.scan._finding import Context, Finding, ScanResult, Severity, SkippedFile, Status

__all__ = ["Context", "Finding", "ScanResult", "Severity", "SkippedFile", "Status"]
