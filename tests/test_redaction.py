"""What the warehouse keeps of a secret: fingerprint, preview, hash id, never the value."""

from __future__ import annotations

import hashlib

from analytics.redaction import Fingerprinter, hash_id, preview, scrub


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
