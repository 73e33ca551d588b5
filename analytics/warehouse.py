"""Open the DuckDB warehouse: one writer at a time, readers read-only.

The schema lives in ``analytics/sql/schema.sql`` and is applied by the writer on open, so
an empty path becomes a ready warehouse on the first ingest. Readers never create or
change anything; they fail with a clear message when the file is missing.

DuckDB locks the file for the process that opens it: a writer excludes every other
process, readers exclude a writer. A process that finds the file locked waits a while
(``$NHI_RISK_LOCK_WAIT``, 10 s by default), saying so, then stops with a message that names
the process holding the lock. Files the writer creates are readable by their owner only
(:func:`owner_only`): the warehouse says who holds which credential.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from analytics.config import PACKAGE_DIR, lock_wait, resolve_db
from analytics.errors import (
    WarehouseLockedError,
    WarehouseMissingError,
    WarehouseOutdatedError,
)

log = logging.getLogger(__name__)

SQL_DIR = PACKAGE_DIR / "sql"
_COMMENT = re.compile(r"--[^\n]*")
_LOCK_PATTERN = re.compile(r"lock|Conflicting", re.IGNORECASE)
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_LOCK_POLL_SECONDS = 0.25


@cache
def sql_text(name: str, folder: Path = SQL_DIR) -> str:
    """Return the SQL of ``<folder>/<name>.sql``; SQL lives in files, loaded by name."""
    return (folder / f"{name}.sql").read_text(encoding="utf-8")


def bind(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Return the named parameters that ``sql`` uses (``$name`` outside ``--`` comments).

    DuckDB refuses a parameter that a statement does not use, and the SQL files share one
    set of parameters (``as_of``, thresholds), so each statement gets the ones it names.
    """
    code = _COMMENT.sub("", sql)
    return {name: value for name, value in params.items() if f"${name}" in code}


def first_row(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[object] | dict[str, object] | None = None,
) -> tuple[object, ...] | None:
    """Run ``sql`` and return its first row (or ``None``), leaving no open result behind.

    DuckDB refuses new work on a connection while a result is only partly fetched, so a
    single-row read fetches everything.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


@contextmanager
def owner_only() -> Iterator[None]:
    """Create files readable by their owner only (0600, folders 0700) inside the block.

    Sets the process umask to 0077 and restores it after, so the user's umask cannot make
    the warehouse, its write-ahead log or a report readable by others. The umask is
    process-wide: a thread creating files meanwhile gets owner-only files too. Also a
    decorator (``@owner_only()``).
    """
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def connect(
    db: str | Path | None = None, *, read_only: bool = True, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse.

    Parameters
    ----------
    db
        The warehouse file; ``None`` resolves ``$NHI_RISK_DB`` or the default path.
    read_only
        Readers (metrics, notebooks, reports) open read-only. The writer (ingest) opens
        read-write, which creates the file (owner-only) and the schema when they do not
        exist.
    wait
        Seconds to wait while another process holds the file; ``None`` is
        ``$NHI_RISK_LOCK_WAIT`` or 10. A warning says who holds it when the wait begins.

    Raises
    ------
    WarehouseMissingError
        A reader asked for a file that does not exist.
    WarehouseLockedError
        Another process still held the file when the wait ran out.
    WarehouseOutdatedError
        A reader opened a warehouse of an earlier release, which lacks tables or columns of
        this one (a writer upgrades it instead).
    """
    path = resolve_db(db)
    if read_only and not path.exists():
        raise WarehouseMissingError(
            f"warehouse {path} does not exist: load data first with `nhi-risk ingest PATH` "
            f"(or `make report` for the demo), or point --db / NHI_RISK_DB at an existing file"
        )
    patience = lock_wait() if wait is None else wait
    if read_only:
        con = _open(path, True, patience)
        missing = _missing_columns(_held_columns(con))
        if missing:
            con.close()
            tables = sorted({table for table, _, _ in missing})
            db_arg = shlex.quote(str(path))
            raise WarehouseOutdatedError(
                f"warehouse {path} was made by an earlier release of nhi-risk: it lacks "
                f"{len(missing)} column(s) of this one, in {', '.join(tables)}. Upgrade it "
                f"once by opening it for writing: `nhi-risk aggregate --db {db_arg}` (which "
                f"also computes the daily usage of the events it holds) or any "
                f"`nhi-risk ingest ... --db {db_arg}`; then run this again"
            )
    else:
        with owner_only():
            path.parent.mkdir(parents=True, exist_ok=True)
            con = _open(path, False, patience)
    con.execute("set timezone = 'UTC'")
    if not read_only:
        had_usage = _has_table(con, "usage_daily")
        con.execute(sql_text("schema"))
        _add_missing_columns(con, path)
        if not had_usage:
            _compute_usage(con, path)
    return con


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [table]
        ).fetchall()[0][0]
    )


