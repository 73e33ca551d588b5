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
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


# A run of characters that could be a token: long, of the alphabets keys and tokens use,
# with a letter and a digit. Words, dates and times do not match (they break on ' ', ':').
_TOKEN = re.compile(
    r"(?=[A-Za-z0-9+/=_-]*[0-9])(?=[A-Za-z0-9+/=_-]*[A-Za-z])[A-Za-z0-9+/=_-]{16,}"
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def safe_url(url: str) -> str:
    """The URL without what may carry a credential: user-info, path parameters
    (``;jsessionid=...``), query and fragment. Text that does not parse as a URL is
    returned with its token-like runs masked (:func:`mask_tokens`)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return mask_tokens(url)
    netloc = ""
    if host:
        netloc = f"[{host}]" if ":" in host else host
        netloc += f":{port}" if port is not None else ""
    path = "/".join(segment.split(";", 1)[0] for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def mask_tokens(text: str) -> str:
    """Replace each run of text that could be a token (16 or more letters, digits and
    ``+/=_-``, with a letter and a digit) by its preview, e.g. ``ghp_… (40 chars)``."""
    return _TOKEN.sub(lambda match: preview(match.group(0)), text)


def scrub_free_text(text: str | None) -> str | None:
    """Free text from a log (an error message) with its URLs made safe (:func:`safe_url`)
    and its token-like runs masked: a message such as ``401 Unauthorized for url:
    https://api.example.com/v1?token=...`` keeps its meaning and loses the token."""
    if text is None:
        return None
    return mask_tokens(_URL.sub(lambda match: safe_url(match.group(0)), text))


def quoted(value: object, limit: int = 40) -> str:
    """A value from the input as a rejection reason may quote it: its first ``limit``
    characters, with URLs and token-like runs made safe, in quotes. A cell that does not
    hold what its column expects may hold what another column does, a secret included."""
    text = str(value)
    safe = scrub_free_text(text) or ""
    more = f"… ({len(text)} chars)" if len(safe) > limit else ""
    return repr(safe[:limit]) + more
