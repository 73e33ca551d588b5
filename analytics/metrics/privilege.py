"""Privilege drift and standing access: what each non-human identity may do, against what it did.

Everything is computed as of an instant, the *as-of*, over an audit window of
``window_days`` before it. :func:`prepare` builds temporary tables that the checks' SQL
reads (read-only connections allow them):

- ``privilege_grants``: the standing grants in force: per AWS account the newest
  authorization-details snapshot taken by the as-of, else the newest inventory grants file
  (grants not yet made, expired or revoked then left out). Just-in-time grants are access
  for a task, not standing access, and are left out;
- ``privilege_granted``: granted actions, wildcards (``s3:Get*``, ``*``) expanded over the
  actions the warehouse knows, i.e. every action an audit event or a literal grant names.
  AWS has thousands of actions that no loaded log names; they are not counted, so unused
  shares are lower bounds;
- ``privilege_used``: actions each identity called successfully in the window;
- ``privilege_identities``: granted against used, per identity;
- ``privilege_snapshots``: every authorization-details snapshot by the as-of, for drift;
- ``credential_use``: per credential, whether it is active at the as-of, its age, last
  rotation, last use and the workloads and accounts that used it in the window.

What none of it can see: activity older than the loaded logs or outside them (data events
that the trail does not record, services that do not log to CloudTrail, other clouds),
conditions and resource scopes of a grant (a conditional grant counts as granted),
permissions from resource policies, SCPs and permission boundaries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from analytics.config import METRICS_DIR
from analytics.metrics.checks import Check, create_temp_tables, evaluate
from analytics.warehouse import sql_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """The parameters of the checks; the check ids name the defaults.

    Attributes
    ----------
    window_days
        The audit window: use is counted over this many days before the as-of.
    dormant_days
        A credential or identity unused for this many days is dormant.
    rotation_days
        A credential whose value is older than this many days is not rotated.
    max_age_days
        A credential older than this many days is long-lived.
    min_workloads
        A credential used from this many distinct workloads is shared.
    unused_share
        An identity that left at least this share of its granted actions unused fails,
        even when it used every service it was granted.
    """

    window_days: int = 90
    dormant_days: int = 90
    rotation_days: int = 90
    max_age_days: int = 365
    min_workloads: int = 2
    unused_share: float = 0.5

    def params(self, as_of: datetime) -> dict[str, object]:
        """The SQL parameters, as-of included."""
        return {"as_of": as_of, **self.__dict__}


_AUDIT = "Sees only activity in the loaded audit logs (CloudTrail) of the window; "
CHECKS = (
    Check(
        "identity_permissions_unused",
        "Identity granted services or actions it did not use",
        "non-human identity with standing grants",
        _AUDIT + "wildcards are expanded over the actions the loaded data names, so the "
        "unused share is a lower bound; conditions, resource scopes, resource policies and "
        "permission boundaries are not evaluated.",
        "Remove the services and actions each identity did not use in the audit window, "
        "largest unused grants first.",
    ),
    Check(
        "identity_admin_equivalent",
        "Identity granted every action on every resource",
        "non-human identity with standing grants",
        "Sees the grants of the newest authorization-details snapshot (else the inventory); "
        "a near-admin grant such as NotAction on one service is not counted.",
        "Replace administrator-equivalent grants of machine identities with policies limited "
        "to the actions they use.",
    ),
    Check(
        "identity_privilege_drift",
        "Identity gained permissions it has not used since",
        "non-human identity listed in the first and the last authorization-details snapshot",
        "Needs two authorization-details snapshots of the account; sees changes between "
        "snapshots, not in between, and use only in the loaded audit logs.",
        "Roll back permissions added since the first snapshot that have not been used.",
    ),
    Check(
        "credential_dormant_90d",
        "Active credential unused for 90 days",
        "active credential older than the dormancy threshold",
        "Use is the later of the inventory's last-used time and the last audit event with "
        "the key id; a system that reports neither makes a credential look unused.",
        "Deactivate credentials with no use in 90 days, and delete them after a grace period.",
    ),
    Check(
        "identity_dormant_90d",
        "AWS identity with no activity for 90 days",
        "non-human AWS user or role in an account the audit logs cover",
        _AUDIT + "identities of other systems (GitHub apps, SaaS bots) are not judged.",
        "Disable or delete AWS users and roles that have not acted in 90 days.",
    ),
    Check(
        "credential_long_lived_365d",
        "Active credential older than 365 days",
        "active credential with a known creation time",
        "The inventory's newest snapshot; a revocation dated after the as-of is undone.",
        "Replace credentials older than a year with short-lived ones (roles, workload "
        "identity federation), or rotate them.",
    ),
    Check(
        "credential_not_rotated_90d",
        "Active credential not rotated for 90 days",
        "active credential with a known creation or rotation time",
        "Rotation is what the inventory records; a value changed in a system that does not "
        "report it looks unrotated.",
        "Rotate credentials older than 90 days, and automate their rotation.",
    ),
    Check(
        "identity_owner_offboarded",
        "Identity whose owner has left still holds an active credential",
        "non-human identity with an owner",
        "Needs the directory rows of the inventory; an owner missing from it is 'unknown'.",
        "Give each identity whose owner has left a current owner, or retire it.",
    ),
    Check(
        "credential_shared",
        "Credential used by several workloads",
        "credential seen in the audit logs in the window",
        _AUDIT + "a workload is a network and a client, so one workload that moves between "
        "networks counts twice, and two that share both count once.",
        "Issue each workload a credential of its own, and retire the shared one.",
    ),
    Check(
        "credential_cross_environment",
        "Credential acting in more than one account",
        "credential seen in the audit logs in the window",
        _AUDIT + "an account stands for its environment; two environments in one account "
        "are not told apart.",
        "Give each account its own credential, so that one leak cannot reach several "
        "environments.",
    ),
    Check(
        "nhi_human_use",
        "Non-human identity used interactively",
        "non-human identity seen acting in the audit logs in the window",
        _AUDIT + "signs are a console sign-in, a browser user agent or an MFA session; a "
        "person who runs a script with the identity's key looks like the script.",
        "Stop people from signing in as machine identities; give them personal access with "
        "its own audit trail.",
    ),
)
CHECK_IDS = tuple(check.check_id for check in CHECKS)
_TABLES = (
    "privilege_grants",
    "privilege_used",
    "privilege_granted",
    "privilege_identities",
    "privilege_snapshots",
    "credential_use",
)


def prepare(
    con: duckdb.DuckDBPyConnection, as_of: datetime, thresholds: Thresholds | None = None
) -> None:
    """Build the temporary tables of the module docstring for ``as_of``."""
    con.execute(sql_text("iam_action_macro", METRICS_DIR))
    create_temp_tables(con, _TABLES, (thresholds or Thresholds()).params(as_of))


def checks(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    thresholds: Thresholds | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Run the checks: ``{check_id: (finding rows, denominator)}``.

    ``only`` limits the run to those check ids (all when ``None``).
    """
    limits = thresholds or Thresholds()
    prepare(con, as_of, limits)
    return evaluate(con, CHECKS, limits.params(as_of), only)


