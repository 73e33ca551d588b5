"""Keep secret values out of everything the toolkit writes.

Scanner reports carry the leaked secret itself. The warehouse keeps two things instead:

- a *keyed fingerprint*: HMAC-SHA256 of the secret under a key that lives outside the
  warehouse (``<warehouse>.key``, or ``$NHI_RISK_FINGERPRINT_KEY``). The same secret found by
  two scanners gets the same fingerprint, so findings can be matched, but a copy of the
  warehouse alone cannot be used to test guesses of short secrets.
- a *preview*: at most the first four characters (the part that names the secret's type,
  such as ``ghp_`` or ``AKIA``) and the length, e.g. ``ghp_… (40 chars)``;
- for secrets of 20 characters or more, a *hash id*: ``sha256:`` and the first 16 hex
  digits of the secret's SHA-256, the id under which inventories list tokens that have no
  id of their own, so that a leak can be joined to the credential it exposes. It is not
  keyed; 20 characters of a generated token are far beyond guessing, which is why shorter
  secrets (passwords) get none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from analytics.config import KEY_ENV

log = logging.getLogger(__name__)

_PREVIEW_PREFIX = 4
_MIN_LEN_FOR_PREFIX = 16


class Fingerprinter:
    """Compute keyed fingerprints and previews of secret values.

    Parameters
    ----------
    key
        The HMAC key. Use :meth:`for_warehouse` to load or create the key kept beside a
        warehouse file.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the fingerprint key must be at least 16 bytes long")
        self._key = key

    @classmethod
    def for_warehouse(cls, key_file: Path) -> Fingerprinter:
        """Load the key from ``$NHI_RISK_FINGERPRINT_KEY`` or ``key_file``, creating the file.

        The file is created with mode 0600 on first use. Losing it means new fingerprints no
        longer match old ones; it holds no secret value from any input.
        """
        from_env = os.environ.get(KEY_ENV)
        if from_env:
            return cls(from_env.encode())
        if key_file.exists():
            return cls(bytes.fromhex(key_file.read_text().strip()))
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex() + "\n")
        log.info("created fingerprint key %s (keep it to match findings across runs)", key_file)
        return cls(key)

    def fingerprint(self, secret: str) -> str:
        """Return ``hmac-sha256:<hex>`` of the secret, stripped of surrounding whitespace."""
        digest = hmac.new(self._key, secret.strip().encode(), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"


def preview(secret: str) -> str:
    """Return a preview that cannot reveal the secret: a short type prefix and the length.

    Secrets shorter than 16 characters show no characters at all, since four of them would
    be a large share of the value.
    """
    value = secret.strip()
    shown = value[:_PREVIEW_PREFIX] if len(value) >= _MIN_LEN_FOR_PREFIX else ""
    return f"{shown}… ({len(value)} chars)"


HASH_ID_MIN_LENGTH = 20


def hash_id(secret: str) -> str | None:
    """Return ``sha256:<first 16 hex digits>`` of a long secret, ``None`` for a short one."""
    value = secret.strip()
    if len(value) < HASH_ID_MIN_LENGTH:
        return None
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]


def scrub(text: str | None, *secret_values: str | None) -> str | None:
    """Return ``text`` with every occurrence of each secret replaced by ``[REDACTED]``.

    For free-text fields (a commit message, a source line) that may quote the secret.
    """
    if text is None:
        return None
    for value in secret_values:
        if value and value.strip():
            text = text.replace(value.strip(), "[REDACTED]")
    return text
