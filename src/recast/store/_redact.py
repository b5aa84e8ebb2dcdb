"""Redaction of secrets (and, when configured, PII) before anything is stored.

On by default: every value stored for a captured exchange passes through a
:class:`Redactor`. It blanks

* whole values under sensitive field names (``authorization``, ``api-key``,
  ``x-api-key``, ``cookie``, ``password``, …), matched case-insensitively with
  ``-`` and ``_`` treated alike, at any depth of the JSON;
* substrings of any string that look like credentials: OpenAI ``sk-…`` and
  Anthropic ``sk-ant-…`` keys, AWS access key ids (``AKIA…``/``ASIA…``), Google
  ``AIza…`` keys, GitHub, Hugging Face and Slack tokens, JWTs, recast gateway keys
  (``rcst-…``) and ``Bearer …`` tokens.

Extra field names and regular expressions (for PII) are added per deployment;
:data:`PII_PATTERNS` holds a few ready-made ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from recast.errors import ConfigError
from recast.store._types import JsonValue

#: What a redacted value or substring becomes.
REDACTED = "[REDACTED]"

#: Field names whose values are always removed (normalised: lower case, ``_`` for ``-``).
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "api_key",
        "apikey",
        "x_api_key",
        "x_goog_api_key",
        "api_token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret",
        "secret_key",
        "password",
        "passwd",
        "cookie",
        "set_cookie",
        "aws_secret_access_key",
        "aws_session_token",
        "x_amz_security_token",
        "openai_api_key",
        "anthropic_api_key",
        "private_key",
    }
)

#: Substrings that look like credentials, wherever they occur in a string.
SECRET_PATTERNS: tuple[str, ...] = (
    r"\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}",
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b",
    r"\bAIza[0-9A-Za-z_\-]{35}",
    r"\bgh[pousr]_[A-Za-z0-9]{36,}",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    r"\bhf_[A-Za-z0-9]{30,}",
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
    r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    r"\brcst-[a-z0-9]{12}-[A-Za-z0-9_\-]{20,}",
    r"\b(?:Bearer|bearer|BEARER)\s+[A-Za-z0-9._~+/=\-]{16,}",
)

#: Optional PII patterns a deployment may switch on by name.
PII_PATTERNS: Mapping[str, str] = {
    "email": r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b",
    "phone": r"(?<![\w+])\+?\d{1,3}[\s.\-]?\(?\d{2,4}\)?[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}\b",
    "credit_card": r"\b(?:\d[ \-]?){12,18}\d\b",
    "ipv4": r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
    "us_ssn": r"\b\d{3}-\d{2}-\d{4}\b",
}


#: Cheap pre-check: a string containing none of these cannot match SECRET_PATTERNS.
SECRET_MARKERS: tuple[str, ...] = (
    "sk-",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "AIza",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "hf_",
    "xox",
    "eyJ",
    "rcst-",
    "earer",
    "EARER",
)


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _has_marker(text: str) -> bool:
    for marker in SECRET_MARKERS:  # noqa: SIM110 (a plain loop is faster than any())
        if marker in text:
            return True
    return False


class RawJson(str):
    """JSON text exactly as it arrived, with its decoded ``value``: serialised once.

    The gateway's capture process parses each body anyway (to validate it and read
    usage); handing the store the original text as well spares it a second
    serialisation. :meth:`Redactor.json_text` stores the text itself when nothing in
    it can need redaction and otherwise redacts ``value`` as usual. Only build one
    from text that ``json.loads`` turned into ``value``.
    """

    value: JsonValue

    def __new__(cls, text: str, value: JsonValue) -> RawJson:
        self = super().__new__(cls, text)
        self.value = value
        return self


def _dumps(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class RedactionRule:
    """One regular expression and what its matches become."""

    pattern: str
    replacement: str = REDACTED


@dataclass
class Redactor:
    """Blank secrets (always) and configured PII in JSON values, headers and text.

    ``fields`` adds field names whose values are removed; ``rules`` adds regular
    expressions (or names from :data:`PII_PATTERNS`) replaced in every string.
    Raises :class:`recast.errors.ConfigError` for an invalid expression.
    """

    fields: Iterable[str] = ()
    rules: Iterable[RedactionRule | str] = ()
    secrets: bool = True
    _fields: frozenset[str] = field(init=False, repr=False)
    _secret_re: re.Pattern[str] | None = field(init=False, repr=False)
    _rules: tuple[tuple[re.Pattern[str], str], ...] = field(init=False, repr=False)
    _seen: dict[str, bool] = field(init=False, repr=False)
    _safe_keys: set[object] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = {_norm(name) for name in self.fields}
        self._fields = frozenset(names | (SENSITIVE_FIELDS if self.secrets else set()))
        self._secret_re = (
            re.compile("|".join(f"(?:{p})" for p in SECRET_PATTERNS)) if self.secrets else None
        )
        compiled: list[tuple[re.Pattern[str], str]] = []
        for rule in self.rules:
            if isinstance(rule, str):
                rule = RedactionRule(PII_PATTERNS.get(rule, rule))
            try:
                compiled.append((re.compile(rule.pattern), rule.replacement))
            except re.error as exc:
                raise ConfigError(
                    f"Invalid redaction pattern {rule.pattern!r}: {exc}. "
                    "Fix the regular expression or use a name from "
                    f"{', '.join(sorted(PII_PATTERNS))}."
                ) from None
        self._rules = tuple(compiled)
        self._seen = {}
        self._safe_keys = set()
        self.fields = tuple(self.fields)
        self.rules = tuple(self.rules)

    def is_sensitive(self, name: str) -> bool:
        """Whether values under the field or header ``name`` are removed."""
        known = self._seen.get(name)
        if known is None:
            known = _norm(name) in self._fields
            if len(self._seen) < 10_000:
                self._seen[name] = known
        return known

    def text(self, value: str) -> str:
        """Return ``value`` with secrets and configured patterns replaced."""
        if self._secret_re is not None and _has_marker(value):
            value = self._secret_re.sub(REDACTED, value)
        for pattern, replacement in self._rules:
            value = pattern.sub(replacement, value)
        return value

    def json(self, value: JsonValue) -> JsonValue:
        """Return a redacted version of a JSON value (the input is never modified).

        When nothing in it can match, the value itself is returned, not a copy.
        """
        if type(value) is RawJson:
            value = value.value
        if isinstance(value, (Mapping, list, tuple)) and not self._needs_walk(value, None):
            return value
        return self._walk(value)

    def json_text(self, value: JsonValue) -> str:
        """Return the redacted value serialised as compact JSON (what the store writes).

        A :class:`RawJson` is stored as the text it came as when nothing in it can
        need redaction (no configured patterns, no secret marker in the text, no
        sensitive field name in the decoded value), without serialising it again.
        """
        if type(value) is RawJson:
            text = str(value)
            value = value.value
            if not isinstance(value, (Mapping, list, tuple)):
                return _dumps(self._walk(value))
            # A \u escape could spell a secret's marker characters: check decoded text.
            check = _dumps(value) if "\\u" in text else text
            if self._needs_walk(value, check):
                return _dumps(self._walk(value))
            return text
        text = _dumps(value)
        if isinstance(value, (Mapping, list, tuple)) and not self._needs_walk(value, text):
            return text
        return _dumps(self._walk(value))

    def _needs_walk(self, value: JsonValue, text: str | None) -> bool:
        """Whether a container may hold something to redact (cheap, may say yes wrongly)."""
        if self._rules:
            return True
        if self._secret_re is not None:
            if text is None:
                text = _dumps(value)
            if _has_marker(text):
                return True
        return self._has_sensitive_key(value)

    def _has_sensitive_key(self, value: JsonValue) -> bool:
        # Hot path for the gateway's capture thread: plain dicts and lists, with the
        # set of keys already known to be harmless checked in C (``keys() <= set``).
        kind = type(value)
        if kind is dict:
            assert isinstance(value, dict)
            if not value.keys() <= self._safe_keys:
                for key in value:
                    if self.is_sensitive(str(key)):
                        return True
                    if len(self._safe_keys) < 10_000:
                        self._safe_keys.add(key)
            items: Iterable[JsonValue] = value.values()
        elif kind is list or kind is tuple:
            items = value  # type: ignore[assignment]
        elif isinstance(value, Mapping):
            return any(self.is_sensitive(str(k)) for k in value) or self._has_sensitive_key(
                list(value.values())
            )
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            return False
        for item in items:
            sub = type(item)
            if sub is str or sub is int or sub is float or sub is bool or item is None:
                continue
            if self._has_sensitive_key(item):
                return True
        return False

    def _walk(self, value: JsonValue) -> JsonValue:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                key: (REDACTED if self.is_sensitive(str(key)) else self._walk(item))
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self._walk(item) for item in value]
        return value

    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
        """Return headers as a dict with sensitive ones blanked and secrets removed."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return {
            name: (REDACTED if self.is_sensitive(name) else self.text(value))
            for name, value in pairs
        }


#: The redactor used when none is configured: secrets only.
DEFAULT_REDACTOR = Redactor()
