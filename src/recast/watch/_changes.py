"""What changed: a snapshot of each watched offering, compared with the last one kept.

A snapshot holds the facts an alert is about (state on the day, shutdown date and its
precision, the deprecation's onset, the live replacement). Comparing today's with the one
the store kept from the last run gives the *changes*; the shutdown date and the horizons
give the *crossings*. Each becomes an :class:`Event` whose ``key`` names it for good
(``openai/gpt-4.5-preview:horizon-30:2025-07-14``): the store records deliveries by key
and channel, so an event is sent once however often the watch runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from recast.catalog import Catalog, Offering, advise

#: Every kind of event, in the order alerts list them.
EVENT_KINDS = (
    "retired",
    "deprecated",
    "shutdown-set",
    "shutdown-moved",
    "shutdown-exact",
    "shutdown-withdrawn",
    "replacement",
    "lifecycle-known",
    "horizon",
)


@dataclass(frozen=True)
class Event:
    """One thing worth telling about one offering; ``key`` makes it idempotent."""

    kind: str
    key: str
    title: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON (what the store keeps with each delivery)."""
        return {
            "kind": self.kind,
            "key": self.key,
            "title": self.title,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Read :meth:`to_dict`'s form back (a failed delivery being retried)."""
        return cls(str(data["kind"]), str(data["key"]), str(data["title"]), dict(data["detail"]))


def snapshot(offering: Offering, as_of: date, catalog: Catalog) -> dict[str, Any]:
    """The facts of ``offering`` on ``as_of`` that watch compares from run to run."""
    lifecycle = offering.lifecycle
    shutdown = lifecycle.shutdown_on
    since = lifecycle.deprecated_since
    advice = advise(offering, as_of, catalog=catalog)
    final = advice.final
    return {
        "state": lifecycle.state_on(as_of),
        "described": lifecycle.described,
        "shutdown_on": shutdown.on.isoformat() if shutdown else None,
        "shutdown_precision": shutdown.precision if shutdown else None,
        "deprecated_since": since.on.isoformat() if since else None,
        "replacement": final.model if final else None,
        "replacement_platform": final.platform if final else None,
    }


def _shown(day: str | None, precision: str | None) -> str:
    if day is None:
        return "no date"
    if precision == "month":
        return f"{day[:7]} (some day that month)"
    if precision == "not_before":
        return f"not before {day}"
    return day


def changes(key: str, before: Mapping[str, Any] | None, now: Mapping[str, Any]) -> list[Event]:
    """Events for what differs between the last snapshot and this one.

    With no earlier snapshot (the first run, or a model new to the watch set) only the
    present state is reported: retired, or deprecated. Dates, replacements and a newly
    known lifecycle are *changes* and need an earlier snapshot to compare with.
    """
    events: list[Event] = []
    state = now["state"]
    was = before["state"] if before else None
    if state == "retired" and was != "retired":
        events.append(Event("retired", f"{key}:retired", "retired: calls now fail"))
    elif state == "deprecated" and was not in ("deprecated", "retired"):
        since = now.get("deprecated_since")
        title = "deprecated" + (f" since {since}" if since else " (announcement date unknown)")
        events.append(Event("deprecated", f"{key}:deprecated", title, {"since": since}))
    if before is None:
        return events
    if not before.get("described") and now.get("described"):
        events.append(
            Event(
                "lifecycle-known", f"{key}:lifecycle-known", "a lifecycle source now describes it"
            )
        )
    old_day, new_day = before.get("shutdown_on"), now.get("shutdown_on")
    old_p, new_p = before.get("shutdown_precision"), now.get("shutdown_precision")
    detail = {"from": old_day, "from_precision": old_p, "to": new_day, "to_precision": new_p}
    if old_day is None and new_day is not None:
        events.append(
            Event(
                "shutdown-set",
                f"{key}:shutdown-set:{new_day}",
                f"shutdown date set: {_shown(new_day, new_p)}",
                detail,
            )
        )
    elif old_day is not None and new_day is None:
        events.append(
            Event(
                "shutdown-withdrawn",
                f"{key}:shutdown-withdrawn:{old_day}",
                f"shutdown date {_shown(old_day, old_p)} withdrawn: no source dates it now",
                detail,
            )
        )
    elif old_day != new_day:
        events.append(
            Event(
                "shutdown-moved",
                f"{key}:shutdown-moved:{old_day}:{new_day}",
                f"shutdown moved from {_shown(old_day, old_p)} to {_shown(new_day, new_p)}",
                detail,
            )
        )
    elif old_p != new_p and new_p == "exact":
        events.append(
            Event(
                "shutdown-exact",
                f"{key}:shutdown-exact:{new_day}",
                f"shutdown date now exact: {new_day} (was {_shown(old_day, old_p)})",
                detail,
            )
        )
    old_r, new_r = before.get("replacement"), now.get("replacement")
    if new_r is not None and new_r != old_r:
        title = f"replacement {'changed from ' + old_r + ' to' if old_r else 'named:'} {new_r}"
        events.append(
            Event("replacement", f"{key}:replacement:{new_r}", title, {"from": old_r, "to": new_r})
        )
    return events


def horizon(key: str, now: Mapping[str, Any], as_of: date, horizons: Sequence[int]) -> Event | None:
    """The tightest horizon the shutdown is within on ``as_of``, as an event, if any.

    Only the tightest counts: a first run 20 days before a shutdown sends the 30-day
    alert, not the 90-day one too. The key holds the date, so a moved date is a new
    deadline whose horizons fire again.
    """
    day = now.get("shutdown_on")
    if day is None or now.get("state") == "retired":
        return None
    left = (date.fromisoformat(day) - as_of).days
    if left < 0:
        return None
    crossed = [h for h in horizons if left <= h]
    if not crossed:
        return None
    tightest = min(crossed)
    when = _shown(day, now.get("shutdown_precision"))
    plural = "day" if left == 1 else "days"
    return Event(
        "horizon",
        f"{key}:horizon-{tightest}:{day}",
        f"{left} {plural} left (within {tightest}): shuts down {when}",
        {"horizon": tightest, "days_left": left, "shutdown_on": day},
    )
