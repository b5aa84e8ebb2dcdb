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
from typing import Any, cast

try:  # RE2 checks a body for everything redaction looks for in one linear pass
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - platforms without google-re2 wheels
    _re2 = None

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


#: An escape of a printable ASCII character: it could hide a marker or a field name.
_ASCII_ESCAPE = re.compile(r"\\u00[2-7][0-9A-Fa-f]")


def _key_needles(names: Iterable[str]) -> tuple[str, ...]:
    """What a sensitive field name looks like at the end of a JSON key, in folded text.

    Text is folded with :func:`_fold` (lower case, ``-`` as ``_``), so one substring
    test per name finds ``"Api-Key":`` and ``"x_api_key":`` alike. A longer key that
    merely ends with a name (``"my_password"``) is a false alarm: the value is then
    decoded and checked exactly.
    """
    return tuple(sorted({name + '"' for name in names if name}))


def _fold(text: str) -> str:
    return text.lower().replace("-", "_")


def _prefilter(names: Iterable[str], secrets: bool) -> Any:
    """One RE2 pattern finding anything :meth:`Redactor.text_is_clean` must not pass.

    A superset, matched on raw JSON text: the secret patterns without their ``\\b``
    anchors (in JSON text an escape such as ``\\n`` can stand right before a secret),
    any key ending in a sensitive name (case-insensitive, ``-``/``_`` alike), and
    the escapes that could hide either (``\\u00XX`` for printable ASCII, ``\\/``).
    ``None`` without google-re2: Python's ``re`` is slower at this than substring tests.
    """
    if _re2 is None:
        return None
    parts = [r"\\u00[2-7][0-9A-Fa-f]", r"\\/"]
    if secrets:
        parts += [p.removeprefix(r"\b").removesuffix(r"\b") for p in SECRET_PATTERNS]
    keys = sorted(("[-_]".join(map(re.escape, n.split("_"))) for n in names if n), key=len)
    if keys:
        parts.append(r"(?i:(?:" + "|".join(reversed(keys)) + r')\s*"\s*:)')
    return _re2.compile("|".join(f"(?:{part})" for part in parts))


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _has_marker(text: str) -> bool:
    for marker in SECRET_MARKERS:  # noqa: SIM110 (a plain loop is faster than any())
        if marker in text:
            return True
    return False


_UNDECODED: object = object()


class RawJson(str):
    """JSON text exactly as it arrived; decoded (``value``) only when something needs it.

    The gateway's capture process hands bodies to the store as text: most never need
    decoding, because :meth:`Redactor.json_text` can tell from the text alone that
    nothing in it needs redaction and then stores the text as it is. ``value`` decodes
    on first use (``ValueError`` when the text is not JSON). Build one only from text
    that is JSON or that the store checks (the SQLite store validates it in SQL and
    keeps anything else as a JSON string).
    """

    _value: object

    def __new__(cls, text: str, value: JsonValue | object = _UNDECODED) -> RawJson:
        self = super().__new__(cls, text)
        self._value = value
        return self

    @property
    def value(self) -> JsonValue:
        """The decoded value (decoded once, on first use)."""
        if self._value is _UNDECODED:
            self._value = json.loads(str(self))
        return cast(JsonValue, self._value)


class RawStream(str):
    """A streamed response's server-sent events, as text, exactly as relayed.

    Stored as it is (``exchanges.response_stream``) when nothing in it needs redaction
    and assembled into the non-streamed shape when read; assembling each stream as it
    is captured would cost the gateway more than relaying it.
    """


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
    _key_needles: tuple[str, ...] = field(init=False, repr=False)
    _prefilter: Any = field(init=False, repr=False)
    _clean_memo: dict[str, bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = {_norm(name) for name in self.fields}
        self._fields = frozenset(names | (SENSITIVE_FIELDS if self.secrets else set()))
        self._key_needles = _key_needles(self._fields)
        self._prefilter = _prefilter(self._fields, self.secrets)
        self._clean_memo = {}
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

        A :class:`RawJson` is stored as the text it came as when :meth:`text_is_clean`
        says nothing in it can need redaction, without decoding or serialising it.
        """
        if type(value) is RawJson:
            if self.text_is_clean(value):
                return str(value)
            return _dumps(self._walk(value.value))
        text = _dumps(value)
        if isinstance(value, (Mapping, list, tuple)) and not self._needs_walk(value, text):
            return text
        return _dumps(self._walk(value))

    def text_is_clean(self, text: str) -> bool:
        """Whether JSON (or SSE) text certainly holds nothing to redact, judged on the text.

        Cheap and conservative: no configured patterns, nothing like a secret, no key
        ending in a sensitive field name, and no escape (``\\u00XX``, ``\\/``) that
        could disguise either. ``False`` only means "decode and look". With google-re2
        this is one linear pass over the text; without it, substring tests.
        """
        if self._rules:
            return False
        if len(text) <= 256:  # route details, small bodies: the same few texts recur
            known = self._clean_memo.get(text)
            if known is None:
                known = self._text_is_clean(text)
                if len(self._clean_memo) < 4096:
                    self._clean_memo[text] = known
            return known
        return self._text_is_clean(text)

    def texts_are_clean(self, texts: Iterable[str]) -> bool:
        """:meth:`text_is_clean` for many texts at once: one pass, one call.

        The texts are joined with NUL, which no secret, key or escape pattern spans,
        so a batch is clean exactly when each text is.
        """
        if self._rules:
            return False
        return self._text_is_clean("\x00".join(texts))

    def _text_is_clean(self, text: str) -> bool:
        if self._prefilter is not None:
            return self._prefilter.search(text.encode("utf-8", "surrogatepass")) is None
        if self._secret_re is not None and _has_marker(text):
            return False
        if "\\/" in text or ("\\u00" in text and _ASCII_ESCAPE.search(text)):
            return False
        if self._key_needles:
            folded = _fold(text)
            for needle in self._key_needles:
                if needle in folded:
                    return False
        return True

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
