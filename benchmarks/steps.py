"""The two baselines the ingest is measured against, each run in a process of its own.

``python -m benchmarks.steps limit --source JSONL_DIR --db NEW.duckdb``
    Bare DuckDB: ``read_ndjson`` with explicit columns over the gzipped JSON-lines files,
    into a flat table of a new persistent database (``sql/limit.sql``). No checks, no
    provenance, no deduplication: the fastest load of the same events, "the limit".

``python -m benchmarks.steps pandas --source DELIVERY_DIR --db NEW.duckdb``
    What an analyst writes by hand: ``json.load`` each delivery file,
    ``pandas.json_normalize`` its ``Records``, ``concat`` the frames, keep the same flat
    columns as the limit, and store them in DuckDB.

Both print one line, ``rows=<n>``, the number of rows the new table holds, so the harness
can check that the step loaded every event.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Output column -> the json_normalize column it comes from; the same columns, in the same
# order, as sql/limit.sql writes.
FLAT_COLUMNS = {
    "event_time": "eventTime",
    "event_name": "eventName",
    "event_source": "eventSource",
    "event_id": "eventID",
    "event_type": "eventType",
    "read_only": "readOnly",
    "error_code": "errorCode",
    "account_id": "recipientAccountId",
    "region": "awsRegion",
    "source_ip": "sourceIPAddress",
    "user_agent": "userAgent",
    "principal_type": "userIdentity.type",
    "principal_arn": "userIdentity.arn",
    "access_key_id": "userIdentity.accessKeyId",
    "issuer_arn": "userIdentity.sessionContext.sessionIssuer.arn",
    "mfa_authenticated": "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "target_host": "tlsDetails.clientProvidedHostHeader",
}


def load_limit(source: Path, db: Path) -> int:
    """Load every ``*.jsonl.gz`` under ``source`` with bare DuckDB; return the rows stored."""
    files = sorted(str(path) for path in source.rglob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no .jsonl.gz files under {source}: generate the set first")
    con = duckdb.connect(str(db))
    try:
        con.execute((SQL_DIR / "limit.sql").read_text(), {"files": files})
        return con.execute("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()


def load_pandas(source: Path, db: Path) -> int:
    """Load every ``*.json.gz`` delivery file under ``source`` the pandas way."""
    import pandas as pd  # here, so that the limit's process does not pay for importing it

    frames = []
    for path in sorted(source.rglob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            frames.append(pd.json_normalize(json.load(handle)["Records"]))
    if not frames:
        raise SystemExit(f"no .json.gz files under {source}: generate the set first")
    events = pd.concat(frames, ignore_index=True)
    # A column no event of the set has (no call failed, say) is still part of the table.
    flat = events.reindex(columns=list(FLAT_COLUMNS.values()))
    flat.columns = list(FLAT_COLUMNS)
    flat["event_time"] = pd.to_datetime(flat["event_time"], utc=True, format="ISO8601")
    con = duckdb.connect(str(db))
    try:
        con.register("flat", flat)
        con.execute("create table events as select * from flat")
        return con.execute("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """Run one baseline and print the rows it stored."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steps")
    parser.add_argument("step", choices=("limit", "pandas"))
    parser.add_argument("--source", type=Path, required=True, help="folder of input files")
    parser.add_argument("--db", type=Path, required=True, help="new DuckDB file to write")
    args = parser.parse_args(argv)
    if args.db.exists():
        raise SystemExit(f"{args.db} exists: the step loads into a new database")
    load = load_limit if args.step == "limit" else load_pandas
    print(f"rows={load(args.source, args.db)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
