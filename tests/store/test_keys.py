"""Gateway keys: hashed at rest, verified by id + constant-time compare, revocable."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from recast.errors import StoreError
from recast.store import KEY_SCHEME, Store


def test_key_is_shown_once_and_hashed_at_rest(store: Store) -> None:
    key_id, plaintext = store.create_key("billing-service", ["gpt-4.1"], rpm=120)
    scheme, embedded_id, secret = plaintext.split("-", 2)
    assert (scheme, embedded_id) == (KEY_SCHEME, key_id)
    assert len(secret) >= 40
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM gateway_keys")).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert plaintext not in stored
    assert secret not in stored
    assert secret[4:] not in stored  # the display prefix shows at most 4 characters
    assert row["key_hash"] != hashlib.sha256(secret.encode()).hexdigest()  # salted
    assert row["prefix"] == plaintext[: len(row["prefix"])]
    allowed = row["allowed_models"]
    assert (json.loads(allowed) if isinstance(allowed, str) else allowed) == ["gpt-4.1"]
    assert row["rpm_limit"] == 120


def test_two_keys_with_one_secret_would_hash_differently(store: Store) -> None:
    store.create_key("a")
    store.create_key("b")
    with store.engine.connect() as conn:
        salts = conn.execute(sa.text("SELECT salt FROM gateway_keys")).scalars().all()
    assert len(set(salts)) == 2


def test_verify_accepts_only_the_exact_key(store: Store) -> None:
    key_id, plaintext = store.create_key("svc", rpm=60)
    found = store.verify_key(plaintext)
    assert found is not None
    assert (found.id, found.name, found.rpm_limit, found.revoked) == (key_id, "svc", 60, False)
    assert store.verify_key(f"  {plaintext}\n") == found
    flipped = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    other_id = f"{KEY_SCHEME}-{'z' * 12}-{plaintext.split('-', 2)[2]}"
    for wrong in (flipped, plaintext[:-1], other_id, "", "sk-nope", f"{KEY_SCHEME}-short-x"):
        assert store.verify_key(wrong) is None, wrong


def test_revoked_keys_stop_working(store: Store) -> None:
    key_id, plaintext = store.create_key("old")
    keep_id, keep = store.create_key("new")
    assert store.revoke_key(key_id)
    assert not store.revoke_key(key_id)  # already revoked
    assert not store.revoke_key("unknown")
    assert store.verify_key(plaintext) is None
    assert store.verify_key(keep) is not None
    revoked = store.get_key(key_id)
    assert revoked is not None and revoked.revoked_at is not None
    assert [k.id for k in store.list_keys()] == [keep_id]
    assert {k.id for k in store.list_keys(include_revoked=True)} == {key_id, keep_id}


def test_allow_lists(store: Store) -> None:
    _, anything = store.create_key("open")
    _, limited = store.create_key("limited", ["gpt-4.1", "claude-sonnet-4-*"])
    _, nothing = store.create_key("closed", [])
    open_key, limited_key, closed_key = (store.verify_key(k) for k in (anything, limited, nothing))
    assert open_key is not None and limited_key is not None and closed_key is not None
    assert open_key.allowed_models is None and open_key.allows("any-model")
    assert limited_key.allowed_models == ("gpt-4.1", "claude-sonnet-4-*")
    assert limited_key.allows("gpt-4.1")
    assert limited_key.allows("claude-sonnet-4-5")
    assert not limited_key.allows("gpt-4.1-mini")
    assert not limited_key.allows("gpt-4o")
    assert not closed_key.allows("gpt-4.1")


@pytest.mark.parametrize(("name", "rpm"), [("", None), ("  ", None), ("ok", 0), ("ok", -5)])
def test_bad_key_settings(store: Store, name: str, rpm: int | None) -> None:
    with pytest.raises(StoreError):
        store.create_key(name, rpm=rpm)


def test_key_never_in_repr(store: Store) -> None:
    _, plaintext = store.create_key("svc")
    key = store.verify_key(plaintext)
    secret = plaintext.split("-", 2)[2]
    assert secret not in repr(key)
    assert secret not in repr(store)
