"""Judge each candidate against the catalog: which offering, what state on ``as_of``, what next.

Rules (documented in docs/scan.md):

- **Resolution** goes through :func:`recast.catalog.resolve`, once per distinct token.
  A token written with capitals counts only when a known id is spelled exactly that way
  (``GPT-4`` in prose or a UI label is not the API id ``gpt-4``).
- **Platform**: :func:`recast.scan._platform.choose` (the id's form, the hint, then the
  nearest evidence of ``_evidence.py``, the file, the path, the repository, the maker's
  home). A platform the catalog has no offering on is ``unknown`` there; ``local`` is a
  local runtime (``RC106``, no lifecycle); ``ambiguous`` carries every candidate.
- **Status and severity**: retired -> error, deprecated -> warning, legacy -> note,
  unknown -> note, active and local -> none; in comments, docs and data one step lower
  (error -> warning, warning -> note). Comments, docs and data never make the scan fail.
- **Unknown**: an unresolved token is listed as ``unknown`` in every context when it is
  shaped strictly like a model id (``gpt-9-turbo``, ``claude-5-foo-20270101``,
  ``anthropic.foo-v1:0``, or a route before a model family: ``nvidia/llama3-…-70b``), so
  look-alikes do not make noise.
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
    PLATFORMS,
    Catalog,
    Model,
    Offering,
    advise,
    home_platform,
    load_catalog,
    parse_id,
    resolve,
)
from recast.scan._config import ScanConfig
from recast.scan._evidence import Evidence, path_evidence
from recast.scan._find import ALL, Candidate, FileScan
from recast.scan._finding import (
    CODES,
    STATUS_ORDER,
    Finding,
    PlatformCandidate,
    Severity,
    Status,
)
from recast.scan._platform import AMBIGUOUS, Choice, choose

_SEVERITY: dict[str, Severity] = {
    "retired": "error",
    "deprecated": "warning",
    "legacy": "note",
    "unknown": "note",
    "unverified": "note",
    "active": "none",
    "local": "none",
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
    r"|amazon\.(?:titan|nova)-[a-z0-9][a-z0-9.-]*"
    r"|(?:(?:us|eu|apac|global)\.)?(?:anthropic|amazon|meta|cohere|ai21|mistral|deepseek|qwen"
    r"|openai|writer)\.[a-z0-9][a-z0-9.-]*-v\d+(?::\d+)?"
)


#: A model family at the start of an id behind a route (``org/…``, ``nvidia_nim/…``).
_ROUTED_TAIL = re.compile(
    r"(?:gpt|claude|gemini|gemma|llama|mistral|mixtral|codestral|qwen|phi|deepseek|grok"
    r"|command|nemotron|kimi|glm|granite)[-.\d]"
)


def looks_like_model_id(base: str) -> bool:
    """True when an unresolved id is shaped strictly like a model id (see module docs).

    Routing prefixes (``google/``), a Vertex ``@version`` and an OpenRouter ``:free`` are
    set aside first; a Bedrock ``:0`` stays (it is part of the Bedrock shape).
    """
    tail = base.rsplit("/", 1)[-1]
    if "/" in base and _ROUTED_TAIL.match(tail.lower()) and any(c.isdigit() for c in tail):
        return True  # "nvidia/llama3-chatqa-1.5-70b": a route names it, the shape is loose
    if base != base.lower():
        return False
    if UNKNOWN_SHAPE.fullmatch(tail):
        return True
    tail = tail.split("@", 1)[0].split(":", 1)[0]
    return UNKNOWN_SHAPE.fullmatch(tail) is not None


def severity_of(status: str, context: str) -> Severity:
    """The SARIF level of a finding: by status, one step lower in comments and docs."""
    severity = _SEVERITY[status]
    return _LOWER[severity] if context in ("comment", "docs", "data") else severity


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
    """True when a finding sets exit code 1 (comments, docs and data never do)."""
    if context in ("comment", "docs", "data"):
        return False
    if STATUS_ORDER[status] >= STATUS_ORDER[fail_on]:
        return True
    return (
        fail_within is not None
        and status in ("deprecated", "retired")
        and days_left is not None
        and days_left <= fail_within
    )


#: Platforms a maker's models are served on besides the catalog's offerings (so evidence
#: can place a model on a platform the catalog has no row for: it is then ``unknown`` there).
MAKER_PLATFORMS: dict[str, tuple[str, ...]] = {
    "openai": ("openai", "azure-openai"),
    "anthropic": ("anthropic", "bedrock", "vertex"),
    "google": ("gemini-api", "vertex"),
}
_SHAPE_MAKER = (
    (re.compile(r"claude"), "anthropic"),
    (re.compile(r"gemini|gemma|text-embedding-00|textembedding"), "google"),
    (re.compile(r"gpt-|o\d|text-embedding-|chatgpt|dall-e|whisper|tts-"), "openai"),
)
#: A local tag names a size, a version or a tag (``llama3.2``, ``mistral-7b``,
#: ``qwen2.5:32b``), so package names (``llama-index-core``) are not taken for models.
_LOCAL_SHAPE = re.compile(r"\d|:")
#: Open-weight families: only these can be references to a local runtime.
OPEN_WEIGHTS = re.compile(
    r"(?:^|[/.:])(?:llama|codellama|qwen|qwq|gemma|codegemma|phi|mistral|mixtral|llava|deepseek"
    r"|granite|smollm|tinyllama|starcoder|nomic-embed|mxbai|gpt-oss|olmo|falcon"
    r"|command-r)"  # recast: ignore (a pattern, not a dependency)
)


@dataclass(frozen=True)
class _Resolved:
    offerings: tuple[Offering, ...]
    implied: str | None
    base: str
    literal: str
    #: The form names a platform only loosely: an ``org/model`` id with no route, an
    #: Azure-only spelling, or a LiteLLM route that is also an OpenRouter id.
    weak: bool = False
    allowed: frozenset[str] = frozenset()
    home: str | None = None


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
        self._verdicts: dict[tuple[str, str, Choice], Any] = {}
        #: (content, hint, path evidence) -> the findings of the first file judged so.
        self._files: dict[tuple[object, ...], tuple[list[Finding], int, str]] = {}
        #: ``path -> source`` of every file given the findings of another (``ScanResult``).
        self.copies: dict[str, str] = {}
        #: Code and config files of this scan with strong evidence, per platform (``repo``).
        self.repo: dict[str, int] = {}

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
            offerings = tuple(resolve(query, catalog=self.catalog))
            hit = self._shape(offerings, parsed.platform, parsed.base, literal, parsed.route)
            self._cache[query] = hit
        return hit

    def _shape(
        self,
        offerings: tuple[Offering, ...],
        implied: str | None,
        base: str,
        literal: str,
        route: str | None,
    ) -> _Resolved:
        """What a token allows: the platforms it can be served on, and how firm its form is."""
        makers = {
            model.provider
            for o in offerings
            if (model := self.catalog.models.get(o.model)) is not None
        }
        if not makers:
            makers = {maker for pattern, maker in _SHAPE_MAKER if pattern.search(base)}
        allowed = {o.platform for o in offerings}
        for maker in makers:
            allowed.update(MAKER_PLATFORMS.get(maker, ()))
        if OPEN_WEIGHTS.search(base):
            allowed.add("local")
        exact = {o.platform for o in offerings if o.platform_id.lower() == literal}
        # "openai/gemini-2.0-flash": the OpenAI SDK pointed at another provider's endpoint
        foreign = route == "openai" and bool(makers) and "openai" not in makers
        weak = implied is not None and (
            foreign
            or (route is None and implied in ("openrouter", "azure-openai"))
            or ("openrouter" in exact and implied != "openrouter")
        )
        if weak and not foreign:
            # Only what the form is consistent with: "google/gemini-2.5-flash" is OpenRouter's
            # id and Vertex's OpenAI-compatible name; "meta-llama/…" a Hugging Face name too.
            keep = {implied, *exact}
            if base.startswith("google/"):
                keep.add("vertex")
            if "local" in allowed:
                keep.add("local")
            allowed &= keep | {implied}
        homes = [home_platform(m) for m in sorted(makers)]
        return _Resolved(
            offerings,
            implied,
            base,
            literal,
            weak,
            frozenset(p for p in allowed if p),
            next((h for h in homes if h), None),
        )

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

    def _offering_on(self, resolved: _Resolved, platform: str) -> Offering | None:
        """The offering the token names on ``platform``; for a weak form, its last part
        (``google/gemini-2.5-flash`` on Vertex is ``gemini-2.5-flash``)."""
        pool = [o for o in resolved.offerings if o.platform == platform]
        if not pool and platform in PLATFORMS and resolved.weak and "/" in resolved.base:
            tail = resolved.base.rsplit("/", 1)[1]
            pool = list(resolve(tail, platform, catalog=self.catalog))
        if not pool:
            return None
        for offering in pool:
            if offering.platform_id.lower() == resolved.base:
                return offering
        for offering in pool:
            if offering.model == resolved.base:
                return offering
        return pool[0]

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
        """Findings of one file, and how many were suppressed inline.

        A file with the content of one judged before, and the same hint and path evidence,
        gets that file's findings with its own path (crewAI: 8,648 files with candidates,
        1,305 distinct; a copy costs 1 us a finding, judging one 13 us)."""
        hint = self.config.platform_for(self._config_relative(scan.rel))
        paths = path_evidence(scan.rel)
        key = (scan.content, hint, paths) if scan.content is not None else None
        first = self._files.get(key) if key is not None else None
        if first is not None:
            self.copies[scan.rel] = first[2]
            return [_moved(finding, scan.rel) for finding in first[0]], first[1]
        findings, suppressed = self._judge_all(scan, hint, paths)
        if key is not None:
            self._files[key] = (findings, suppressed, scan.rel)
        return findings, suppressed

    def _judge_all(
        self, scan: FileScan, hint: str | None, paths: tuple[Evidence, ...]
    ) -> tuple[list[Finding], int]:
        findings: list[Finding] = []
        suppressed = 0
        for candidate in scan.candidates:
            if candidate.context == "docs" and not self.config.include_docs:
                continue
            if candidate.context == "comment" and not self.config.include_comments:
                continue
            finding = self._judge(scan, candidate, hint, paths)
            if finding is None:
                continue
            if _is_ignored(candidate.ignore, finding):
                suppressed += 1
                continue
            findings.append(finding)
        return findings, suppressed

    def _judge(
        self, scan: FileScan, candidate: Candidate, hint: str | None, paths: tuple[Evidence, ...]
    ) -> Finding | None:
        resolved = self._resolve(candidate.query)
        choice = choose(
            implied=resolved.implied,
            weak=resolved.weak,
            allowed=resolved.allowed,
            offered=[o.platform for o in resolved.offerings],
            home=resolved.home,
            hint=hint,
            evidence=candidate.evidence,
            file_evidence=scan.file_evidence if candidate.context not in _PROSE else None,
            path_evidence=paths,
            repo=self.repo,
        )
        if candidate.local_only and choice.platform != "local":
            return None
        key = (candidate.query, candidate.text, choice)
        verdict = self._verdicts.get(key, _MISSING)
        if verdict is _MISSING:
            verdict = self._verdict(resolved, candidate.text, choice)
            self._verdicts[key] = verdict
        if verdict is None:
            return None
        assert isinstance(verdict, dict)
        status = verdict["status"]
        if status == "unknown" and candidate.bare:
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

    def _verdict(self, resolved: _Resolved, text: str, choice: Choice) -> dict[str, Any] | None:
        """Everything about a token that does not depend on where it stands (cached)."""
        if text != text.lower() and not self._spelled_exactly(text, resolved.offerings):
            return None
        if choice.platform == "local":
            if not (OPEN_WEIGHTS.search(resolved.base) and _LOCAL_SHAPE.search(resolved.base)):
                return None
            return _unlisted("local", resolved.base, choice)
        if choice.platform == AMBIGUOUS:
            return self._ambiguous(resolved, text, choice)
        offering = self._offering_on(resolved, choice.platform) if choice.platform else None
        if offering is None:
            if not resolved.offerings and not looks_like_model_id(resolved.base):
                return None
            model = resolved.offerings[0].model if resolved.offerings else None
            return _unlisted("unknown", model, choice)
        return self._offering_verdict(offering, text, choice.reason)

    def _offering_verdict(self, offering: Offering, text: str, reason: str) -> dict[str, Any]:
        lifecycle = offering.lifecycle
        status = status_of_state(lifecycle.state_on(self.as_of))
        days_left = lifecycle.days_left(self.as_of) if lifecycle.shutdown_on else None
        model = self.catalog.models.get(offering.model)
        replacement = self._replacement(offering)
        fix_text = None
        verified = replacement["replacement_state"] != "unknown"  # never write an unverified id
        if (
            replacement["replacement_platform_id"]
            and verified
            and status
            not in (
                "active",
                "unverified",
            )
        ):
            fix_text = rewrite_token(
                text,
                offering,
                replacement["replacement_platform_id"],
                model.aliases if model is not None and offering.platform == _home(model) else (),
            )
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

    def _ambiguous(self, resolved: _Resolved, text: str, choice: Choice) -> dict[str, Any]:
        """One candidate per platform; the worst (then the soonest shutdown) fills the finding,
        so it decides the exit code. Never fixed: which id to write is not known."""
        verdicts = []
        for platform in choice.candidates:
            offering = self._offering_on(resolved, platform)
            if offering is not None:
                verdicts.append(self._offering_verdict(offering, text, choice.reason))
            else:
                verdicts.append({**_unlisted("unknown", None, choice), "platform": platform})
        worst = max(
            verdicts,
            key=lambda v: (STATUS_ORDER[v["status"]], -(v["days_left"] or 10**6)),
        )
        candidates = tuple(
            PlatformCandidate(
                platform=v["platform"],
                platform_id=v.get("platform_id"),
                status=v["status"],
                shutdown_on=v.get("shutdown_on"),
                days_left=v.get("days_left"),
            )
            for v in verdicts
        )
        return {
            **worst,
            "platform": AMBIGUOUS,
            "fix_text": None,
            "platform_candidates": candidates,
        }


def _moved(finding: Finding, path: str) -> Finding:
    """``finding`` at ``path``: ``dataclasses.replace`` runs ``__init__`` again (8 us); a
    copy of the fields is 1 us, and the new object is as frozen as the old one."""
    moved = object.__new__(Finding)
    fields = moved.__dict__
    fields.update(finding.__dict__)
    fields["path"] = path
    return moved


def _unlisted(status: Status, model: str | None, choice: Choice) -> dict[str, Any]:
    """A verdict without an offering: a local runtime, or a platform the catalog lacks."""
    return {
        "status": status,
        "code": CODES[status],
        "platform": choice.platform,
        "model": model,
        "days_left": None,
        "platform_reason": choice.reason,
    }


#: Contexts whose file-wide evidence says nothing about one reference.
_PROSE = frozenset({"docs", "data"})


_MISSING: Any = object()


def _home(model: Model) -> str | None:
    """The platform where a model's aliases are API ids (its maker's own)."""
    return home_platform(model.provider)


def rewrite_token(
    text: str, offering: Offering, new_id: str, aliases: Iterable[str] = ()
) -> str | None:
    """``text`` with the part that names ``offering`` swapped for ``new_id``; ``None`` if that
    part cannot be found (the fix is then skipped rather than guessed). ``aliases`` are the
    model's other names, for a token written as one (``claude-3-opus-latest``)."""
    lowered = text.lower()
    names = [offering.platform_id, offering.model, *aliases]
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
