"""What the warehouse keeps of a secret: fingerprint, preview, hash id, never the value."""

from __future__ import annotations

import hashlib

import pytest

from analytics.redaction import (
    Fingerprinter,
    hash_id,
    preview,
    quoted,
    safe_url,
    scrub,
    scrub_free_text,
)


def test_hash_id_is_a_sha256_prefix_for_long_secrets_only():
    token = "ghp_" + "Z" * 36

    assert hash_id(token) == "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    assert hash_id("hunter2-password") is None  # 16 characters: guessable, no hash id


def test_preview_shows_at_most_four_characters_and_the_length():
    assert preview("ghp_" + "Z" * 36) == "ghp_… (40 chars)"
    assert preview("short-secret") == "… (12 chars)"


def test_fingerprints_depend_on_the_key():
    one, two = Fingerprinter(b"k" * 32), Fingerprinter(b"j" * 32)

    assert one.fingerprint("s3cr3t-value") == one.fingerprint(" s3cr3t-value ")
    assert one.fingerprint("s3cr3t-value") != two.fingerprint("s3cr3t-value")


def test_scrub_replaces_every_occurrence():
    assert scrub("a=XYZ b=XYZ", "XYZ") == "a=[REDACTED] b=[REDACTED]"


@pytest.mark.parametrize(
    ("found", "shown"),
    [
        ("last tuesday", "'last tuesday'"),
        ("2026-11-30T08:15:00Z", "'2026-11-30T08:15:00Z'"),
        ("arn:aws:iam::111122223333:role/ci", "'arn:aws:iam::111122223333:role/ci'"),
        ("sk-proj-abcdEFGH1234567890abcdefghijklmnop", "'sk-p… (42 chars)'"),
        ("ghp_0123456789abcdefghijABCDEFGHIJ012345 trailing", "'ghp_… (40 chars) trailing'"),
    ],
)
def test_a_rejection_quotes_words_and_times_but_never_a_token(found, shown):
    assert quoted(found) == shown


def test_a_long_value_is_cut_after_its_tokens_are_masked():
    value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + " and more" * 10

    shown = quoted(value, limit=30)

    assert "wJalrX" not in shown
    assert shown == f"{'wJal… (40 chars) and more and '!r}… ({len(value)} chars)"


def test_urls_in_free_text_lose_credentials_query_and_fragment():
    message = (
        "401 Client Error: Unauthorized for url: "
        "https://bot:hunter2@api.example.com/v1/items;sid=7?token=abc123#frag"
    )

    assert scrub_free_text(message) == (
        "401 Client Error: Unauthorized for url: https://api.example.com/v1/items"
    )
    assert safe_url("https://example.org/report?access_token=x1") == "https://example.org/report"
