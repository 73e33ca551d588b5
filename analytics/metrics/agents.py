"""AI agents and their tool access: just-in-time coverage, sandbox boundaries, inherited
credentials, shadow apps, and access paths that reviews never see.

Everything is as of an instant over an audit window (``window_days`` before it).
:func:`prepare` builds the temporary tables the checks read (the privilege tables of
:mod:`analytics.metrics.privilege` too, for the blast radius of a credential):

- ``agent_calls``: agents' tool calls in the window, from tool-gateway logs
  (``agent-gateway``, which name the credential and the grant of each call) and traces
  (``otel-genai``, which name neither);
- ``agent_grants``: just-in-time grants issued by the as-of, from their newest observation;
  a grant row carries its own times, so a later export describes earlier grants, while a
  revocation dated after the as-of has not happened yet;
- ``agent_sandboxes``: each sandbox's newest policy taken by the as-of, with whether it can
  read production secrets and whether it can reach any host;
- ``agent_credential_owners``: each agent and credential pair of allowed calls, with the
  credential's owner and what that owner may do (the blast radius);
- ``agent_access_paths``: grants and credentials created between two access reviews, and
  whether each was gone before the next review saw it.

What none of it can see: calls that bypass the gateway (an agent calling an API directly
with a key in its environment shows up, if at all, in that API's own audit log), grants
issued by a broker whose export is not loaded, and sandboxes without a policy file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from analytics.config import METRICS_DIR
from analytics.metrics import privilege
from analytics.metrics.checks import Check, create_temp_tables, evaluate
from analytics.warehouse import sql_text

log = logging.getLogger(__name__)

_TOOL_LOGS = "Sees the tool calls in loaded gateway logs and traces of the window; "
CHECKS = (
    Check(
        "agent_call_without_jit_grant",
        "Agent tool call made without a task-scoped grant",
        "agent tool call logged by a gateway",
        _TOOL_LOGS + "traces name no grant, so their calls are 'unknown'; a grant counts "
        "only when it is this agent's, for this task, and valid at the time of the call.",
        "Route agent tool calls through task-scoped, expiring grants instead of standing access.",
    ),
    Check(
        "grant_outlives_task",
        "Just-in-time grant that outlives its task",
        "just-in-time grant that never ends, or whose task has logged calls",
        "A task ends at its last logged tool call; work the gateway did not log (a human "
        "finishing the task) would make a grant look longer than needed.",
        "End just-in-time grants with their task: an expiry tied to the task, and revocation "
        "when it finishes.",
    ),
    Check(
        "agent_egress_not_allowed",
        "Agent call to a host outside its sandbox's allowlist",
        "agent tool call with a target host, by an agent a sandbox policy covers",
        _TOOL_LOGS + "a call that bypasses the gateway is not seen; a call the gateway "
        "denied did not leave the sandbox and passes.",
        "Block agent calls to hosts outside the sandbox's allowlist at the egress proxy, and "
        "review the hosts already reached.",
    ),
    Check(
        "sandbox_secrets_and_open_egress",
        "Sandbox that can read production secrets and reach any host",
        "sandbox policy",
        "Reads the policy as written, not what the sandbox enforces; a production secret "
        "is one of a prod sandbox, or whose name starts with prod/ or production/.",
        "Limit the egress of sandboxes that read production secrets to an allowlist, or take "
        "the secrets away.",
    ),
    Check(
        "agent_inherited_credential",
        "Agent acting with a credential that belongs to someone else",
        "agent and credential seen together in allowed tool calls, with a known owner",
        _TOOL_LOGS + "the owner comes from the inventory or from CloudTrail's use of an "
        "AWS key; the blast radius counts only actions the loaded data names.",
        "Give each agent a credential of its own instead of a person's or another identity's.",
    ),
    Check(
        "shadow_ai_app",
        "AI agent or app missing from the inventory, or without an owner",
        "AI agent or app of any source",
        "Sees agents that loaded tool-call logs or inventories name; an agent that never "
        "went through a logged gateway is invisible.",
        "Register each unknown agent or app in the inventory with an owner, or block it at "
        "the gateway.",
    ),
    Check(
        "access_path_missed_by_review",
        "Access path created and gone between two access reviews",
        "grant or credential created between two reviews",
        "Review times are a parameter (by default every 90 days back from the as-of); "
        "paths with no creation time are not judged.",
        "Review access more often than grants live, or record grants as they are made, so "
        "that reviews see them.",
    ),
)
CHECK_IDS = tuple(check.check_id for check in CHECKS)
_TABLES = (
    "agent_calls",
    "agent_grants",
    "agent_sandboxes",
    "agent_credential_owners",
    "agent_access_paths",
)


@dataclass(frozen=True)
class Settings:
    """The parameters of the agent checks.

    Attributes
    ----------
    window_days
        Tool calls of this many days before the as-of are judged.
    task_grace_minutes
        A grant ending this long after its task's last call still ended with the task.
    review_every_days, reviews
        Access reviews every ``review_every_days`` back from the as-of, ``reviews`` of them;
        ``review_dates`` replaces both with explicit times.
    """

    window_days: int = 90
    task_grace_minutes: int = 60
    review_every_days: int = 90
    reviews: int = 3
    review_dates: tuple[datetime, ...] = field(default=())

    def review_times(self, as_of: datetime) -> list[datetime]:
        """The review times up to ``as_of``, oldest first."""
        if self.review_dates:
            return sorted(t for t in self.review_dates if t <= as_of)
        step = timedelta(days=self.review_every_days)
        return [as_of - step * n for n in range(self.reviews - 1, -1, -1)]

    def params(self, as_of: datetime) -> dict[str, object]:
        """The SQL parameters, as-of and review times included."""
        return {
            "as_of": as_of,
            "window_days": self.window_days,
            "task_grace_minutes": self.task_grace_minutes,
            "reviews": self.review_times(as_of),
        }


def prepare(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    settings: Settings | None = None,
    *,
    privilege_prepared: bool = False,
) -> None:
    """Build the temporary tables of the module docstring (and the privilege ones).

    ``privilege_prepared`` says that the caller has just built the privilege tables for
    the same ``as_of`` (:func:`analytics.metrics.registry.run_all` runs the privilege checks
    first), so they are not built twice: they scan the whole audit log. The agent tables
    read only ``privilege_granted``, which depends on the as-of alone, not on the window.
    """
    chosen = settings or Settings()
    if not privilege_prepared:
        privilege.prepare(con, as_of, privilege.Thresholds(window_days=chosen.window_days))
    create_temp_tables(con, _TABLES, chosen.params(as_of))


def checks(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    settings: Settings | None = None,
    only: tuple[str, ...] | None = None,
    *,
    privilege_prepared: bool = False,
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Run the checks: ``{check_id: (finding rows, denominator)}``; ``only`` limits them;
    ``privilege_prepared`` as in :func:`prepare`."""
    chosen = settings or Settings()
    prepare(con, as_of, chosen, privilege_prepared=privilege_prepared)
    return evaluate(con, CHECKS, chosen.params(as_of), only)


