"""Redaction: secrets never stored, PII rules on request, nothing else touched."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recast.errors import ConfigError
from recast.store import (
    DEFAULT_REDACTOR,
    PII_PATTERNS,
    REDACTED,
    SECRET_PATTERNS,
    RedactionRule,
    Redactor,
)
from recast.store._redact import SECRET_MARKERS

#: One realistic-looking credential per pattern (made up, none of them valid).
SAMPLES = [
    "sk-Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx",
    "sk-proj-h5Jx_Kq9-ZtR2wYb8LmN0pQs3VuX6aCdEfGhIjKl",
    "sk-ant-api03-ZyXwVuTsRqPoNmLkJiHgFeDcBa-0123456789_abcdEFGH",
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAY34FZKBOKMUTVV7A",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
    "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "rcst-abcdefghijkl-AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH0123456789a",
    "Bearer 0123456789abcdefghijABCDEFGHIJ",
]


@pytest.mark.parametrize("secret", SAMPLES)
def test_every_kind_of_secret_is_removed(secret: str) -> None:
    text = f"config: {secret}\nother"
    assert DEFAULT_REDACTOR.text(text) == f"config: {REDACTED}\nother"


def test_every_pattern_has_a_sample_and_a_marker() -> None:
    for pattern in SECRET_PATTERNS:
        matching = [s for s in SAMPLES if re.search(pattern, s)]
        assert matching, pattern
        for sample in matching:
            assert any(marker in sample for marker in SECRET_MARKERS), sample


@pytest.mark.parametrize(
    "harmless",
    [
        "A task-based approach to risk-assessment-and-mitigation works.",
        "The bearer of bad news arrived.",
        "AKIA is not a key by itself",
        "max_tokens and the token field are not secrets",
        "",
    ],
)
def test_ordinary_text_is_left_alone(harmless: str) -> None:
    assert DEFAULT_REDACTOR.text(harmless) == harmless


def test_sensitive_fields_at_any_depth() -> None:
    body = {
        "model": "gpt-4.1",
        "max_tokens": 10,
        "logprobs": [{"token": "Hi", "logprob": -0.1}],
        "extra_headers": {
            "Authorization": "Basic dXNlcjpwYXNz",
            "X-API-KEY": "k1",
            "Api-Key": "k2",
        },
        "nested": [{"client_secret": "s", "password": "p", "Cookie": "c=1", "ok": True}],
    }
    before = copy.deepcopy(body)
    out = DEFAULT_REDACTOR.json(body)
    assert body == before  # the input is never modified
    assert out == {
        "model": "gpt-4.1",
        "max_tokens": 10,
        "logprobs": [{"token": "Hi", "logprob": -0.1}],
        "extra_headers": {"Authorization": REDACTED, "X-API-KEY": REDACTED, "Api-Key": REDACTED},
        "nested": [
            {"client_secret": REDACTED, "password": REDACTED, "Cookie": REDACTED, "ok": True}
        ],
    }


def test_clean_values_are_returned_without_copying() -> None:
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hello"}]}
    assert DEFAULT_REDACTOR.json(body) is body
    assert (
        DEFAULT_REDACTOR.json_text(body)
        == '{"model":"gpt-4.1","messages":[{"role":"user","content":"hello"}]}'
    )


def test_headers() -> None:
    headers = {
        "Authorization": "Bearer sk-abcdefghijklmnopqrstuvwxyz012345",
        "x-api-key": "sk-ant-xxxxxxxxxxxxxxxxxxxxxxxx",
        "api-key": "azure-key-value",
        "cookie": "session=1",
        "Content-Type": "application/json",
        "X-Note": "forwarded sk-abcdefghijklmnopqrstuvwxyz012345",
    }
    assert DEFAULT_REDACTOR.headers(headers) == {
        "Authorization": REDACTED,
        "x-api-key": REDACTED,
        "api-key": REDACTED,
        "cookie": REDACTED,
        "Content-Type": "application/json",
        "X-Note": f"forwarded {REDACTED}",
    }
    assert DEFAULT_REDACTOR.headers([("Proxy-Authorization", "x")]) == {
        "Proxy-Authorization": REDACTED
    }


def test_configured_pii_rules_and_fields() -> None:
    redactor = Redactor(
        fields=["user", "X-Customer-Id"],
        rules=["email", RedactionRule(r"\bORD-\d{6}\b", "[ORDER]")],
    )
    body = {
        "user": "alice",
        "x_customer_id": 42,
        "messages": [
            {"content": "Mail bob@example.com about ORD-123456, key sk-abcdefghijklmnopqrstu"}
        ],
    }
    assert redactor.json(body) == {
        "user": REDACTED,
        "x_customer_id": REDACTED,
        "messages": [{"content": f"Mail {REDACTED} about [ORDER], key {REDACTED}"}],
    }
    assert set(PII_PATTERNS) >= {"email", "phone", "credit_card", "ipv4"}


def test_pii_presets_match_what_they_name() -> None:
    examples = {
        "email": "jane.doe+x@mail.example.org",
        "phone": "+1 415 555 0199",
        "credit_card": "4111 1111 1111 1111",
        "ipv4": "192.168.10.254",
        "us_ssn": "123-45-6789",
    }
    for name, value in examples.items():
        assert Redactor(rules=[name]).text(f"x {value} y") == f"x {REDACTED} y", name


def test_secrets_can_be_switched_off_for_pii_only() -> None:
    assert (
        Redactor(secrets=False).text("sk-abcdefghijklmnopqrstuvwxyz")
        == "sk-abcdefghijklmnopqrstuvwxyz"
    )


def test_invalid_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Invalid redaction pattern '\(unclosed'"):
        Redactor(rules=["(unclosed"])


_SEPARATORS = st.sampled_from([" ", "\n", "\t", ": ", "=", '"', "'", "(", ", ", "/"])


@given(
    before=st.text(max_size=40),
    left=_SEPARATORS,
    secret=st.sampled_from(SAMPLES),
    right=_SEPARATORS,
    after=st.text(max_size=40),
)
def test_a_secret_anywhere_in_text_never_survives(
    before: str, left: str, secret: str, right: str, after: str
) -> None:
    text = f"{before}{left}{secret}{right}{after}"
    body = {"messages": [{"role": "user", "content": text}], "metadata": {"note": text}}
    token = secret.split()[-1]
    assert token not in DEFAULT_REDACTOR.text(text)
    assert token not in DEFAULT_REDACTOR.json_text(body)
