"""An alert: the events of one watched offering, with everything a reader needs to act.

Every channel renders the same :class:`Alert` in its own format. Each date carries its
precision and its source (importer, URL, day read); an unknown says unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from recast.catalog import Advice, Catalog, Offering, advise
from recast.watch._changes import EVENT_KINDS, Event
from recast.watch._watchset import Location, WatchEntry

#: Locations an alert lists before "and N more".
TOP_LOCATIONS = 5


@dataclass(frozen=True)
class DatedFact:
    """A lifecycle date as an alert shows it: the day, its precision and where it is from."""

    on: date
    precision: str
    importer: str
    url: str | None
    accessed_on: date | None

    def text(self) -> str:
        """``2025-07-14 (exact)``, ``2026-03 (month)``, ``not before 2026-06-01``."""
        if self.precision == "month":
            return f"{self.on.strftime('%Y-%m')} (month: some day in it)"
        if self.precision == "not_before":
            return f"not before {self.on.isoformat()}"
        return f"{self.on.isoformat()} (exact)"

    def source_text(self) -> str:
        """``openai-docs, https://…, read 2026-11-28`` (or ``source unknown``)."""
        parts = [self.importer or "unsourced"]
        if self.url:
            parts.append(self.url)
        parts.append(
            f"read {self.accessed_on.isoformat()}" if self.accessed_on else "read: undated"
        )
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {
            "on": self.on.isoformat(),
            "precision": self.precision,
            "importer": self.importer or None,
            "url": self.url,
            "accessed_on": self.accessed_on.isoformat() if self.accessed_on else None,
        }


def dated_fact(offering: Offering, name: str = "shutdown_on") -> DatedFact | None:
    """The lifecycle date ``name`` of ``offering`` with its source, or ``None`` if unknown."""
    fact = offering.lifecycle.fact(name)
    value = fact.value
    if value is None:
        return None
    source = fact.source
    return DatedFact(
        on=value.on,
        precision=value.precision,
        importer=fact.importer,
        url=source.url if source else None,
        accessed_on=source.accessed_on if source else None,
    )


def candidate_spec(platform: str, platform_id: str) -> str:
    """The ``--candidate`` spec that calls ``platform_id`` on ``platform`` (else the bare id)."""
    from recast.providers import provider_kinds

    return f"{platform}:{platform_id}" if platform in provider_kinds() else platform_id


def audition_command(entry: WatchEntry, advice: Advice, store_hint: str | None) -> str | None:
    """The exact ``recast audition`` that auditions the live replacement on this model's traffic.

    On captured traffic when the store has some (``--from-store --model``), else on a cases
    file the team still has to export (named ``cases.jsonl``).
    """
    final = advice.final
    if final is None or final.platform_id is None:
        return None
    spec = candidate_spec(final.platform, final.platform_id)
    if entry.traffic is not None and entry.traffic.requested_as:
        store = f" --store {store_hint}" if store_hint else ""
        model = entry.traffic.requested_as[0]
        return f"recast audition --from-store{store} --model {model} --candidate {spec}"
    return f"recast audition --cases cases.jsonl --candidate {spec}"


