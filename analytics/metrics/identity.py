"""Everything the warehouse knows of one identity, for an analyst in JupyterLab.

``profile(con, "arn:aws:iam::111122223333:user/svc-data-etl")`` gathers, as of an instant,
the identity as each source describes it, its owner, the grants in force, its credentials
with their last use, the failing findings of every check about it or its credentials, and
its audit events per day. :func:`analytics.charts.privilege.identity_view` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from analytics.config import METRICS_DIR
from analytics.errors import UsageError
from analytics.metrics import resolve_as_of
from analytics.metrics.registry import run_checks
from analytics.warehouse import sql_text


@dataclass(frozen=True)
class IdentityProfile:
    """One identity as of ``as_of``; every frame may be empty when no source knows it.

    Attributes
    ----------
    identity_id, as_of
        Who and when.
    sources
        One row per source that describes the identity (its newest observation by each).
    owner
        The owner's directory row, if the directory knows the owner.
    grants
        The standing grants in force (see :mod:`analytics.metrics.privilege`).
    credentials
        Its credentials: status, age, last rotation, last use, workloads in the window.
    findings
        Failing findings of every check whose subject is the identity or one of its
        credentials.
    activity
        Audit events per day and outcome, up to the as-of.
    """

    identity_id: str
    as_of: datetime
    sources: pd.DataFrame
    owner: pd.DataFrame
    grants: pd.DataFrame
    credentials: pd.DataFrame
    findings: pd.DataFrame
    activity: pd.DataFrame


def profile(
    con: duckdb.DuckDBPyConnection, identity_id: str, as_of: str | datetime | None = None
) -> IdentityProfile:
    """Gather what the warehouse knows of ``identity_id`` as of ``as_of``.

    Raises
    ------
    UsageError
        No source, grant, credential or event names the identity.
    """
    instant = resolve_as_of(con, as_of)
    findings = run_checks(con, instant)  # also builds the privilege tables used below
    params = {"identity_id": identity_id}
    sources = con.execute(
        "select * exclude (file_id) from identity_observations_latest "
        "where identity_id = $identity_id and (observed_at is null or observed_at <= $as_of)",
        {**params, "as_of": instant},
    ).df()
    owner = con.execute(
        "select p.identity_id as person_id, p.name, p.email, p.team, p.status, p.left_at "
        "from identities_current as n join identities_current as p "
        "on p.identity_id = n.owner_id and p.kind = 'human' "
        "where n.identity_id = $identity_id",
        params,
    ).df()
    grants = con.execute(
        "select * from privilege_grants where identity_id = $identity_id "
        "order by effect, permission",
        params,
    ).df()
    credentials = con.execute(
        "select * from credential_use where identity_id = $identity_id order by created_at",
        params,
    ).df()
    activity = con.execute(
        sql_text("identity_activity", METRICS_DIR), {**params, "as_of": instant}
    ).df()
    mine = findings["identity_id"].eq(identity_id) | findings["subject_id"].isin(
        credentials["credential_id"]
    )
    if sources.empty and grants.empty and credentials.empty and activity.empty:
        raise UsageError(
            f"no loaded source names the identity {identity_id!r} by the as-of "
            f"{instant.isoformat()}: check the spelling (an AWS identity is its ARN)"
        )
    return IdentityProfile(
        identity_id=identity_id,
        as_of=instant,
        sources=sources,
        owner=owner,
        grants=grants,
        credentials=credentials,
        findings=findings[mine].reset_index(drop=True),
        activity=activity,
    )