def standing_hours(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    """Hours each agent held a just-in-time grant after its task's last call, per agent.

    A grant counts from its task's last logged call to its end (the as-of when it has not
    ended); grants of tasks with no logged call are left out, having no task end to count
    from. Call :func:`prepare` first.
    """
    return con.execute(sql_text("agent_standing_hours", METRICS_DIR), {"as_of": as_of}).df()


def jit_coverage_by_week(results: dict[str, tuple[pd.DataFrame, int]], calls: pd.DataFrame):
    """Share of gateway calls under a task-scoped grant, per ISO week, with each count."""
    rows, _ = results["agent_call_without_jit_grant"]
    judged = rows[rows["status"].isin(("pass", "fail"))].merge(
        calls[["event_id", "event_time"]], left_on="subject_id", right_on="event_id"
    )
    if judged.empty:
        return pd.DataFrame(columns=["week", "calls", "covered", "coverage"])
    week = judged["event_time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W")
    grouped = judged.assign(week=week.dt.start_time, covered=judged["status"] == "pass")
    out = grouped.groupby("week", as_index=False).agg(
        calls=("subject_id", "size"), covered=("covered", "sum")
    )
    return out.assign(coverage=out["covered"] / out["calls"])


def calls(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The agents' tool calls of the window (call :func:`prepare` first)."""
    return con.execute("select * from agent_calls order by event_time, event_id").df()


def credential_owners(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Agent and credential pairs with the owner and its reach (call :func:`prepare`)."""
    return con.execute(
        "select * from agent_credential_owners order by agent_id, credential_id"
    ).df()


def access_paths(con: duckdb.DuckDBPyConnection, missed_only: bool = False) -> pd.DataFrame:
    """Paths created between reviews, ``missed`` when gone before the next (:func:`prepare`);
    with ``missed_only``, the missed ones alone."""
    frame = con.execute("select * from agent_access_paths order by created_at, path_id").df()
    return frame[frame["missed"]].reset_index(drop=True) if missed_only else frame


def sandboxes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The sandbox policies in force (call :func:`prepare` first)."""
    return con.execute("select * from agent_sandboxes order by sandbox_id").df()


def headline(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    results: dict[str, tuple[pd.DataFrame, int]] | None = None,
) -> dict[str, Any]:
    """The ``agents.*`` and ``grants.*`` numbers of ``nhi-risk metrics`` at ``as_of``;
    ``results`` are the checks already run at ``as_of`` with the default settings
    (:func:`analytics.metrics.registry.run_all`), which leaves the tables prepared."""
    if results is None:
        results = checks(con, as_of)

    def count(check_id: str, status: str = "fail") -> int:
        rows, _ = results[check_id]
        return int((rows["status"] == status).sum())

    covered = count("agent_call_without_jit_grant", "pass")
    judged = results["agent_call_without_jit_grant"][1]
    (agents_total,) = con.execute(
        "select count(*) from (select identity_id from identities_current "
        "where kind = 'ai_agent' union select agent_id from agent_calls)"
    ).fetchall()[0]
    hours = standing_hours(con, as_of)
    return {
        "agents.total": agents_total,
        "agents.tool_calls": judged,
        "agents.jit_coverage": round(covered / judged, 4) if judged else None,
        "agents.egress_violations": count("agent_egress_not_allowed"),
        "agents.sandboxes_open_egress": count("sandbox_secrets_and_open_egress"),
        "agents.inherited_credentials": count("agent_inherited_credential"),
        "agents.shadow_apps": count("shadow_ai_app"),
        "grants.outliving_task": count("grant_outlives_task"),
        "grants.standing_privilege_hours": round(float(hours["hours"].sum()), 2),
        "grants.missed_by_review": count("access_path_missed_by_review"),
    }
