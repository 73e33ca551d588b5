"""Shared fixtures: a fresh warehouse per test, and the real samples in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from analytics.ingest import FileResult, ingest_paths

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("NHI_RISK_SHARED", ROOT.parent / "shared")) / "data" / "real"


@pytest.fixture
def real() -> Path:
    """The folder of real sample files; the test is skipped when it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real samples not found at {REAL} (set NHI_RISK_SHARED to the shared dir)")
    return REAL


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse path of the test's own, with a fixed fingerprint key."""
    monkeypatch.setenv("NHI_RISK_FINGERPRINT_KEY", "test-key-0123456789abcdef")
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def load(db: Path):
    """Ingest paths into the test warehouse and return the per-file results."""

    def _load(*paths: Path | str, kind: str | None = None) -> list[FileResult]:
        return ingest_paths([str(p) for p in paths], db=db, kind=kind)

    return _load


@pytest.fixture
def query(db: Path):
    """Run a read-only query on the test warehouse and return all rows."""

    def _query(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    return _query


FINGERPRINT_KEY = b"test-key-0123456789abcdef"  # the `db` fixture's key


def fingerprint(secret: str) -> str:
    """The keyed fingerprint the warehouse should hold for ``secret``, computed here."""
    import hashlib
    import hmac

    digest = hmac.new(FINGERPRINT_KEY, secret.strip().encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def stored_values(db: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every non-null value of every column of every table of the warehouse, as text.

    Secret hygiene tests search these: a grep on the DuckDB file proves nothing because
    DuckDB compresses strings.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main' order by table_name, ordinal_position"
        ).fetchall():
            if column not in skip:
                columns.setdefault(table, []).append(column)
        values: list[str] = []
        for table, names in columns.items():
            select = ", ".join(f'cast("{name}" as varchar)' for name in names)
            for row in con.execute(f'select {select} from "{table}"').fetchall():
                values.extend(value for value in row if value is not None)
        return values
    finally:
        con.close()


def leaked(db: Path, secrets: set[str]) -> list[str]:
    """Previews of the secrets found anywhere in the warehouse (never the secrets themselves,
    so a failing test does not print them). An AWS key id may appear in the column made for
    it, ``credential_key_id``, and nowhere else."""
    import re

    key_id = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
    everywhere = stored_values(db)
    outside_key_column = stored_values(db, skip=("credential_key_id",))
    return sorted(
        f"{secret[:4]}… ({len(secret)} chars)"
        for secret in secrets
        if any(
            secret in value
            for value in (outside_key_column if key_id.fullmatch(secret) else everywhere)
        )
    )


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory):
    """The default demo (seed 7), written and ingested once for the end-to-end tests:
    ``{"root", "planted", "db"}``."""
    from analytics.demo import write_demo

    root = tmp_path_factory.mktemp("default-demo")
    db = root / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "e2e-default-key-0123456789abcdef")
        planted = write_demo(root / "demo", seed=7, scale="default")
        results = ingest_paths([str(root / "demo" / "sources")], db=db)
    assert not [r for r in results if r.failed]
    return {"root": root, "planted": planted, "db": db}


@pytest.fixture(scope="session")
def demo_report(default_demo, tmp_path_factory: pytest.TempPathFactory):
    """The report of every notebook on the default demo, run once: the ``ReportResult`` of
    ``<tmp>/reports/demo/``.

    It runs on a copy of the demo's warehouse, because a report appends its headline numbers
    to ``metric_history``: on the shared warehouse, another test's first report would find
    this run as its previous one.
    """
    import shutil

    from analytics.report import run_report

    root = tmp_path_factory.mktemp("demo-report")
    db = root / "w.duckdb"
    shutil.copy(default_demo["db"], db)
    return run_report(db, root / "reports", quiet=True, run_id="demo")
