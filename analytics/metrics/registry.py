"""Every check of the toolkit in one place: list them, run some or all, as one table.

The checks live with their topic (:mod:`analytics.metrics.ttr`,
:mod:`analytics.metrics.privilege`, :mod:`analytics.metrics.agents`); this module only
gathers them, so that the command line and the framework mappings see one list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
import pandas as pd

from analytics.errors import UsageError
from analytics.metrics import agents, privilege, ttr
from analytics.metrics.checks import FINDING_COLUMNS, STATUSES, Check

ALL_CHECKS: tuple[Check, ...] = (*ttr.CHECKS, *privilege.CHECKS, *agents.CHECKS)


def check(check_id: str) -> Check:
    """The check named ``check_id``, of any topic.

    Raises
    ------
    UsageError
        No such check.
    """
    for item in ALL_CHECKS:
        if item.check_id == check_id:
            return item
    known = ", ".join(sorted(c.check_id for c in ALL_CHECKS))
    raise UsageError(f"unknown check {check_id}: choose from {known}")


def run_all(
    con: duckdb.DuckDBPyConnection, as_of: datetime
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Every check at ``as_of``: ``{check_id: (finding rows, denominator)}``.

    Leaves the temporary tables of every topic built for ``as_of``, for the headline numbers
    that read them (:func:`analytics.metrics.headline`).
    """
    results: dict[str, tuple[pd.DataFrame, int]] = {}
    results.update(ttr.checks(con, as_of))
    results.update(privilege.checks(con, as_of))
    # The privilege checks have just built the tables the agent checks read, at this as-of.
    results.update(agents.checks(con, as_of, privilege_prepared=True))
    return results


def run_checks(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    only: Iterable[str] | None = None,
    statuses: Iterable[str] = ("fail",),
) -> pd.DataFrame:
    """The finding rows of the chosen checks (all when ``only`` is empty) at ``as_of``.

    Rows keep the common output contract plus ``title`` and ``scope`` of their check and
    ``as_of``, so that an exported row still says what it tested and what it cannot see.

    Raises
    ------
    UsageError
        An unknown check id or status.
    """
    known = {c.check_id: c for c in ALL_CHECKS}
    wanted = list(dict.fromkeys(only or ()))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UsageError(
            f"unknown check {', '.join(unknown)}: choose from {', '.join(sorted(known))}"
        )
    keep = list(statuses)
    bad = [s for s in keep if s not in STATUSES]
    if bad:
        raise UsageError(f"unknown status {', '.join(bad)}: choose from {', '.join(STATUSES)}")
    chosen = set(wanted or known)
    results: dict[str, tuple[pd.DataFrame, int]] = {}
    ttr_ids = {c.check_id for c in ttr.CHECKS} & chosen
    if ttr_ids:
        results.update(ttr.checks(con, as_of))
    privilege_ids = tuple(c.check_id for c in privilege.CHECKS if c.check_id in chosen)
    if privilege_ids:
        results.update(privilege.checks(con, as_of, only=privilege_ids))
    agent_ids = tuple(c.check_id for c in agents.CHECKS if c.check_id in chosen)
    if agent_ids:
        results.update(
            agents.checks(con, as_of, only=agent_ids, privilege_prepared=bool(privilege_ids))
        )
    frames = []
    for check_id in (c.check_id for c in ALL_CHECKS if c.check_id in chosen):
        rows, _ = results[check_id]
        rows = rows[rows["status"].isin(keep)]
        frames.append(rows.assign(title=known[check_id].title, scope=known[check_id].scope))
    columns = [*FINDING_COLUMNS, "title", "scope"]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return frame[columns].assign(as_of=as_of.isoformat())