def _compute_usage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Give a warehouse made before usage_daily the daily usage of the events it holds."""
    if not con.execute("select count(*) from events").fetchall()[0][0]:
        return
    from analytics.aggregate import recompute_usage

    log.info("upgrading %s: computing the daily usage of its events", path)
    recompute_usage(con)


def _open(path: Path, read_only: bool, patience: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the lock, for up to ``patience`` s."""
    deadline = time.monotonic() + patience
    waiting = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _LOCK_PATTERN.search(str(exc)):
                raise
            holder = _holder(exc)
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f" after waiting {patience:g} s" if waiting else ""
                raise WarehouseLockedError(
                    f"warehouse {path} is locked by {holder}{waited} (an ingest writing, or a "
                    f"notebook or report reading while this process needs to write): let it "
                    f"finish and run this again, or set NHI_RISK_LOCK_WAIT to wait longer. "
                    f"DuckDB said: {exc}"
                ) from exc
            if not waiting:
                log.warning(
                    "warehouse %s is locked by %s: waiting up to %g s for the lock",
                    path,
                    holder,
                    patience,
                )
                waiting = True
            time.sleep(min(_LOCK_POLL_SECONDS, left))


def _holder(exc: duckdb.IOException) -> str:
    """Who holds the lock, from DuckDB's message: ``another nhi-risk process or DuckDB
    client (PID 123, /usr/bin/python3)``; DuckDB cannot tell which program it is."""
    found = _HOLDER.search(str(exc))
    named = f" (PID {found['pid']}, {found['program']})" if found else ""
    return f"another nhi-risk process or DuckDB client{named}"


def _add_missing_columns(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bring a warehouse made by an older release up to the current schema.

    Columns added since are appended (nullable; rows loaded before have them empty), columns
    retired since (RETIRED_COLUMNS) are dropped, then the views are made again, since they
    name the new columns.
    """
    have = _held_columns(con)
    missing = _missing_columns(have)
    for table, column, kind in missing:
        log.info("upgrading %s: adding column %s.%s", path, table, column)
        con.execute(f'alter table "{table}" add column "{column}" {kind}')
    for table, column in RETIRED_COLUMNS:
        if (table, column) in have:
            log.info("upgrading %s: dropping column %s.%s", path, table, column)
            con.execute(f'alter table "{table}" drop column "{column}"')
    if missing:
        con.execute(sql_text("schema"))


def _held_columns(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """The (table, column) pairs of the warehouse's tables."""
    return {(table, column) for table, column, _ in con.execute(_COLUMNS_SQL).fetchall()}


def _missing_columns(have: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """The (table, column, type) of this release's schema that are not in ``have``."""
    return [(t, c, kind) for t, c, kind in _current_columns() if (t, c) not in have]


@cache
def _current_columns() -> tuple[tuple[str, str, str], ...]:
    """The columns of this release's tables, from its schema applied to an empty database."""
    reference = duckdb.connect()
    try:
        reference.execute(sql_text("schema"))
        return tuple(reference.execute(_COLUMNS_SQL).fetchall())
    finally:
        reference.close()


# Columns of earlier releases that no longer hold anything: events.content_sha256 was a
# stored hash; the hash is now computed from the row when ids meet (event_content_hash.sql).
RETIRED_COLUMNS = (("events", "content_sha256"),)

_COLUMNS_SQL = """
select c.table_name, c.column_name, c.data_type
from information_schema.columns as c
join information_schema.tables as t
    on t.table_name = c.table_name
   and t.table_schema = c.table_schema
where t.table_type = 'BASE TABLE'
  and c.table_schema = 'main'
order by c.table_name, c.ordinal_position
"""
