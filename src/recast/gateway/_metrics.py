"""Prometheus metrics, written in the text exposition format by hand (no client library).

Counters and histograms are plain dicts keyed by label tuples: an increment on the hot
path is one dict update. :meth:`Metrics.render` formats them for ``GET /metrics``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

#: Latency buckets in seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=False)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    """A monotonically increasing counter with labels."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name = name
        self.help = help_text
        self.label_names = labels
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        values = self.values
        values[labels] = values.get(labels, 0.0) + amount

    def total(self) -> float:
        return sum(self.values.values())

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {_num(value)}"


class Tally:
    """A counter without labels that the caller bumps itself (``tally.value += 1``): a few
    bytecodes, where :meth:`Counter.inc` is a Python call, for a count taken per request."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.value = 0

    def total(self) -> float:
        return float(self.value)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        yield f"{self.name} {_num(self.value)}"


class Gauge:
    """A value computed when scraped (``fn`` returns label tuples and values)."""

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: tuple[str, ...],
        fn: Callable[[], Iterable[tuple[tuple[str, ...], float]]],
    ) -> None:
        self.name = name
        self.help = help_text
        self.label_names = labels
        self.fn = fn

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        for labels, value in sorted(self.fn()):
            yield f"{self.name}{_labels(self.label_names, labels)} {_num(value)}"


class Histogram:
    """A histogram with fixed buckets, per label tuple."""

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: tuple[str, ...] = (),
        buckets: tuple[float, ...] = LATENCY_BUCKETS,
    ) -> None:
        self.name = name
        self.help = help_text
        self.label_names = labels
        self.buckets = buckets
        self.series: dict[tuple[str, ...], list[float]] = {}  # counts per bucket + [+Inf, sum]

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        series = self.series.get(labels)
        if series is None:
            series = [0.0] * (len(self.buckets) + 2)
            self.series[labels] = series
        series[bisect_left(self.buckets, value)] += 1
        series[-1] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, series in sorted(self.series.items()):
            cumulative = 0.0
            for bound, count in zip(self.buckets, series, strict=False):
                cumulative += count
                tags = _labels(self.label_names, labels, f'le="{bound}"')
                yield f"{self.name}_bucket{tags} {_num(cumulative)}"
            cumulative += series[len(self.buckets)]
            extra = 'le="+Inf"'
            yield f"{self.name}_bucket{_labels(self.label_names, labels, extra)} {_num(cumulative)}"
            yield f"{self.name}_sum{_labels(self.label_names, labels)} {series[-1]!r}"
            yield f"{self.name}_count{_labels(self.label_names, labels)} {_num(cumulative)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


#: Distinct model names used as label values before the rest fold into ``other``.
MAX_MODEL_LABELS = 100


class Metrics:
    """Every metric the gateway exposes.

    Model labels are capped: a catch-all upstream lets clients name any model, so
    after ``max_model_labels`` distinct names (configured models always count as
    known, see :meth:`know_models`) further names are reported as ``other``.
    """

    def __init__(self, max_model_labels: int = MAX_MODEL_LABELS) -> None:
        self.max_model_labels = max_model_labels
        self._labels: set[str] = set()
        self._known: frozenset[str] = frozenset()
        self._unknown_labels = 0
        self.requests = Counter(
            "recast_requests_total",
            "Requests answered, by requested model, served model, route and status.",
            ("model", "served_model", "route", "status"),
        )
        self.latency = Histogram(
            "recast_request_duration_seconds",
            "Time from request to the last byte of the response, by served model.",
            ("served_model",),
        )
        self.ttft = Histogram(
            "recast_time_to_first_byte_seconds",
            "Time from request to the first response byte sent, by served model.",
            ("served_model",),
        )
        self.upstream_errors = Counter(
            "recast_upstream_errors_total",
            "Failed upstream attempts (connect, timeout, protocol, status 404/429/5xx).",
            ("upstream", "kind"),
        )
        self.tokens = Counter(
            "recast_tokens_total", "Tokens by served model and direction.", ("model", "direction")
        )
        self.cost = Counter(
            "recast_cost_usd_total", "Estimated cost in US dollars by served model.", ("model",)
        )
        self.captures_dropped = Counter(
            "recast_captures_dropped_total",
            "Exchanges not captured because the capture queue was full or the store failed.",
        )
        self.captures_offered = Tally(
            "recast_captures_offered_total", "Exchanges offered to the capture queue."
        )
        self.shadow = Counter(
            "recast_shadow_requests_total",
            "Shadow requests by candidate model and outcome.",
            ("model", "outcome"),
        )
        self.rejected = Counter(
            "recast_rejected_total", "Requests refused before routing, by reason.", ("reason",)
        )
        self.gauges: list[Gauge] = []

    def know_models(self, models: Iterable[str]) -> None:
        """Model names that are always their own label (the configured ones)."""
        self._known = frozenset(models)

    def model(self, name: str) -> str:
        """The label value for model ``name``: itself, or ``other`` past the cap."""
        if name in self._labels:
            return name
        if name in self._known or not name:
            self._labels.add(name)
            return name
        if self._unknown_labels < self.max_model_labels:
            self._unknown_labels += 1
            self._labels.add(name)
            return name
        return "other"

    def add_gauge(self, gauge: Gauge) -> None:
        self.gauges.append(gauge)

    def render(self) -> str:
        lines: list[str] = []
        for metric in (
            self.requests,
            self.latency,
            self.ttft,
            self.upstream_errors,
            self.tokens,
            self.cost,
            self.captures_offered,
            self.captures_dropped,
            self.shadow,
            self.rejected,
        ):
            lines.extend(metric.render())
        for gauge in self.gauges:
            lines.extend(gauge.render())
        return "\n".join(lines) + "\n"
