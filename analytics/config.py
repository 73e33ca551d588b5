"""Where things live: the warehouse file, the fingerprint key, the notebooks.

The warehouse path comes from, in order: an explicit argument (the CLI's ``--db``), the
environment variable ``NHI_RISK_DB``, then ``data/warehouse.duckdb`` under the current
working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "NHI_RISK_DB"
KEY_ENV = "NHI_RISK_FINGERPRINT_KEY"
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


def key_path(db: Path) -> Path:
    """Return the fingerprint key file kept beside the warehouse (never inside it)."""
    return db.with_name(db.name + ".key")
