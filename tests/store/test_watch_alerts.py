"""Watch alerts are claimed in a transaction; audition reports and traffic by model."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from recast.store import CapturedExchange, Store, open_store


def test_a_new_alert_is_claimed_once(store: Store) -> None:
    event = {"kind": "horizon", "days": 30}
    assert store.claim_alert("openai/gpt-4:horizon-30:2026-01-01", "slack", event, "run-1")
    assert not store.claim_alert("openai/gpt-4:horizon-30:2026-01-01", "slack", event, "run-2")
    # Another channel is another delivery.
    assert store.claim_alert("openai/gpt-4:horizon-30:2026-01-01", "email", event, "run-2")
    store.finish_alert("openai/gpt-4:horizon-30:2026-01-01", "slack", "run-1")
    assert not store.claim_alert("openai/gpt-4:horizon-30:2026-01-01", "slack", event, "run-3")
    (sent,) = store.list_alerts(channel="slack")
    assert sent.status == "sent" and sent.attempts == 1 and sent.event == event


def test_a_failed_alert_is_claimed_again_and_counts_attempts(store: Store) -> None:
    assert store.claim_alert("k", "discord", {"n": 1}, "run-1")
    store.finish_alert("k", "discord", "run-1", error="discord: HTTP 500")
    (failed,) = store.list_alerts(status="failed")
    assert failed.last_error == "discord: HTTP 500" and failed.sent_at is None
    assert store.claim_alert("k", "discord", {"n": 2}, "run-2")
    store.finish_alert("k", "discord", "run-2")
    (sent,) = store.list_alerts()
    assert (sent.status, sent.attempts, sent.event, sent.last_error) == ("sent", 2, {"n": 2}, None)


def test_only_the_claim_holder_finishes_it(store: Store) -> None:
    assert store.claim_alert("k", "slack", None, "run-1")
    store.finish_alert("k", "slack", "run-2")  # not its claim: nothing changes
    assert store.list_alerts()[0].status == "claimed"


def test_a_stale_claim_is_taken_over(store: Store) -> None:
    assert store.claim_alert("k", "slack", None, "run-1")
    assert not store.claim_alert("k", "slack", None, "run-2", lease=timedelta(hours=1))
    assert store.claim_alert("k", "slack", None, "run-2", lease=timedelta(seconds=-1))
    assert store.list_alerts()[0].claimed_by == "run-2"


def test_concurrent_claims_give_each_alert_to_one_watcher(store_url: str) -> None:
    keys = [f"openai/m{i}:horizon-7:2026-02-01" for i in range(40)]
    won: dict[str, list[str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def watcher(name: str) -> None:
        opened = open_store(store_url)
        try:
            barrier.wait()
            for key in keys:
                if opened.claim_alert(key, "slack", {"key": key}, name):
                    with lock:
                        won.setdefault(key, []).append(name)
        finally:
            opened.close()

    threads = [threading.Thread(target=watcher, args=(f"run-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(keys)
    assert all(len(names) == 1 for names in won.values()), won


def test_audition_reports_latest_per_baseline(store: Store) -> None:
    assert store.latest_audition_report("gpt-4-0314") is None
    store.save_audition_report("gpt-4-0314", {"schema_version": 1, "n": 1})
    second = store.save_audition_report("gpt-4-0314", {"schema_version": 1, "n": 2}, run_id="r")
    store.save_audition_report("gpt-4o", {"schema_version": 1, "n": 3})
    latest = store.latest_audition_report("gpt-4-0314")
    assert latest is not None and latest.id == second.id
    assert latest.report == {"schema_version": 1, "n": 2} and latest.run_id == "r"


def test_model_usage_groups_traffic(store: Store) -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def exchange(i: int, requested: str, served: str, **extra: object) -> CapturedExchange:
        return CapturedExchange(
            requested_model=requested,
            served_model=served,
            platform="openai",
            endpoint="/v1/chat/completions",
            request={"model": requested, "messages": []},
            captured_at=start + timedelta(hours=i),
            input_tokens=100 * (i + 1),
            output_tokens=10,
            cost_usd=0.01,
            **extra,  # type: ignore[arg-type]
        )

    rows = [exchange(i, "gpt-4-0613", "gpt-4-0613") for i in range(3)]
    rows.append(exchange(3, "gpt-4-0613", "gpt-4.1", error="upstream 500"))
    rows.append(exchange(4, "gpt-4o", "gpt-4o"))
    primary = rows[0]
    rows.append(exchange(5, "gpt-4-0613", "gpt-4.1", shadow_of=primary.id))
    store.capture_many(rows)
    usage = store.model_usage(since=start, until=start + timedelta(days=1))
    top = usage[0]
    assert (top.requested_model, top.served_model, top.requests) == ("gpt-4-0613", "gpt-4-0613", 3)
    assert top.input_tokens == 600 and top.max_input_tokens == 300
    assert top.cost_usd == pytest.approx(0.03)
    assert top.first_at == start and top.last_at == start + timedelta(hours=2)
    redirected = next(u for u in usage if u.served_model == "gpt-4.1")
    assert redirected.requests == 1 and redirected.errors == 1  # the shadow is not counted
    assert store.model_usage(since=start + timedelta(hours=4)) == [usage[-1]]
