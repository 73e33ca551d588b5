"""AWS IAM credential report: the CSV as AWS generates it, or the API's JSON response.

One row per IAM user (and one for ``<root_account>``), with two access-key slots and two
signing-certificate slots. ``N/A``, ``not_supported`` and ``no_information`` mean unknown.

The report names no access-key ids, only slots: a key is kept as the credential
``<user arn>#access_key_<n>``. It therefore does not join to audit events by key id; the
inventory CSV or CloudTrail's ``CreateAccessKey`` events supply the ids.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator

from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import flag, parse_time, require, text, time_field
from analytics.ingest.readers import RawRecord, iter_csv, parse_json, without_surrogates
from analytics.redaction import quoted

KIND = "aws-credential-report"

REQUIRED_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
)


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the report's rows; the JSON form's ``GeneratedTime`` becomes the snapshot time."""
    csv_text = text_
    if text_.lstrip().startswith("{"):
        csv_text = _content_of(text_, ctx)
    header, rows = iter_csv(csv_text)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InputError(
            f"line 1: the header is not a credential report's: missing {', '.join(missing)}; "
            f"export it again with `aws iam get-credential-report`"
        )
    yield from rows


def _content_of(text_: str, ctx: Context) -> str:
    try:
        document = parse_json(text_)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    document = without_surrogates(document)
    content = document.get("Content") if isinstance(document, dict) else None
    if not isinstance(content, str):
        raise InputError("field Content: expected the report as text, found none")
    generated = parse_time(document.get("GeneratedTime"), "GeneratedTime")
    if generated:
        ctx.observed_at = generated
    if content.lstrip().startswith("user,"):
        return content
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("field Content: expected CSV text or base64 of it") from exc


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map a report row to its user identity and the user's credentials."""
    row = record.data
    arn = require(row, "arn")
    user = require(row, "user")
    if not arn.startswith("arn:"):
        raise RecordRejected("arn", f"expected an ARN (arn:aws:iam::...), found {quoted(arn, 60)}")
    account = arn.split(":")[4] if arn.count(":") >= 5 else None
    rows = Rows().add(
        "identities",
        {
            "identity_id": arn,
            "name": user,
            "kind": "root" if user == "<root_account>" else "iam_user",
            "provider": "aws",
            "account": account,
            "status": "active",
            "created_at": time_field(row, "user_creation_time"),
            "source_kind": KIND,
        },
    )
    if flag(row, "password_enabled"):
        rows.add(
            "credentials",
            _credential(
                ctx,
                f"{arn}#password",
                arn,
                "password",
                "active",
                rotated=time_field(row, "password_last_changed"),
                used=time_field(row, "password_last_used"),
            ),
        )
    for n in (1, 2):
        active = flag(row, f"access_key_{n}_active")
        rotated = time_field(row, f"access_key_{n}_last_rotated")
        if active or rotated:
            rows.add(
                "credentials",
                _credential(
                    ctx,
                    f"{arn}#access_key_{n}",
                    arn,
                    "access_key",
                    "active" if active else "inactive",
                    rotated=rotated,
                    used=time_field(row, f"access_key_{n}_last_used_date"),
                    service=text(row, f"access_key_{n}_last_used_service"),
                    region=text(row, f"access_key_{n}_last_used_region"),
                ),
            )
        cert_active = flag(row, f"cert_{n}_active")
        cert_rotated = time_field(row, f"cert_{n}_last_rotated")
        if cert_active or cert_rotated:
            rows.add(
                "credentials",
                _credential(
                    ctx,
                    f"{arn}#cert_{n}",
                    arn,
                    "certificate",
                    "active" if cert_active else "inactive",
                    rotated=cert_rotated,
                ),
            )
    return rows


def _credential(
    ctx: Context,
    credential_id: str,
    arn: str,
    kind: str,
    status: str,
    *,
    rotated: object = None,
    used: object = None,
    service: str | None = None,
    region: str | None = None,
) -> dict[str, object]:
    # AWS reports a key's creation or last change as "last_rotated": it is the key's age.
    return {
        "credential_id": credential_id,
        "identity_id": arn,
        "credential_type": kind,
        "provider": "aws",
        "status": status,
        "created_at": rotated,
        "last_rotated_at": rotated,
        "last_used_at": used,
        "last_used_service": service,
        "last_used_region": region,
        "source_kind": KIND,
        "observed_at": ctx.observed_at,
    }
