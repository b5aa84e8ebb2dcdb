"""Judge each candidate against the catalog: which offering, what state on ``as_of``, what next.

Rules (documented in docs/scan.md):

- **Resolution** goes through :func:`recast.catalog.resolve`, once per distinct token.
  A token written with capitals counts only when a known id is spelled exactly that way
  (``GPT-4`` in prose or a UI label is not the API id ``gpt-4``).
- **Platform**: the id's own form (``bedrock/``, ``us.anthropic…``, an ARN, ``…@2024…``,
  ``models/``) wins; else the hint for the file (``--platform``, ``[tool.recast.platforms]``);
  else what the file's text points at (``boto3``, ``vertexai``, ``AzureOpenAI``,
  ``openrouter.ai``, ``google.generativeai`` …); else the home platform of the model's
  maker; else the only (or first) platform that serves the id.
- **Status and severity**: retired -> error, deprecated -> warning, legacy -> note,
  unknown -> note, active -> none; in comments and docs one step lower (error -> warning,
  warning -> note). Comments and docs never make the scan fail.
- **Unknown**: an unresolved token is listed as ``unknown`` only in code or config and only
  when it is shaped strictly like a model id (``gpt-9-turbo``, ``claude-5-foo-20270101``,
  ``anthropic.foo-v1:0``), so look-alikes do not make noise.
- **Replacement**: the replacement marked recommended, else the only one; several and none
  recommended -> ambiguous (all listed, no fix).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from recast.catalog import (
    Catalog,
    Offering,
    advise,
    home_platform,
    load_catalog,
    parse_id,
    resolve,
)
from recast.scan._config import ScanConfig
from recast.scan._find import ALL, Candidate, FileScan
from recast.scan._finding import CODES, STATUS_ORDER, Finding, Severity, Status

_SEVERITY: dict[str, Severity] = {
    "retired": "error",
    "deprecated": "warning",
    "legacy": "note",
    "unknown": "note",
    "unverified": "note",
    "active": "none",
}
_LOWER: dict[Severity, Severity] = {
    "error": "warning",
    "warning": "note",
    "note": "note",
    "none": "none",
}

_FAMILY = (
    r"gpt|chatgpt|claude|gemini|gemma|mistral|mixtral|codestral|ministral|magistral|devstral"
    r"|pixtral|llama|grok|deepseek|qwen|kimi|glm|command|nova|titan|jamba|sonar"
)
_WORDS = (
    r"pro|flash|lite|mini|nano|turbo|large|medium|small|tiny|opus|sonnet|haiku|instant|preview"
    r"|latest|exp|experimental|instruct|chat|vision|reasoner|coder|beta|max|plus|ultra|air"
    r"|thinking|fast|codex|audio|realtime|search|hd|it|online|omni|base|next|r|a|light"
)
_SEGMENT = rf"(?:[a-z]*\d[a-z0-9.]*|{_WORDS})"
_DATE = r"(?:\d{8}|\d{4}-\d{2}-\d{2})"
_DATE4 = r"(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4})"
UNKNOWN_SHAPE = re.compile(
    rf"(?:{_FAMILY})-\d[a-z0-9.]*(?:-{_SEGMENT})+"
    rf"|(?:llama|qwen|gemma)\d[\d.]*(?:-{_SEGMENT})+"
    rf"|(?:{_FAMILY})-(?:{_WORDS})(?:-{_WORDS})*-{_DATE4}"
    r"|gemini-(?:pro|ultra)(?:-vision)?(?:-latest)?"
    r"|(?:text|chat|code)-(?:bison|unicorn|gecko)(?:-32k)?"
    r"|textembedding-gecko(?:-multilingual)?"  # recast: ignore (a pattern, not a dependency)
    rf"|(?:{_FAMILY})-(?:[a-z0-9.]+-)*{_DATE}"
    rf"|claude-(?:\d[\d.-]*-)?(?:opus|sonnet|haiku|instant)(?:-\d[\d.]*)*(?:-latest|-{_DATE})?"
    rf"|o\d(?:-(?:mini|pro|preview|{_DATE}))+"
    r"|(?:(?:us|eu|apac|global)\.)?(?:anthropic|amazon|meta|cohere|ai21|mistral|deepseek|qwen"
    r"|openai|writer)\.[a-z0-9][a-z0-9.-]*-v\d+(?::\d+)?"
)


def looks_like_model_id(base: str) -> bool:
    """True when an unresolved id is shaped strictly like a model id (see module docs).

    Routing prefixes (``google/``), a Vertex ``@version`` and an OpenRouter ``:free`` are
    set aside first; a Bedrock ``:0`` stays (it is part of the Bedrock shape).
    """
    if base != base.lower():
        return False
    tail = base.rsplit("/", 1)[-1]
    if UNKNOWN_SHAPE.fullmatch(tail):
        return True
    tail = tail.split("@", 1)[0].split(":", 1)[0]
    return UNKNOWN_SHAPE.fullmatch(tail) is not None


def severity_of(status: str, context: str) -> Severity:
    """The SARIF level of a finding: by status, one step lower in comments and docs."""
    severity = _SEVERITY[status]
    return _LOWER[severity] if context in ("comment", "docs") else severity


def status_of_state(state: str) -> Status:
    if state == "retired":
        return "retired"
    if state == "deprecated":
        return "deprecated"
    if state == "legacy":
        return "legacy"
    if state == "unknown":
        return "unverified"
    return "active"


def fails(
    status: str, context: str, days_left: int | None, fail_on: str, fail_within: int | None
) -> bool:
    """True when a finding sets exit code 1 (comments and docs never do)."""
    if context in ("comment", "docs"):
        return False
    if STATUS_ORDER[status] >= STATUS_ORDER[fail_on]:
        return True
    return (
        fail_within is not None
        and status in ("deprecated", "retired")
        and days_left is not None
        and days_left <= fail_within
    )


@dataclass(frozen=True)
class _Resolved:
    offerings: tuple[Offering, ...]
    implied: str | None
    base: str
    literal: str


class Judge:
    """Turns candidates into findings; one per scan (it caches resolution per token)."""

    def __init__(
        self, catalog: Catalog | None, as_of: date, config: ScanConfig, root: str | None = None
    ) -> None:
        self._catalog = catalog
        self.as_of = as_of
        self.config = config
        self.root = root
        self._cache: dict[str, _Resolved] = {}
        self._verdicts: dict[tuple[str, str, str | None, tuple[str, ...]], Any] = {}

    @property
    def catalog(self) -> Catalog:
        """The catalog, loaded on first use (workers scan meanwhile; trees without a single
        candidate never load it)."""
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    def _resolve(self, query: str) -> _Resolved:
        hit = self._cache.get(query)
        if hit is None:
            parsed = parse_id(query)
            literal = parsed.normalized
            if parsed.variant and ":" in literal:
                literal = literal.rpartition(":")[0]
            hit = _Resolved(
                tuple(resolve(query, catalog=self.catalog)), parsed.platform, parsed.base, literal
            )
            self._cache[query] = hit
        return hit

    def _spelled_exactly(self, text: str, offerings: Iterable[Offering]) -> bool:
        if text == text.lower():
            return True
        for offering in offerings:
            names = [offering.platform_id, offering.model]
            model = self.catalog.models.get(offering.model)
            if model is not None:
                names.extend(model.aliases)
            if any(name and name in text for name in names):
                return True
        return False

    def _choose(
        self, resolved: _Resolved, file_hint: str | None, signals: tuple[str, ...]
    ) -> tuple[Offering, str]:
        offerings = resolved.offerings
        platforms = list(dict.fromkeys(o.platform for o in offerings))
        platform: str | None = None
        reason = "only"
        # "openai/gpt-4o" is a LiteLLM route and an OpenRouter id: the file decides.
        exact = {o.platform for o in offerings if o.platform_id.lower() == resolved.literal}
        if file_hint in exact and file_hint != resolved.implied:
            platform, reason = file_hint, "hint"
        elif exact & set(signals) and resolved.implied not in signals:
            platform = next(s for s in signals if s in exact)
            reason = "context"
        elif resolved.implied and resolved.implied in platforms:
            platform, reason = resolved.implied, "form"
        elif file_hint and file_hint in platforms:
            platform, reason = file_hint, "hint"
        else:
            for signal in signals:
                if signal in platforms:
                    platform, reason = signal, "context"
                    break
        if platform is None:
            for offering in offerings:
                model = self.catalog.models.get(offering.model)
                if model is not None and home_platform(model.provider) == offering.platform:
                    platform, reason = offering.platform, "home"
                    break
        if platform is None:
            platform = platforms[0]
            reason = "only" if len(platforms) == 1 else "first"
        pool = [o for o in offerings if o.platform == platform]
        base = resolved.base
        for offering in pool:
            if offering.platform_id.lower() == base:
                return offering, reason
        for offering in pool:
            if offering.model == base:
                return offering, reason
        return pool[0], reason

    def _replacement(self, offering: Offering) -> dict[str, Any]:
        """The live replacement (see :func:`recast.catalog.advise`) as finding fields."""
        advice = advise(offering, self.as_of, catalog=self.catalog)
        fields: dict[str, Any] = {
            "replacement": None,
            "replacement_platform_id": None,
            "replacement_source": None,
            "replacement_ambiguous": advice.ambiguous,
            "replacements": tuple(dict.fromkeys(r.model for r in offering.lifecycle.replacements)),
            "replacement_chain": (),
            "replacement_note": advice.reason or None,
            "replacement_state": None,
        }
        final = advice.final
        if advice.ambiguous or final is None:
            return fields
        source = final.named_by.source
        fields.update(
            replacement=final.model,
            replacement_platform_id=final.platform_id
            if final.platform == offering.platform
            else None,
            replacement_source=source.url if source is not None else None,
            replacement_chain=tuple(s.model for s in advice.chain) if advice.followed else (),
            replacement_state=str(final.state),
        )
        if final.state == "unknown":
            fields["replacement_note"] = (
                f"no lifecycle source describes {final.model} on {final.platform}"
            )
        elif final.state == "deprecated":
            fields["replacement_note"] = advice.reason or f"{final.model} is itself deprecated"
        return fields

    def _config_relative(self, rel: str) -> str:
        """A report path made relative to the config file's folder (where its globs start)."""
        base = self.config.base
        if not base or not self.root:
            return rel
        full = os.path.normpath(os.path.join(self.root, rel))
        prefix = os.path.normpath(base) + os.sep
        return full[len(prefix) :].replace(os.sep, "/") if full.startswith(prefix) else rel

    def judge_file(self, scan: FileScan) -> tuple[list[Finding], int]:
        """Findings of one file, and how many were suppressed inline."""
        findings: list[Finding] = []
        suppressed = 0
        hint = self.config.platform_for(self._config_relative(scan.rel))
        for candidate in scan.candidates:
            if candidate.context == "docs" and not self.config.include_docs:
                continue
            if candidate.context == "comment" and not self.config.include_comments:
                continue
            finding = self._judge(scan, candidate, hint)
            if finding is None:
                continue
            if _is_ignored(candidate.ignore, finding):
                suppressed += 1
                continue
            findings.append(finding)
        return findings, suppressed

    def _judge(self, scan: FileScan, candidate: Candidate, hint: str | None) -> Finding | None:
        key = (candidate.query, candidate.text, hint, scan.platforms)
        verdict = self._verdicts.get(key, _MISSING)
        if verdict is _MISSING:
            verdict = self._verdict(candidate.query, candidate.text, hint, scan.platforms)
            self._verdicts[key] = verdict
        if verdict is None:
            return None
        assert isinstance(verdict, dict)
        status = verdict["status"]
        if status == "unknown" and (candidate.context not in ("code", "config") or candidate.bare):
            return None
        return Finding(
            path=scan.rel,
            line=candidate.line,
            column=candidate.column,
            end_column=candidate.end_column,
            text=candidate.text,
            context=candidate.context,
            cell=candidate.cell,
            cell_line=candidate.cell_line,
            line_text=candidate.line_text[:500],
            severity=severity_of(status, candidate.context),
            fails=fails(
                status,
                candidate.context,
                verdict["days_left"],
                self.config.fail_on,
                self.config.fail_within_days,
            ),
            **verdict,
        )

    def _verdict(
        self, query: str, text: str, hint: str | None, signals: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """Everything about a token that does not depend on where it stands (cached)."""
        resolved = self._resolve(query)
        if not resolved.offerings:
            if text != text.lower() or not looks_like_model_id(resolved.base):
                return None
            return {
                "status": "unknown",
                "code": CODES["unknown"],
                "platform": resolved.implied,
                "days_left": None,
            }
        if not self._spelled_exactly(text, resolved.offerings):
            return None
        offering, reason = self._choose(resolved, hint, signals)
        lifecycle = offering.lifecycle
        status = status_of_state(lifecycle.state_on(self.as_of))
        days_left = lifecycle.days_left(self.as_of) if lifecycle.shutdown_on else None
        model = self.catalog.models.get(offering.model)
        replacement = self._replacement(offering)
        fix_text = None
        if replacement["replacement_platform_id"] and status not in ("active", "unverified"):
            fix_text = rewrite_token(text, offering, replacement["replacement_platform_id"])
        shutdown = lifecycle.shutdown_on
        return {
            "status": status,
            "code": CODES[status],
            "provider": model.provider if model else None,
            "platform": offering.platform,
            "model": offering.model,
            "platform_id": offering.platform_id,
            "shutdown_on": shutdown.on if shutdown else None,
            "shutdown_precision": shutdown.precision if shutdown else None,
            "days_left": days_left,
            "lifecycle_source": lifecycle.sources[0].url if lifecycle.sources else None,
            "lifecycle_conflicts": tuple(sorted(self.catalog.conflicts_of(offering))),
            "fix_text": fix_text,
            **replacement,
            "platform_reason": reason,
        }


_MISSING: Any = object()


def rewrite_token(text: str, offering: Offering, new_id: str) -> str | None:
    """``text`` with the part that names ``offering`` swapped for ``new_id``; ``None`` if that
    part cannot be found (the fix is then skipped rather than guessed)."""
    lowered = text.lower()
    names = [offering.platform_id, offering.model]
    if offering.platform == "openrouter" and "/" in offering.platform_id:
        names.append(offering.platform_id.split("/", 1)[1])
    if offering.platform == "bedrock" and offering.platform_id.endswith(":0"):
        names.append(offering.platform_id[:-2])
    for name in sorted(dict.fromkeys(n for n in names if n), key=len, reverse=True):
        index = lowered.rfind(name.lower())
        if index < 0:
            continue
        end = index + len(name)
        if end < len(text) and (text[end].isalnum() or text[end] in "-."):
            continue  # matched a prefix of a longer id
        replacement = new_id
        if offering.platform == "openrouter" and name != offering.platform_id:
            replacement = new_id.split("/", 1)[1] if "/" in new_id else new_id
        if offering.platform == "bedrock" and name == offering.platform_id[:-2]:
            replacement = new_id[:-2] if new_id.endswith(":0") else new_id
        return text[:index] + replacement + text[end:]
    return None


def _is_ignored(ignore: frozenset[str] | None, finding: Finding) -> bool:
    if ignore is None:
        return False
    if ALL in ignore:
        return True
    keys = {finding.text, finding.code, finding.model, finding.platform_id}
    return bool(ignore & {k for k in keys if k})


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Order findings by path, line, column (the documented JSON order)."""
    return sorted(findings, key=lambda f: (f.path, f.line, f.column))


ProgressFn = Callable[[int, int], None]
