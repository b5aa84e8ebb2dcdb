"""Style and tone fidelity: a profile of how a response is written, and a distance between two.

A *style profile* counts what a reader notices before reading: length,
paragraphs, bullet and numbered lists, headings, code blocks, bold, emoji,
sentence length, hedges ("might", "it depends"), apologies, first person,
closing offers ("Let me know if…") and language.

Per case, each feature's difference is mapped to [0, 1]: counts and lengths on
a log scale (``|log(1+a) - log(1+b)| / log 4``, capped at 1, so a response four
times longer is maximally different in length), flags and the language as
0 or 1. The case's style fidelity is ``1 - weighted mean`` of those distances
(weights in :data:`FEATURE_WEIGHTS`, length and language weigh most). A
feature absent from both responses (no headings in either) says nothing about
style and is left out of that case's mean; length, paragraphs, sentence length
and language always count.

Over the whole set, :func:`style_shift` compares the average profile of the
candidate with the baseline's feature by feature (for the report's "what
changed" lines).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recast.audition._cases import Case, Response
from recast.audition.scorers._base import MetricInfo, Values, failed

#: (feature, kind, weight). kind: "log" (count/length on a log scale) or "flag" (0/1).
FEATURES: tuple[tuple[str, str, float], ...] = (
    ("chars", "log", 3.0),
    ("paragraphs", "log", 1.0),
    ("bullets", "log", 1.0),
    ("numbered", "log", 1.0),
    ("headings", "log", 1.0),
    ("code_blocks", "log", 1.0),
    ("bold", "log", 0.75),
    ("emoji", "log", 0.5),
    ("sentence_words", "log", 1.0),
    ("hedges", "log", 0.5),
    ("apology", "flag", 0.5),
    ("first_person", "log", 0.5),
    ("closing_offer", "flag", 0.75),
    ("language", "lang", 2.0),
)
FEATURE_NAMES = tuple(f[0] for f in FEATURES)
FEATURE_WEIGHTS = {name: weight for name, _, weight in FEATURES}
_LOG4 = math.log(4.0)

_BULLET = re.compile(r"^\s*[-*•+]\s+\S", re.MULTILINE)
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+\S", re.MULTILINE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S|^[^\n]{1,80}\n(?:=+|-+)\s*$", re.MULTILINE)
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\U00002b50\U00002705]"
)
_SENTENCE_END = re.compile(r"[.!?。！？]+(?:\s|$)")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_HEDGE = re.compile(
    r"\b(?:might|may|perhaps|possibly|probably|likely|generally|typically|"
    r"it depends|depending on|could be|not necessarily|in some cases|approximately|"
    r"roughly|i think|i believe|it seems|arguably)\b",
)
_APOLOGY = re.compile(
    r"\b(?:i(?:'m| am) sorry|i apologi[sz]e|apologies|my apologies|sorry,? but|"
    r"unfortunately,? i)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself)\b")
_CLOSING = re.compile(
    r"(?:let me know|feel free to|hope (?:this|that) helps|if you (?:have|need) any|"
    r"don't hesitate|happy to help|would you like me to|any (?:other|further) questions|"
    r"i can also help)",
    re.IGNORECASE,
)
_STOPWORDS = {
    "en": {"the", "and", "is", "of", "to", "in", "that", "it", "you", "for", "with", "this"},
    "es": {"el", "la", "de", "que", "y", "en", "los", "es", "por", "una", "para", "con"},
    "fr": {"le", "la", "les", "de", "et", "est", "que", "une", "pour", "dans", "des", "vous"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "ein", "zu", "mit", "den", "sie", "ich"},
    "pt": {"de", "que", "não", "uma", "para", "com", "os", "se", "do", "da", "é", "em"},
    "it": {"il", "di", "che", "non", "la", "per", "una", "sono", "con", "gli", "è", "del"},
}
_SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)


_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _words(lowered: str) -> list[str]:
    """Word tokens of a lower-cased text (a faster pattern for ASCII text)."""
    return (_ASCII_WORD if lowered.isascii() else _WORD).findall(lowered)


def detect_language(text: str, words: Sequence[str] | None = None) -> str:
    """Guess the language of a text: a script for non-Latin ones, stopwords for Latin ones.

    ``words`` are the text's lower-cased word tokens when the caller has them.
    Returns an ISO 639-1 code, or ``""`` when the text is too short to tell.
    """
    sample = text[:3000]
    if not sample.isascii():
        foreign = "".join(_NON_ASCII.findall(sample))
        for code, pattern in _SCRIPTS:
            if len(pattern.findall(foreign)) > 0.3 * len(sample):
                return code
    tokens = list(words[:600]) if words is not None else _words(sample.lower())
    if sum(len(t) for t in tokens) < 20 or len(tokens) < 5:
        return ""
    best, best_hits = "", 0
    for code, stopwords in _STOPWORDS.items():
        hits = sum(1 for t in tokens if t in stopwords)
        if hits > best_hits:
            best, best_hits = code, hits
    return best


@dataclass(frozen=True)
class StyleProfile:
    """The style features of one response (see the module docstring)."""

    chars: int
    paragraphs: int
    bullets: int
    numbered: int
    headings: int
    code_blocks: int
    bold: int
    emoji: int
    sentence_words: float
    hedges: int
    apology: bool
    first_person: int
    closing_offer: bool
    language: str

    def vector(self) -> list[float]:
        """Numeric features in :data:`FEATURE_NAMES` order (language excluded: 0)."""
        return [
            float(self.chars),
            float(self.paragraphs),
            float(self.bullets),
            float(self.numbered),
            float(self.headings),
            float(self.code_blocks),
            float(self.bold),
            float(self.emoji),
            float(self.sentence_words),
            float(self.hedges),
            1.0 if self.apology else 0.0,
            float(self.first_person),
            1.0 if self.closing_offer else 0.0,
            0.0,
        ]


def style_profile(text: str) -> StyleProfile:
    """Compute the style profile of a response text."""
    fences = len(_FENCE.findall(text))
    prose = re.sub(r"```.*?(?:```|$)", " ", text, flags=re.DOTALL)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    lowered = prose.lower()
    words = _words(lowered)
    sentences = max(1, len(_SENTENCE_END.findall(prose)))
    tail = text[-400:]
    return StyleProfile(
        chars=len(text),
        paragraphs=len(paragraphs),
        bullets=len(_BULLET.findall(prose)),
        numbered=len(_NUMBERED.findall(prose)),
        headings=len(_HEADING.findall(prose)),
        code_blocks=fences // 2 + fences % 2,
        bold=len(_BOLD.findall(prose)),
        emoji=len(_EMOJI.findall(text)),
        sentence_words=len(words) / sentences,
        hedges=len(_HEDGE.findall(lowered)),
        apology=bool(_APOLOGY.search(text[:600])),
        first_person=len(_FIRST_PERSON.findall(lowered)),
        closing_offer=bool(_CLOSING.search(tail)),
        language=detect_language(prose, words),
    )


def _log_matrix(profiles: Sequence[StyleProfile]) -> npt.NDArray[np.float64]:
    raw = np.array([p.vector() for p in profiles], dtype=np.float64).reshape(
        len(profiles), len(FEATURES)
    )
    return np.log1p(raw)


_KINDS = np.array([kind for _, kind, _ in FEATURES])
_WEIGHTS = np.array([weight for _, _, weight in FEATURES], dtype=np.float64)
_LOG_COLUMNS = _KINDS == "log"
_FLAG_COLUMNS = _KINDS == "flag"
_LANG_COLUMN = FEATURE_NAMES.index("language")
#: Features that always count; the others only when either response has them.
_ALWAYS = np.array(
    [name in {"chars", "paragraphs", "sentence_words", "language"} for name in FEATURE_NAMES]
)


def feature_distances(
    candidate: Sequence[StyleProfile], baseline: Sequence[StyleProfile]
) -> npt.NDArray[np.float64]:
    """Per case and feature, the distance in [0, 1] between two profiles (cases × features)."""
    cand = _log_matrix(candidate)
    base = _log_matrix(baseline)
    dist = np.zeros_like(cand)
    dist[:, _LOG_COLUMNS] = np.minimum(
        np.abs(cand[:, _LOG_COLUMNS] - base[:, _LOG_COLUMNS]) / _LOG4, 1.0
    )
    dist[:, _FLAG_COLUMNS] = np.abs(
        np.expm1(cand[:, _FLAG_COLUMNS]) - np.expm1(base[:, _FLAG_COLUMNS])
    )
    dist[:, _LANG_COLUMN] = [
        0.0 if (not c.language or not b.language or c.language == b.language) else 1.0
        for c, b in zip(candidate, baseline, strict=True)
    ]
    return dist


def style_similarity(
    candidate: Sequence[StyleProfile], baseline: Sequence[StyleProfile]
) -> npt.NDArray[np.float64]:
    """Per-case style fidelity: ``1 - weighted mean feature distance``, in [0, 1]."""
    if not candidate:
        return np.zeros(0)
    dist = feature_distances(candidate, baseline)
    cand = np.array([p.vector() for p in candidate], dtype=np.float64)
    base = np.array([p.vector() for p in baseline], dtype=np.float64)
    active = (cand != 0) | (base != 0) | _ALWAYS
    weights = active * _WEIGHTS
    return np.asarray(1.0 - (dist * weights).sum(axis=1) / weights.sum(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class FeatureShift:
    """How one style feature moved over the whole set: baseline mean, candidate mean."""

    feature: str
    baseline_mean: float
    candidate_mean: float

    @property
    def ratio(self) -> float | None:
        """candidate / baseline, or ``None`` when the baseline mean is 0."""
        if self.baseline_mean == 0:
            return None
        return self.candidate_mean / self.baseline_mean


def style_shift(
    candidate: Sequence[StyleProfile], baseline: Sequence[StyleProfile]
) -> list[FeatureShift]:
    """Compare the set-level average profile of a candidate with the baseline's.

    Flags (apology, closing offer) are shares of responses; language is the
    share of responses in a different language than the baseline's.
    """
    if not candidate:
        return []
    cand = np.array([p.vector() for p in candidate], dtype=np.float64)
    base = np.array([p.vector() for p in baseline], dtype=np.float64)
    shifts = [
        FeatureShift(name, float(base[:, i].mean()), float(cand[:, i].mean()))
        for i, name in enumerate(FEATURE_NAMES)
        if name != "language"
    ]
    mismatched = sum(
        1
        for c, b in zip(candidate, baseline, strict=True)
        if c.language and b.language and c.language != b.language
    )
    shifts.append(FeatureShift("language", 0.0, mismatched / len(candidate)))
    return shifts


class StyleScorer:
    """Style/tone fidelity: 1 minus the weighted distance of the style profiles."""

    name = "style"
    info = MetricInfo(
        "style",
        "Style",
        description="1 - weighted distance between style profiles (length, lists, "
        "headings, code, bold, emoji, sentence length, hedges, apologies, first person, "
        "closing offers, language)",
    )

    def __init__(self) -> None:
        self._cache: dict[str, StyleProfile] = {}
        self.last_profiles: list[StyleProfile | None] = []

    def baseline_profile(self, case: Case) -> StyleProfile:
        """The (cached) style profile of a case's baseline response."""
        profile = self._cache.get(case.id)
        if profile is None:
            profile = self._cache[case.id] = style_profile(
                case.baseline.text if case.baseline else ""
            )
        return profile

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        out: Values = [0.0] * len(cases)
        idx: list[int] = []
        cand: list[StyleProfile] = []
        base: list[StyleProfile] = []
        profiles: list[StyleProfile | None] = [None] * len(cases)
        for i, (case, response) in enumerate(zip(cases, responses, strict=True)):
            if failed(response) or case.baseline is None:
                continue
            assert response is not None
            profile = style_profile(response.text)
            profiles[i] = profile
            idx.append(i)
            cand.append(profile)
            base.append(self.baseline_profile(case))
        for i, value in zip(idx, style_similarity(cand, base), strict=True):
            out[i] = float(value)
        self.last_profiles = profiles
        return out
