"""GitHub secret-scanning alerts: REST responses and the ``secret_scanning_alert`` webhook.

Accepted shapes:

- the list endpoints' JSON arrays. The repository endpoint's alerts carry no
  ``repository`` object, so the repository is read from ``html_url`` or ``url``; the
  organisation and enterprise endpoints' alerts name it in ``repository.full_name``;
- several arrays written back to back, as ``gh api --paginate`` writes the pages;
- one alert per line (``gh api --paginate --jq '.[]'``), or a single alert object;
- the ``secret_scanning_alert`` webhook payload ``{"action", "alert", "repository", ...}``.
  Older payloads hold only a few alert fields, so the state follows from the action when the
  alert does not state it.

An alert is identified as ``github:<owner>/<repo>#<number>``. Each export is one
observation of it: re-exporting an unchanged alert is a duplicate, a changed state, validity
or resolution is a new row. The alert's ``secret`` is kept only as a keyed fingerprint and a
preview; comments (resolution, bypass requests) are not kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import flag, require, text, time_field
from analytics.ingest.findings import VALIDITIES, finding_row, line_number
from analytics.ingest.readers import RawRecord, iter_json
from analytics.redaction import quoted

KIND = "github-secret-scanning"

_STATE_OF_ACTION = {
    "created": "open",
    "reopened": "open",
    "reopened_by_user": "open",
    "resolved": "resolved",
}
_STATE_ALIASES = {
    "open": "open",
    "resolved": "resolved",
    "fixed": "resolved",
    "closed": "resolved",
    "dismissed": "resolved",
}
_REPO_FROM_URL = (
    re.compile(r"/repos/([^/]+/[^/]+)/secret-scanning/"),
    re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/security/secret-scanning(?:/|$)"),
)


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the alerts of an array (or back-to-back pages of arrays), lines, or one object."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one alert (or one webhook delivery) to a ``secret_findings`` row."""
    data = record.data
    if not isinstance(data, dict):
        raise RecordRejected("", f"expected an alert object, found a JSON {type(data).__name__}")
    webhook = isinstance(data.get("alert"), dict) and "action" in data
    alert: dict[str, Any] = data["alert"] if webhook else data
    number = require(alert, "number")
    repository = _repository(data if webhook else alert, alert)
    state = _state(alert, text(data, "action") if webhook else None)
    resolved_by = _login(alert.get("resolved_by"), "resolved_by")
    if webhook and state == "resolved" and resolved_by is None:
        resolved_by = _login(data.get("sender"), "sender")
    secret = _secret(alert)
    row = {
        "finding_id": f"github:{repository}#{number}",
        "source_kind": KIND,
        "source_ref": text(alert, "html_url"),
        "secret_type": text(alert, "secret_type"),
        "detector": text(alert, "secret_type_display_name"),
        "repository": repository,
        "file_path": text(alert, "first_location_detected.path"),
        "line": line_number(alert, "first_location_detected.start_line"),
        "commit_sha": text(alert, "first_location_detected.commit_sha"),
        "committed_at": None,
        "author": None,
        "detected_at": time_field(alert, "created_at"),
        "state": state,
        "resolution": _lower(text(alert, "resolution")),
        "resolved_at": time_field(alert, "resolved_at"),
        "resolved_by": resolved_by,
        "validity": _validity(alert, ctx),
        "publicly_leaked": flag(alert, "publicly_leaked"),
        "push_protection_bypassed": flag(alert, "push_protection_bypassed"),
    }
    return Rows().add("secret_findings", finding_row(ctx, row, secret))


def _repository(holder: dict[str, Any], alert: dict[str, Any]) -> str:
    """Return ``owner/name``: from ``repository``, else from the alert's URLs."""
    repo = holder.get("repository")
    if isinstance(repo, dict):
        full_name = text(repo, "full_name")
        if full_name:
            return full_name
        owner, name = text(repo, "owner.login"), text(repo, "name")
        if owner and name:
            return f"{owner}/{name}"
    elif isinstance(repo, str) and repo.count("/") == 1:
        return repo.strip()
    for field in ("url", "html_url", "locations_url"):
        url = text(alert, field)
        for pattern in _REPO_FROM_URL:
            found = pattern.search(url) if url else None
            if found:
                return found.group(1)
    raise RecordRejected(
        "repository",
        "cannot tell the alert's repository: no repository.full_name and no html_url or url "
        "of a secret-scanning alert; export the alerts with their URLs",
    )


def _state(alert: dict[str, Any], action: str | None) -> str:
    """Return open or resolved: the alert's own state, else the webhook action's."""
    stated = text(alert, "state")
    if stated is not None:
        state = _STATE_ALIASES.get(stated.lower())
        if state is None:
            raise RecordRejected("state", f"expected open or resolved, found {quoted(stated, 30)}")
        return state
    if action and action.lower() in _STATE_OF_ACTION:
        return _STATE_OF_ACTION[action.lower()]
    # Other actions (validated, publicly_leaked, assigned...) leave the state as it was:
    # an alert with a resolution or resolution time is resolved, any other is open.
    resolved = text(alert, "resolution") or text(alert, "resolved_at")
    return "resolved" if resolved else "open"


def _validity(alert: dict[str, Any], ctx: Context) -> str:
    value = text(alert, "validity")
    if value is None:
        return "unknown"
    if value.lower() in VALIDITIES:
        return value.lower()
    warning = (
        f"{ctx.path}: validity {quoted(value, 30)} is not active, inactive or unknown; it was "
        f"loaded as unknown (update the adapter if GitHub added a value)"
    )
    if warning not in ctx.warnings:
        ctx.warnings.append(warning)
    return "unknown"


def _login(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return text(value, "login")
    if isinstance(value, str):
        return value.strip() or None
    raise RecordRejected(field, f"expected a user object, found a JSON {type(value).__name__}")


def _secret(alert: dict[str, Any]) -> str | None:
    value = alert.get("secret")
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordRejected("secret", f"expected text, found a JSON {type(value).__name__}")
    return value if value.strip() else None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None
