"""An RFC 5545 (iCalendar) calendar of offering shutdowns.

One all-day ``VEVENT`` per offering with a shutdown date. UIDs depend only on
the offering (platform, platform id, region), so re-importing an updated file
updates events instead of duplicating them; ``SEQUENCE`` (given by the caller, who
remembers the last file) tells calendar clients that an event's date moved. ``VALARM``
reminders fire a number of days before the shutdown. Lines end with CRLF and are folded
at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone

from recast.catalog._advice import advise
from recast.catalog._catalog import Catalog
from recast.catalog._model import Offering
from recast.catalog._platforms import PLATFORMS

PRODID = "-//recast//recast models calendar//EN"
UID_DOMAIN = "recast.catalog"


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line into CRLF-joined chunks of at most 75 octets (section 3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    chunks: list[str] = []
    current = b""
    limit = 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            chunks.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with one space
        current += piece
    chunks.append(current.decode("utf-8"))
    return "\r\n ".join(chunks)


def event_uid(offering: Offering) -> str:
    """A UID that stays the same for an offering across catalog versions."""
    import hashlib

    key = f"{offering.platform}\x00{offering.platform_id}\x00{offering.region or ''}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return f"shutdown-{offering.platform}-{digest}@{UID_DOMAIN}"


def _date_value(day: date) -> str:
    return day.strftime("%Y%m%d")


def _summary(offering: Offering) -> str:
    shutdown = offering.lifecycle.shutdown_on
    qualifier = ""
    if shutdown is not None and shutdown.precision == "not_before":
        qualifier = " (not before this day)"
    elif shutdown is not None and shutdown.precision == "month":
        qualifier = " (some day this month)"
    title = PLATFORMS[offering.platform].title if offering.platform in PLATFORMS else ""
    where = f"{offering.platform}" + (f" ({title})" if title else "")
    return f"{offering.platform_id} shuts down on {where}{qualifier}"


def _description(
    offering: Offering, catalog: Catalog | None, as_of: date
) -> tuple[str, str | None]:
    lifecycle = offering.lifecycle
    shutdown = lifecycle.shutdown_on
    lines = [f"Model: {offering.model}", f"Platform: {offering.platform}"]
    lines.append(f"Platform id: {offering.platform_id}")
    if offering.region:
        lines.append(f"Region: {offering.region}")
    if shutdown is not None:
        lines.append(f"Shutdown: {shutdown} ({shutdown.precision})")
    if lifecycle.deprecated_on is not None:
        lines.append(f"Deprecated: {lifecycle.deprecated_on}")
    if lifecycle.announced_on is not None:
        lines.append(f"Announced: {lifecycle.announced_on}")
    url: str | None = None
    # The replacement must still answer on the day of the switch: advise as of the
    # shutdown (or ``as_of``, if later), never recommending what is gone by then.
    when = max(as_of, shutdown.on) if shutdown is not None else as_of
    advice = advise(offering, when, catalog=catalog) if catalog is not None else None
    final = advice.final if advice is not None else None
    if final is not None and advice is not None:
        on = f" on {final.platform}" if final.platform != offering.platform else ""
        lines.append(f"Recommended replacement: {final.model}{on}")
        if advice.followed:
            lines.append(f"Replacement chain: {advice.text()}")
        named = advice.chain[0].named_by
        if named.note:
            lines.append(f"Note on {named.model}: {named.note}")
        if final.named_by.source_url:
            lines.append(f"Replacement source: {final.named_by.source_url}")
            url = final.named_by.source_url
    elif advice is not None and (advice.chain or advice.options):
        lines.append(f"No live replacement: {advice.reason}")
    for source in lifecycle.sources:
        lines.append(f"Source: {source.url}")
        url = url or source.url
    provider = catalog.provider_of(offering.model) if catalog is not None else None
    if provider:
        lines.append(f"Provider: {provider}")
    return "\n".join(lines), url


def _alarm(days: int, offering: Offering) -> list[str]:
    """A display reminder ``days`` before the (all-day) shutdown event starts."""
    when = "the day of the shutdown" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    text = f"{offering.platform_id} on {offering.platform}: {when}"
    return [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER;RELATED=START:-P{days}D" if days else "TRIGGER;RELATED=START:PT0S",
        f"DESCRIPTION:{escape_text(text)}",
        "END:VALARM",
    ]


def shutdown_calendar(
    offerings: Iterable[Offering],
    *,
    catalog: Catalog | None = None,
    stamp: datetime | None = None,
    name: str = "Model shutdowns (recast)",
    as_of: date | None = None,
    alarms: Sequence[int] = (),
    sequences: Mapping[str, int] | None = None,
) -> str:
    """Return an iCalendar document with one all-day event per offering shutdown.

    Offerings without a shutdown date are skipped; events are sorted by date,
    then platform and platform id. ``stamp`` (default now, UTC) becomes every
    event's ``DTSTAMP``. ``catalog`` adds the provider and the live replacement (as of the
    shutdown day, or ``as_of`` when later; default today) to descriptions. ``alarms`` adds
    one ``VALARM`` per number of days before the shutdown (``recast watch`` passes its
    horizons); ``sequences`` maps :func:`event_uid` to the event's ``SEQUENCE`` (absent: 0).
    """
    day = as_of if as_of is not None else date.today()
    moment = (stamp or datetime.now(timezone.utc)).astimezone(timezone.utc)
    dtstamp = moment.strftime("%Y%m%dT%H%M%SZ")
    dated = [o for o in offerings if o.lifecycle.shutdown_on is not None]
    seen: set[tuple[str, str, str | None]] = set()
    unique: list[Offering] = []
    for offering in dated:
        if offering.key not in seen:
            seen.add(offering.key)
            unique.append(offering)
    unique.sort(
        key=lambda o: (
            o.lifecycle.shutdown_on.on if o.lifecycle.shutdown_on else date.min,
            o.platform,
            o.platform_id,
            o.region or "",
        )
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for offering in unique:
        shutdown = offering.lifecycle.shutdown_on
        assert shutdown is not None
        description, url = _description(offering, catalog, day)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event_uid(offering)}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{_date_value(shutdown.on)}",
            f"DTEND;VALUE=DATE:{_date_value(shutdown.on + timedelta(days=1))}",
            f"SUMMARY:{escape_text(_summary(offering))}",
            f"DESCRIPTION:{escape_text(description)}",
            f"CATEGORIES:{escape_text(offering.platform)},model shutdown",
            "TRANSP:TRANSPARENT",
        ]
        sequence = (sequences or {}).get(event_uid(offering), 0)
        if sequence:
            lines.append(f"SEQUENCE:{sequence}")
        if url:
            lines.append(f"URL:{url}")
        for days in sorted(set(alarms), reverse=True):
            lines += _alarm(days, offering)
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