@dataclass(frozen=True)
class Alert:
    """What one channel is told about one offering in one run."""

    entry: WatchEntry
    events: tuple[Event, ...]
    as_of: date
    state: str
    days_left: int | None
    shutdown: DatedFact | None
    advice: Advice
    next_command: str | None

    @property
    def offering(self) -> Offering:
        """The watched offering."""
        return self.entry.offering

    @property
    def subject(self) -> str:
        """One line: ``gpt-4.5-preview on openai: 29 days left (within 30): shuts down …``."""
        o = self.offering
        return f"{o.platform_id} on {o.platform}: {self.events[0].title}"

    def replacement_text(self) -> str:
        """The live replacement in words, with the chain when the named one is dead."""
        final = self.advice.final
        if final is None:
            reason = self.advice.reason or "the sources name no replacement"
            return f"no live replacement ({reason})"
        text = final.platform_id or final.model
        if final.platform != self.offering.platform:
            text += f" on {final.platform}"
        if final.state == "unknown":
            text += " (no lifecycle source: unverified)"
        elif final.state == "deprecated":
            text += " (itself deprecated)"
        if self.advice.followed:
            text += f"; chain: {self.advice.text()}"
        return text

    def usage_lines(self) -> list[str]:
        """Where it is used: the top locations, then the traffic, one line each."""
        lines = [f"{x.path}:{x.line} ({x.context})" for x in self.top_locations()]
        more = len(self.entry.locations) - TOP_LOCATIONS
        if more > 0:
            lines.append(f"… and {more} more")
        traffic = self.entry.traffic
        if traffic is not None:
            cost = f", ${traffic.cost_usd:.2f}" if traffic.cost_usd is not None else ""
            lines.append(
                f"traffic: {traffic.requests} requests in {traffic.days} days "
                f"({traffic.share:.1%} of all{cost}), last seen {traffic.last_at:%Y-%m-%d}"
            )
        if not lines:
            lines.append("named in the watch config (no code reference or traffic found)")
        return lines

    def top_locations(self) -> list[Location]:
        """The first :data:`TOP_LOCATIONS` locations in path order."""
        return sorted(self.entry.locations, key=lambda x: (x.path, x.line))[:TOP_LOCATIONS]

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) pairs every format shows."""
        o = self.offering
        shutdown = self.shutdown
        rows = [
            ("Model", o.model),
            ("Platform", o.platform + (f" ({o.region})" if o.region else "")),
            ("Platform id", o.platform_id),
            ("State", f"{self.state} on {self.as_of.isoformat()}"),
            ("Shutdown", shutdown.text() if shutdown else "unknown (no source dates it)"),
            ("Source", shutdown.source_text() if shutdown else "none"),
            ("Days left", str(self.days_left) if self.days_left is not None else "unknown"),
            ("Live replacement", self.replacement_text()),
        ]
        if self.next_command:
            rows.append(("Next", self.next_command))
        return rows

    def text(self) -> str:
        """Plain text: subject, events, facts, usage (e-mail's text part, stdout)."""
        lines = [self.subject, ""]
        lines += [f"- {event.title}" for event in self.events]
        lines.append("")
        lines += [f"{label}: {value}" for label, value in self.facts()]
        lines.append("Used in:")
        lines += [f"  {line}" for line in self.usage_lines()]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON (the generic webhook's ``alerts[]`` and ``--format json``)."""
        final = self.advice.final
        return {
            **self.entry.to_dict(),
            "events": [event.to_dict() for event in self.events],
            "subject": self.subject,
            "state": self.state,
            "as_of": self.as_of.isoformat(),
            "days_left": self.days_left,
            "shutdown": self.shutdown.to_dict() if self.shutdown else None,
            "replacement": self.advice.to_dict(),
            "replacement_text": self.replacement_text(),
            "replacement_platform_id": final.platform_id if final else None,
            "next_command": self.next_command,
        }


def build_alert(
    entry: WatchEntry,
    events: Sequence[Event],
    as_of: date,
    catalog: Catalog,
    store_hint: str | None = None,
) -> Alert:
    """The alert for ``entry`` on ``as_of`` with ``events`` (sorted by :data:`EVENT_KINDS`)."""
    lifecycle = entry.offering.lifecycle
    advice = advise(entry.offering, as_of, catalog=catalog)
    ordered = sorted(events, key=lambda e: (EVENT_KINDS.index(e.kind), e.key))
    return Alert(
        entry=entry,
        events=tuple(ordered),
        as_of=as_of,
        state=lifecycle.state_on(as_of),
        days_left=lifecycle.days_left(as_of),
        shutdown=dated_fact(entry.offering),
        advice=advice,
        next_command=audition_command(entry, advice, store_hint),
    )