def headline(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    results: dict[str, tuple[pd.DataFrame, int]] | None = None,
) -> dict[str, Any]:
    """The privilege and standing-access numbers of ``nhi-risk metrics`` at ``as_of``.

    Counts are failing subjects of the checks; ``privilege.unused_share`` is granted actions
    never used over granted actions, summed over the identities whose use the logs cover.
    ``results`` are the checks already run at ``as_of`` with the default thresholds
    (:func:`analytics.metrics.registry.run_all`), which leaves the tables prepared.
    """
    if results is None:
        results = checks(con, as_of)

    def failing(check_id: str) -> int:
        rows, _ = results[check_id]
        return int((rows["status"] == "fail").sum())

    totals = con.execute(
        "select count(*), sum(granted_actions), sum(unused_actions) "
        "from privilege_identities where logs_cover and older_than_window"
    ).fetchall()[0]
    identities, granted, unused = totals
    return {
        "privilege.identities": identities,
        "privilege.granted_actions": int(granted or 0),
        "privilege.unused_share": round(unused / granted, 4) if granted else None,
        "privilege.over_granted": failing("identity_permissions_unused"),
        "privilege.admin_equivalent": failing("identity_admin_equivalent"),
        "privilege.grew_unused": failing("identity_privilege_drift"),
        "credentials.dormant_90d": failing("credential_dormant_90d"),
        "credentials.not_rotated_90d": failing("credential_not_rotated_90d"),
        "credentials.long_lived_365d": failing("credential_long_lived_365d"),
        "credentials.shared": failing("credential_shared"),
        "credentials.cross_environment": failing("credential_cross_environment"),
        "identities.dormant_90d": failing("identity_dormant_90d"),
        "identities.owner_offboarded": failing("identity_owner_offboarded"),
        "identities.human_use": failing("nhi_human_use"),
    }


