"""One name per kind of secret and per repository, whichever scanner reported it.

GitHub secret scanning says ``aws_access_key_id``, gitleaks ``aws-access-token`` and
TruffleHog ``AWS`` for the same kind of key; GitHub names a repository ``owner/name`` and
TruffleHog ``https://github.com/owner/name.git``. A breakdown by secret type or repository
would split one group into three. The adapters keep what the scanner said (``secret_type``,
``detector``) and add a ``secret_family``; the repository is stored in one spelling.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# (family, words of which any one names it). Checked in order, on the words of the rule id
# and the detector's name together; the first family with a word present wins. A name that
# matches none becomes its own family, spelled as GitHub spells its secret types
# (``MailChimp API key`` -> ``mailchimp_api_key``), so names that differ only in case and
# punctuation still meet.
_FAMILIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("private_key", frozenset({"private", "privatekey", "pk", "ssh", "pgp", "pkcs8"})),
    ("aws_access_key", frozenset({"aws", "amazon", "akia"})),
    ("github_token", frozenset({"github", "ghp", "gho", "ghs"})),
    ("gitlab_token", frozenset({"gitlab", "glpat"})),
    ("slack_token", frozenset({"slack"})),
    ("openai_api_key", frozenset({"openai"})),
    ("anthropic_api_key", frozenset({"anthropic"})),
    ("stripe_key", frozenset({"stripe"})),
    ("azure_credential", frozenset({"azure"})),
    ("google_credential", frozenset({"gcp", "google"})),
    ("generic_secret", frozenset({"generic", "entropy", "password"})),
)
_WORD = re.compile(r"[a-z0-9]+")
# Hosts whose repositories GitHub's own alerts name as ``owner/name`` with no host.
_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
_SCP_LIKE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>[^/].*)$")


def secret_family(*names: str | None) -> str | None:
    """Return the family of a secret from the scanner's rule id and detector name.

    Parameters
    ----------
    names
        What the scanner calls the secret, most specific first: GitHub's ``secret_type``
        and its display name, a gitleaks rule id and description, a TruffleHog detector.

    Returns
    -------
    str or None
        One of the families above (``aws_access_key``, ``private_key``, ...), else the
        first name in lower case with ``_`` between its words; ``None`` when no name is
        given.
    """
    given = [name for name in names if name and name.strip()]
    if not given:
        return None
    words = {word for name in given for word in _WORD.findall(name.lower())}
    for family, markers in _FAMILIES:
        if words & markers:
            return family
    return "_".join(_WORD.findall(given[0].lower())) or None


def repository_name(value: str | None) -> str | None:
    """Return a repository in one spelling: ``owner/name`` on github.com, else ``host/path``.

    ``https://github.com/acme/api.git``, ``git@github.com:acme/api.git`` and ``acme/api``
    are all ``acme/api``; ``https://gitlab.example.com/team/api`` is
    ``gitlab.example.com/team/api``. Credentials in a URL (``https://user:token@host``) are
    dropped. A local path or anything else is kept as given, less a trailing ``/``.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    scp = _SCP_LIKE.match(text)
    if scp:
        host, path = scp.group("host"), scp.group("path")
    elif "://" in text and not text.startswith("file://"):
        parts = urlsplit(text)
        host, path = (parts.hostname or ""), parts.path
    else:
        return text.rstrip("/") or text
    path = path.strip("/")
    path = path.removesuffix(".git")
    if host.lower() in _GITHUB_HOSTS:
        return path or host.lower()
    return f"{host.lower()}/{path}" if path else host.lower()
