"""Where things live: the warehouse file, the fingerprint key, the notebooks.

The warehouse path comes from, in order: an explicit argument (the CLI's ``--db``), the
environment variable ``NHI_RISK_DB``, then ``data/warehouse.duckdb`` under the current
working directory.

A process that finds the warehouse locked by another waits for it up to
``$NHI_RISK_LOCK_WAIT`` seconds (default 10; ``0`` fails at once).
"""

from __future__ import annotations

import os
from pathlib import Path

from analytics.errors import UsageError

DB_ENV = "NHI_RISK_DB"
KEY_ENV = "NHI_RISK_FINGERPRINT_KEY"
LOCK_WAIT_ENV = "NHI_RISK_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 10.0
DEFAULT_DB = Path("data") / "warehouse.duckdb"
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
NOTEBOOK_DIR = PROJECT_DIR / "notebooks"
METRICS_DIR = PACKAGE_DIR / "metrics"


def resolve_db(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse path: ``db`` if given, else ``$NHI_RISK_DB``, else the default."""
    if db:
        return Path(db)
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return Path(from_env)
    return DEFAULT_DB


def lock_wait() -> float:
    """Return how many seconds to wait for a locked warehouse: ``$NHI_RISK_LOCK_WAIT``, else 10.

    Raises
    ------
    UsageError
        The variable is not a number of seconds, or is negative.
    """
    value = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not value:
        return DEFAULT_LOCK_WAIT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise UsageError(
            f"{LOCK_WAIT_ENV}={value!r} is not a number of seconds: set it to 0 to fail at once "
            f"on a locked warehouse, or to how long to wait (default {DEFAULT_LOCK_WAIT:.0f})"
        )
    return seconds


def key_path(db: Path) -> Path:
    """Return the fingerprint key file kept beside the warehouse (never inside it)."""
    return db.with_name(db.name + ".key")
