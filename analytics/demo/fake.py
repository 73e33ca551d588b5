"""Random identifiers, secret-shaped strings and time formats for the demo data set.

Every value here is drawn from a ``random.Random`` the caller owns, so the same seed gives
the same strings. The secret shapes follow the public prefixes of each provider (``ghp_``,
``xoxb-``, ``sk-proj-`` ...) so that scanners and parsers recognise them; the bodies are
random and authenticate nothing.
"""

from __future__ import annotations

import hashlib
import random
import string
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
BASE32 = string.ascii_uppercase + "234567"
BASE64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def chars(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """Return ``n`` characters drawn with replacement from ``alphabet``."""
    return "".join(rng.choices(alphabet, k=n))


def hexstr(rng: random.Random, n: int) -> str:
    """Return ``n`` lower-case hexadecimal digits."""
    return format(rng.getrandbits(4 * n), f"0{n}x")


def digits(rng: random.Random, n: int) -> str:
    """Return ``n`` decimal digits, the first one non-zero."""
    return str(rng.randrange(1, 10)) + chars(rng, n - 1, string.digits)


def fake_uuid(rng: random.Random) -> str:
    """Return a version-4 shaped UUID string taken from ``rng`` rather than the OS."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Unique:
    """Draws values until one is new, so ids and secrets never repeat within a data set.

    Only membership is tested; the set is never iterated, so its order cannot leak into
    the output.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def __contains__(self, value: object) -> bool:
        return value in self._seen

    def claim(self, value: str) -> str:
        """Record ``value`` as taken and return it."""
        self._seen.add(value)
        return value

    def draw(self, make: Callable[[], str]) -> str:
        """Call ``make`` until it returns a value not drawn before, and return it."""
        value = make()
        while value in self._seen:
            value = make()
        self._seen.add(value)
        return value


def aws_unique_id(rng: random.Random, prefix: str) -> str:
    """An IAM unique id (``AIDA``, ``AROA``, ``ANPA``, ``AGPA``): prefix plus 17 base32."""
    return prefix + chars(rng, 17, BASE32)


def aws_key_id(rng: random.Random, prefix: str = "AKIA") -> str:
    """An access key id: ``AKIA`` (long-lived) or ``ASIA`` (session) plus 16 base32."""
    return prefix + chars(rng, 16, BASE32)


def aws_secret_key(rng: random.Random) -> str:
    """A 40-character secret access key body."""
    return chars(rng, 40, BASE64)


def github_classic_pat(rng: random.Random) -> str:
    """A classic personal access token: ``ghp_`` and 36 alphanumerics."""
    return "ghp_" + chars(rng, 36)


def github_fine_grained_pat(rng: random.Random) -> str:
    """A fine-grained personal access token: ``github_pat_``, 22 + 59 characters."""
    return "github_pat_" + chars(rng, 22) + "_" + chars(rng, 59)


def slack_bot_token(rng: random.Random) -> str:
    """A Slack bot token: ``xoxb-``, workspace and bot numbers, 24 alphanumerics."""
    return f"xoxb-{digits(rng, 12)}-{digits(rng, 13)}-{chars(rng, 24)}"


def openai_key(rng: random.Random, service_account: bool) -> str:
    """An OpenAI project key (``sk-proj-``) or service-account key (``sk-svcacct-``)."""
    prefix = "sk-svcacct-" if service_account else "sk-proj-"
    return prefix + chars(rng, 74, URLSAFE) + "T3BlbkFJ" + chars(rng, 74, URLSAFE)


def fingerprint(secret: str) -> str:
    """The inventory id of a token: ``sha256:`` and the first 16 hex digits of its hash.

    It lets a leak be matched to its credential without storing the token itself.
    """
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def iso_z(moment: datetime) -> str:
    """``2026-11-29T08:15:03Z``: CloudTrail, GitHub and inventory time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(moment: datetime) -> str:
    """``2026-11-29T08:15:03+00:00``: the IAM credential report and AWS CLI format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def epoch_z(seconds: int) -> str:
    """:func:`iso_z` for an epoch second, without building a ``datetime``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def aws_console_time(seconds: int) -> str:
    """``Nov 29, 2026 9:15:03 PM``: how IAM and STS responses print times in CloudTrail."""
    t = time.gmtime(seconds)
    hour = t.tm_hour % 12 or 12
    half = "AM" if t.tm_hour < 12 else "PM"
    return (
        f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday}, {t.tm_year} "
        f"{hour}:{t.tm_min:02d}:{t.tm_sec:02d} {half}"
    )


def from_epoch(seconds: float) -> datetime:
    """A UTC ``datetime`` for an epoch second."""
    return datetime.fromtimestamp(seconds, UTC)