def _within(frame: pd.DataFrame, identity_ids: set[str] | None) -> pd.DataFrame:
    """The rows of ``frame`` about ``identity_ids`` (every row when ``None``)."""
    if identity_ids is None:
        return frame
    return frame[frame["identity_id"].isin(identity_ids)].reset_index(drop=True)


def identities(
    con: duckdb.DuckDBPyConnection, identity_ids: set[str] | None = None
) -> pd.DataFrame:
    """Granted against used per identity (``privilege_identities``; call :func:`prepare`),
    of ``identity_ids`` only when given (see :func:`scope`)."""
    frame = con.execute(
        "select * from privilege_identities order by unused_actions desc, identity_id"
    ).df()
    return _within(frame, identity_ids)


def by_service(
    con: duckdb.DuckDBPyConnection, identity_ids: set[str] | None = None
) -> pd.DataFrame:
    """Granted and used actions per identity and service (call :func:`prepare` first)."""
    return _within(con.execute(sql_text("privilege_by_service", METRICS_DIR)).df(), identity_ids)


def drift_series(
    con: duckdb.DuckDBPyConnection, identity_ids: set[str] | None = None
) -> pd.DataFrame:
    """Action patterns gained and lost per identity between consecutive snapshots.

    One row per account, pair of snapshots and identity that changed; identities in only one
    of the two snapshots (created or deleted in between) are not counted as drift.
    """
    sql = sql_text("privilege_drift_series", METRICS_DIR)
    frame = con.execute(f"{sql} order by from_at, account, identity_id").df()
    return _within(frame, identity_ids)


def credential_ages(
    con: duckdb.DuckDBPyConnection, identity_ids: set[str] | None = None
) -> pd.DataFrame:
    """Active credentials with their age and days since rotation (call :func:`prepare`)."""
    frame = con.execute(
        "select credential_id, identity_id, credential_type, source_kind, created_at, "
        "rotated_at, expires_at, age_days, rotation_age_days, expires_at is null as never_expires "
        "from credential_use where active and not expired order by age_days desc"
    ).df()
    return _within(frame, identity_ids)


SEVERITY_WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1, "info": 0}


def top_identities(results: dict[str, tuple[pd.DataFrame, int]], limit: int = 20) -> pd.DataFrame:
    """Identities ranked by their failing findings, each weighted by its severity.

    The score is a triage order, not a measured risk: critical 8, high 4, medium 2, low 1.
    """
    failing = [rows[rows["status"] == "fail"] for rows, _ in results.values()]
    frame = pd.concat(failing, ignore_index=True) if failing else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=["identity_id", "owner_id", "team", "score", "findings"])
    frame = frame[frame["identity_id"].notna()]
    frame = frame.assign(weight=frame["severity"].map(SEVERITY_WEIGHT))
    grouped = frame.groupby("identity_id", sort=False).agg(
        owner_id=("owner_id", "first"),
        team=("team", "first"),
        score=("weight", "sum"),
        findings=("check_id", lambda ids: ", ".join(sorted(set(ids)))),
    )
    ranked = grouped.reset_index().sort_values(["score", "identity_id"], ascending=[False, True])
    return ranked.head(limit).reset_index(drop=True)


def scope(
    con: duckdb.DuckDBPyConnection, account: str | None = None, owner: str | None = None
) -> set[str] | None:
    """The non-human identities of ``account`` and of ``owner`` (a person id or a team);
    ``None`` when neither is given (everyone)."""
    if not account and not owner:
        return None
    rows = con.execute(
        "select identity_id from nonhuman_identities "
        "where ($account is null or account = $account) "
        "and ($owner is null or owner_id = $owner or team = $owner)",
        {"account": account or None, "owner": owner or None},
    ).fetchall()
    return {row[0] for row in rows}


def restrict(
    results: dict[str, tuple[pd.DataFrame, int]], identity_ids: set[str] | None
) -> dict[str, tuple[pd.DataFrame, int]]:
    """The check results about ``identity_ids`` only (all when ``None``).

    Each denominator becomes the restricted rows that pass or fail: for these checks that
    is what the denominator query counts, which the tests hold them to.
    """
    if identity_ids is None:
        return results
    out = {}
    for check_id, (rows, _) in results.items():
        kept = rows[rows["identity_id"].isin(identity_ids)]
        out[check_id] = (kept, int(kept["status"].isin(("pass", "fail")).sum()))
    return out
