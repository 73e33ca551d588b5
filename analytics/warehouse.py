"""Open the DuckDB warehouse: one writer at a time, readers read-only.

The schema lives in ``analytics/sql/schema.sql`` and is applied by the writer on open, so
an empty path becomes a ready warehouse on the first ingest. Readers never create or
change anything; they fail with a clear message when the file is missing or locked.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import duckdb

from analytics.config import PACKAGE_DIR, resolve_db
from analytics.errors import WarehouseLockedError, WarehouseMissingError

log = logging.getLogger(__name__)

SQL_DIR = PACKAGE_DIR / "sql"
_COMMENT = re.compile(r"--[^\n]*")
_LOCK_PATTERN = re.compile(r"lock|Conflicting", re.IGNORECASE)


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


def connect(db: str | Path | None = None, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse.

    Parameters
    ----------
    db
        The warehouse file; ``None`` resolves ``$NHI_RISK_DB`` or the default path.
    read_only
        Readers (metrics, notebooks, reports) open read-only. The writer (ingest) opens
        read-write, which creates the file and the schema when they do not exist.

    Raises
    ------
    WarehouseMissingError
        A reader asked for a file that does not exist.
    WarehouseLockedError
        Another process has the file open for writing.
    """
    path = resolve_db(db)
    if read_only and not path.exists():
        raise WarehouseMissingError(
            f"warehouse {path} does not exist: load data first with `nhi-risk ingest PATH` "
            f"(or `make report` for the demo), or point --db / NHI_RISK_DB at an existing file"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if _LOCK_PATTERN.search(str(exc)):
            raise WarehouseLockedError(
                f"warehouse {path} is locked by another nhi-risk process (an ingest is "
                f"writing to it): wait for it to finish and run this again. DuckDB said: {exc}"
            ) from exc
        raise
    con.execute("set timezone = 'UTC'")
    if not read_only:
        con.execute(sql_text("schema"))
        _add_missing_columns(con, path)
    return con


def _add_missing_columns(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bring a warehouse made by an older release up to the current schema.

    Columns added since are appended (nullable; rows loaded before have them empty), then
    the views are made again, since they name the new columns.
    """
    reference = duckdb.connect()
    reference.execute(sql_text("schema"))
    wanted = reference.execute(_COLUMNS_SQL).fetchall()
    reference.close()
    have = {(table, column) for table, column, _ in con.execute(_COLUMNS_SQL).fetchall()}
    missing = [(t, c, kind) for t, c, kind in wanted if (t, c) not in have]
    for table, column, kind in missing:
        log.info("upgrading %s: adding column %s.%s", path, table, column)
        con.execute(f'alter table "{table}" add column "{column}" {kind}')
    if missing:
        con.execute(sql_text("schema"))


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
