"""The shutdown calendar, read back with a real iCalendar parser."""

from __future__ import annotations

from datetime import date, datetime, timezone

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from recast.catalog import (
    Catalog,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Replacement,
    Source,
    shutdown_calendar,
)
from recast.catalog._calendar import escape_text, event_uid, fold_line

STAMP = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)

GPT45 = Offering(
    model="gpt-4.5-preview",
    platform="openai",
    platform_id="gpt-4.5-preview",
    lifecycle=Lifecycle(
        state="retired",
        announced_on=LifecycleDate(date(2025, 4, 14)),
        shutdown_on=LifecycleDate(date(2025, 7, 14)),
        replacements=(
            Replacement(
                "gpt-4.1",
                recommended=True,
                source_url="https://platform.openai.com/docs/deprecations",
            ),
        ),
        sources=(Source("https://platform.openai.com/docs/deprecations", importer="overlay"),),
    ),
)
SONNET_BEDROCK = Offering(
    model="claude-3-sonnet-20240229",
    platform="bedrock",
    platform_id="anthropic.claude-3-sonnet-20240229-v1:0",
    lifecycle=Lifecycle(
        state="deprecated",
        shutdown_on=LifecycleDate(date(2026, 7, 30)),
        replacements=(Replacement("claude-3-5-sonnet-20241022", note="Faster; costs, same"),),
    ),
)
GEMINI_MONTH = Offering(
    model="gemini-1.0-pro-001",
    platform="vertex",
    platform_id="gemini-1.0-pro-001",
    lifecycle=Lifecycle(shutdown_on=LifecycleDate(date(2026, 12, 1), "month")),
)
UNDATED = Offering(model="gpt-4.1", platform="openai", platform_id="gpt-4.1")
SONNET_35_BEDROCK = Offering(
    model="claude-3-5-sonnet-20241022",
    platform="bedrock",
    platform_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
    lifecycle=Lifecycle(state="active"),
)
CATALOG = Catalog.build(
    [
        Model("gpt-4.5-preview", "openai"),
        Model("claude-3-sonnet-20240229", "anthropic"),
        Model("gemini-1.0-pro-001", "google"),
        Model("gpt-4.1", "openai"),
        Model("claude-3-5-sonnet-20241022", "anthropic"),
    ],
    [GPT45, SONNET_BEDROCK, GEMINI_MONTH, UNDATED, SONNET_35_BEDROCK],
)


def _parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def test_one_all_day_event_per_dated_offering() -> None:
    text = shutdown_calendar(CATALOG.offerings, catalog=CATALOG, stamp=STAMP)
    calendar = _parse(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//recast//")
    events = calendar.walk("VEVENT")
    assert len(events) == 3  # the undated offering has no event
    starts = [e.decoded("DTSTART") for e in events]
    assert starts == [date(2025, 7, 14), date(2026, 7, 30), date(2026, 12, 1)]  # sorted
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and (end - start).days == 1  # all-day
        assert event.decoded("DTSTAMP") == STAMP
    first = events[0]
    assert "gpt-4.5-preview" in str(first["SUMMARY"])
    description = str(first["DESCRIPTION"])
    assert "Recommended replacement: gpt-4.1" in description
    assert "https://platform.openai.com/docs/deprecations" in description
    assert "\n" in description  # escaped newlines come back as newlines
    assert str(first["URL"]) == "https://platform.openai.com/docs/deprecations"
    # commas and semicolons in text survive the round trip
    assert "Faster; costs, same" in str(events[1]["DESCRIPTION"])
    assert "not before" not in str(events[1]["SUMMARY"])
    assert "month" in str(events[2]["SUMMARY"])


def test_uids_are_stable_and_unique() -> None:
    one = _parse(shutdown_calendar(CATALOG.offerings, stamp=STAMP))
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    two = _parse(shutdown_calendar(reversed(CATALOG.offerings), stamp=later))
    uids_one = [str(e["UID"]) for e in one.walk("VEVENT")]
    uids_two = [str(e["UID"]) for e in two.walk("VEVENT")]
    assert uids_one == uids_two
    assert len(set(uids_one)) == len(uids_one)
    assert event_uid(GPT45) == event_uid(GPT45)
    assert event_uid(GPT45) != event_uid(SONNET_BEDROCK)


def test_lines_end_with_crlf_and_fit_75_octets() -> None:
    long_note = "é" * 200 + " long replacement note, with commas; and semicolons"
    offering = Offering(
        model="m",
        platform="openai",
        platform_id="m-" + "x" * 120,
        lifecycle=Lifecycle(
            shutdown_on=LifecycleDate(date(2030, 1, 1)),
            replacements=(Replacement("n", note=long_note),),
            sources=(Source("https://example.com/" + "p" * 150),),
        ),
    )
    text = shutdown_calendar([offering], stamp=STAMP)
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")
    event = _parse(text).walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith("m-" + "x" * 120)
    assert str(event["URL"]) == "https://example.com/" + "p" * 150


def test_empty_calendar_is_valid() -> None:
    calendar = _parse(shutdown_calendar([UNDATED], stamp=STAMP))
    assert calendar.walk("VEVENT") == []


@given(st.text(max_size=300))
def test_fold_and_escape_round_trip(text: str) -> None:
    folded = fold_line("DESCRIPTION:" + escape_text(text))
    for line in folded.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    unfolded = folded.replace("\r\n ", "")
    assert unfolded == "DESCRIPTION:" + escape_text(text)
