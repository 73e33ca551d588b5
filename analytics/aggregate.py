"""Audit-log usage per UTC day: one Ibis definition, run on DuckDB or on Apache Spark.

The heavy step of the privilege checks is counting audit events per day, source, account,
identity, access key, action and outcome. :func:`usage` defines that count once, in Ibis, and
it runs three ways:

- :func:`refresh_usage` compiles it to DuckDB SQL and keeps the warehouse's own rows
  (origin ``warehouse``) up to date after every ingest, inside the caller's transaction;
- :func:`aggregate` runs it where the logs are: ``engine="duckdb"`` in this process, or
  ``engine="spark"`` on a Spark session (local, a master URL, or the cluster spark-submit
  names), reading Parquet or JSON from a folder, a glob or an object-store URI (how a
  source is listed, detected and read is ``analytics.aggregate_sources``);
- :func:`load_usage` loads the compact result into ``usage_daily`` under the origin
  ``<engine>:<source>``, replacing that origin's earlier rows, in one transaction, and
  :func:`write_usage` writes it to Parquet for a warehouse the job cannot reach.

Raw CloudTrail (delivery files, one event per line, Parquet of CloudTrail's own columns) is
mapped to the ``events`` columns by :func:`cloudtrail_events`, with the rules of
``analytics.ingest.cloudtrail``. What it cannot do: SIEM exports of CloudTrail (Datadog,
Elastic, EventBridge, Panther envelopes) are read by ``nhi-risk ingest`` only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from analytics import __version__
from analytics.aggregate_sources import DuckDBReader, SparkReader, is_uri, local_files
from analytics.aggregate_sources import spark_session as spark_session  # re-exported for callers
from analytics.errors import InputError, UsageError

log = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("duckdb", "spark")
FORMATS: tuple[str, ...] = ("events", "cloudtrail", "usage")
KEYS = ("source_kind", "account_id", "identity_id", "access_key_id", "action", "outcome")
USAGE_COLUMNS = ("day", *KEYS, "calls", "first_seen", "last_seen")
# The columns of the warehouse's events table that the refresh reads.
EVENTS_SCHEMA = ibis.schema({"event_time": "timestamp('UTC')", **dict.fromkeys(KEYS, "string")})

# Values that analytics.ingest.fields.text reads as missing (tests hold the two together).
MISSING_TEXT = ("", "N/A", "n/a", "not_supported", "no_information", "null", "None")
# Session ARNs of assumed roles: arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
ASSUMED_ROLE = r"^arn:(aws[0-9A-Za-z_-]*):sts::([0-9]{12}):assumed-role/([^/]+)/(.+)$"
CONSOLE_LOGIN = r'"ConsoleLogin"[ ]*:[ ]*"([^"]*)"'
# The CloudTrail fields the mapping reads, as JSON is read with an explicit schema (no
# inference, so one odd file cannot change the types of all). A document is a delivery file
# (Records) or one event; digest files (digestStartTime) are recognised and left out.
_IDENTITY = {
    "type": "VARCHAR",
    "arn": "VARCHAR",
    "accountId": "VARCHAR",
    "principalId": "VARCHAR",
    "userName": "VARCHAR",
    "invokedBy": "VARCHAR",
    "accessKeyId": "VARCHAR",
    "sessionContext": {"sessionIssuer": {"arn": "VARCHAR"}},
}
_RECORD = {
    "eventTime": "VARCHAR",
    "eventSource": "VARCHAR",
    "eventName": "VARCHAR",
    "eventID": "VARCHAR",
    "errorCode": "VARCHAR",
    "recipientAccountId": "VARCHAR",
    "userIdentity": _IDENTITY,
    "responseElements": {"ConsoleLogin": "VARCHAR"},
}
CLOUDTRAIL_JSON = {**_RECORD, "digestStartTime": "VARCHAR", "Records": [_RECORD]}
EVENTS_JSON = dict.fromkeys(("event_id", "event_time", *KEYS), "VARCHAR")
# The fields the readers take of each JSON format (usage rows are read from Parquet only).
JSON_STRUCTURES = {"cloudtrail": CLOUDTRAIL_JSON, "events": EVENTS_JSON}


def usage(events: ir.Table) -> ir.Table:
    """Usage rows: one per UTC day of ``event_time`` and the columns of ``KEYS``.

    ``calls`` counts the events, ``first_seen`` and ``last_seen`` are the first and last
    event times of the row. A NULL key is a value of its own (an event with no access key
    is counted, not dropped). The day is the UTC day only when the engine's session time
    zone is UTC, as every session the aggregation and the refresh use is.
    """
    return events.group_by(day=events.event_time.date(), **{k: events[k] for k in KEYS}).agg(
        calls=events.count(),
        first_seen=events.event_time.min(),
        last_seen=events.event_time.max(),
    )


def cloudtrail_events(records: ir.Table) -> ir.Table:
    """Map CloudTrail records to the ``events`` columns :func:`usage` reads, plus ``event_id``.

    ``records`` holds one CloudTrail event a row, in CloudTrail's own nested columns (names
    matched without regard to case, as Athena folds them), or one delivery document a row
    with its events in ``Records``. The rules are those of ``analytics.ingest.cloudtrail``:
    role sessions count against their role (the session issuer's ARN, else the role ARN the
    session ARN names); a federated user against its issuer; AWS services as
    ``aws-service:<invokedBy>``; the action is ``<service>:<eventName>`` with the service
    the event source up to its first dot; the outcome is failure when ``errorCode`` is set
    or a console sign-in failed; the account is ``recipientAccountId``, else the caller's.
    A record without a readable ``eventTime`` or ``eventName`` gets a NULL time or action:
    the ingest rejects it, and :func:`aggregate` counts it as skipped.
    """
    if _column(records, "Records") is not None:
        records = _events_of_documents(records)
    who = _field(records, "userIdentity")
    issuer = _field(_field(_field(who, "sessionContext"), "sessionIssuer"), "arn")
    # The fields as the adapter reads them, once: the rules below use some several times.
    fields = records.select(
        event_id=_first_text(records, "eventID"),
        event_time=_first_text(records, "eventTime").try_cast("timestamp('UTC')"),
        name=_first_text(records, "eventName"),
        service=_first_text(records, "eventSource").re_extract(r"^([^.]*)", 1).nullif(""),
        failed=_first_text(records, "errorCode").notnull()
        | (_console_login(records) == "failure"),
        recipient=_first_text(records, "recipientAccountId"),
        arn=_text(_field(who, "arn")),
        kind=_text(_field(who, "type")),
        issuer=_text(issuer),
        invoked_by=_text(_field(who, "invokedBy")),
        user=_text(_field(who, "userName")),
        account=_text(_field(who, "accountId")),
        principal=_text(_field(who, "principalId")),
        access_key_id=_text(_field(who, "accessKeyId")),
    )
    arn, kind, issuer = fields.arn, fields.kind, fields.issuer
    role = ibis.literal("arn:") + arn.re_extract(ASSUMED_ROLE, 1) + ":iam::"
    role = role + arn.re_extract(ASSUMED_ROLE, 2) + ":role/" + arn.re_extract(ASSUMED_ROLE, 3)
    owner = fields.account.coalesce(fields.principal)
    identity = ibis.cases(
        (arn.re_search(ASSUMED_ROLE), issuer.coalesce(role)),
        ((kind == "FederatedUser") & issuer.notnull(), issuer),
        (arn.notnull(), arn),
        (kind == "AWSService", _joined("aws-service:", fields.invoked_by)),
        (kind == "AWSAccount", _joined("aws-account:", owner, "anonymous")),
        else_=_joined(
            kind.coalesce("unknown").lower() + ":", fields.user.coalesce(fields.principal)
        ),
    )
    return fields.select(
        "event_id",
        "event_time",
        source_kind=ibis.literal("cloudtrail"),
        account_id=fields.recipient.coalesce(fields.account),
        identity_id=identity,
        access_key_id=fields.access_key_id,
        action=ibis.ifelse(
            fields.service.notnull(), fields.service + ":" + fields.name, fields.name
        ),
        outcome=ibis.ifelse(fields.failed, "failure", "success"),
    )


def _events_of_documents(documents: ir.Table) -> ir.Table:
    """One row per event of documents that are delivery files (their events in Records) or
    single events, in one pass over the data; digest files' records are left out."""
    records = _column(documents, "Records")
    digest = _column(documents, "digestStartTime")
    if digest is not None:
        documents = documents.filter(digest.isnull())
    fields = [c for c in documents.columns if c.lower() not in ("records", "digeststarttime")]
    single = ibis.array([ibis.struct({c: documents[c] for c in fields})])
    events = ibis.ifelse(records.isnull(), single, records).cast(records.type())
    return documents.select(event=events.unnest()).unpack("event")


def events_columns(rows: ir.Table, source: str) -> ir.Table:
    """The ``events`` columns of an events-shaped table (an export of the warehouse's table),
    typed as :func:`usage` needs them; ``event_id``, when present, lets duplicates go."""
    missing = [c for c in ("event_time", *KEYS) if _column(rows, c) is None]
    if missing:
        raise InputError(
            f"{source}: events rows need the columns event_time, {', '.join(KEYS)}; missing "
            f"{', '.join(missing)}: export them from the events table, or pass --format "
            f"cloudtrail for raw CloudTrail"
        )
    event_time = _column(rows, "event_time")
    if not event_time.type().is_timestamp():
        event_time = event_time.cast("string").strip().try_cast("timestamp('UTC')")
    event_id = _column(rows, "event_id")
    return rows.select(
        event_id=ibis.null("string") if event_id is None else event_id.cast("string"),
        event_time=event_time.cast("timestamp('UTC')"),
        **{k: _column(rows, k).cast("string") for k in KEYS},
    )


def once(events: ir.Table) -> ir.Table:
    """Each event once: the warehouse keeps one row per (source_kind, event_id), so a record
    delivered twice (two trails over one account, a redelivered file) counts once here too.
    Rows without an id are all kept, as the ingest gives them distinct ids of their own."""
    keyed = events.filter(events.event_id.notnull()).distinct()
    return keyed.union(events.filter(events.event_id.isnull())).drop("event_id")


def _column(table: ir.Table, name: str) -> ir.Column | None:
    for column in table.columns:
        if column.lower() == name.lower():
            return table[column]
    return None


def _field(parent: ir.Table | ir.Value, name: str) -> ir.Value:
    """``parent.name`` matched without regard to case; NULL text where it is absent or the
    parent is not a struct (Athena keeps some objects as JSON text)."""
    if isinstance(parent, ir.Table):
        found = _column(parent, name)
        return ibis.null("string") if found is None else found
    kind = parent.type()
    if kind.is_struct():
        for field in kind.names:
            if field.lower() == name.lower():
                return parent[field]
    return ibis.null("string")


def _text(value: ir.Value) -> ir.StringValue:
    """A field as ``analytics.ingest.fields.text`` reads it: trimmed, missing markers NULL."""
    trimmed = value.cast("string").strip()
    return ibis.ifelse(trimmed.isin(MISSING_TEXT), ibis.null("string"), trimmed)


def _first_text(records: ir.Table, name: str) -> ir.StringValue:
    """A top-level field as the CloudTrail adapter reads it: trimmed, empty as NULL."""
    return _field(records, name).cast("string").strip().nullif("")


def _joined(
    prefix: str | ir.StringValue, value: ir.StringValue, otherwise: str | None = None
) -> ir.StringValue:
    return ibis.ifelse(value.notnull(), prefix + value, ibis.literal(otherwise, "string"))


def _console_login(records: ir.Table) -> ir.StringValue:
    """``responseElements.ConsoleLogin`` lower-cased, from a struct or from JSON text."""
    response = _field(records, "responseElements")
    if response.type().is_string():
        return response.re_extract(CONSOLE_LOGIN, 1).nullif("").lower()
    return _field(response, "ConsoleLogin").cast("string").lower()


# --- the warehouse's own rows ------------------------------------------------------------


def _compiled_refresh(touched_days_only: bool) -> str:
    events = ibis.table(EVENTS_SCHEMA, name="events")
    if touched_days_only:
        days = ibis.table({"day": "date"}, name="usage_days")
        events = events.filter(events.event_time.date().isin(days.day))
    rows = usage(events).mutate(origin=ibis.literal("warehouse"))
    return str(ibis.to_sql(rows, dialect="duckdb"))


USAGE_OF_TOUCHED_DAYS = _compiled_refresh(touched_days_only=True)
USAGE_OF_ALL_DAYS = _compiled_refresh(touched_days_only=False)


def refresh_usage(con: duckdb.DuckDBPyConnection, file_ids: list[int] | None = None) -> None:
    """Recompute the warehouse's usage rows (origin ``warehouse``) from ``events``.

    Only the UTC days that events of ``file_ids`` fall on are recomputed, whole (a day's
    row also counts that day's events of other files); ``None`` rebuilds every day. Runs
    on the caller's connection and inside its transaction, if one is open.
    """
    zone = con.execute("select current_setting('TimeZone')").fetchall()[0][0]
    if zone != "UTC":
        con.execute("set timezone = 'UTC'")
    try:
        if file_ids is None:
            con.execute("delete from usage_daily where origin = 'warehouse'")
            con.execute("insert into usage_daily by name " + USAGE_OF_ALL_DAYS)
            return
        con.execute(
            "create or replace temp table usage_days as "
            "select distinct cast(event_time as date) as day from events "
            "where list_contains(?, file_id)",
            [file_ids],
        )
        con.execute(
            "delete from usage_daily where origin = 'warehouse' "
            "and day in (select day from usage_days)"
        )
        con.execute("insert into usage_daily by name " + USAGE_OF_TOUCHED_DAYS)
        con.execute("drop table usage_days")
    finally:
        if zone != "UTC":
            con.execute("set timezone = ?", [zone])


def recompute_usage(con: duckdb.DuckDBPyConnection, file_ids: list[int] | None = None) -> None:
    """:func:`refresh_usage` in a transaction of its own: the usage changes whole or not at all."""
    con.begin()
    try:
        refresh_usage(con, file_ids)
        con.commit()
    except BaseException:
        con.rollback()
        raise


# --- aggregating a source on an engine ---------------------------------------------------


@dataclass(frozen=True)
class Aggregation:
    """The usage rows of one source, computed by one engine.

    Attributes
    ----------
    origin
        ``<engine>:<source>``, local paths made absolute: the rows' origin in the warehouse.
    format
        ``cloudtrail``, ``events`` or ``usage`` (rows this module wrote with ``--out``).
    detected
        Whether ``format`` was detected from the data rather than given.
    rows
        The ``USAGE_COLUMNS`` of each usage row (an Arrow table: it is small).
    events
        Events counted (the sum of ``calls``), each event once.
    skipped
        Records left out for a missing or unreadable time, action, source kind or outcome
        (what the ingest would reject), or that are not JSON (a pretty-printed file read as
        one JSON value per line).
    """

    engine: str
    source: str
    origin: str
    format: str
    detected: bool
    rows: pa.Table
    events: int
    skipped: int

    @property
    def days(self) -> tuple[date, date]:
        """The first and the last day of the rows."""
        span = pc.min_max(self.rows["day"])
        return span["min"].as_py(), span["max"].as_py()


def origin_of(engine: str, source: str) -> str:
    """``<engine>:<source>``; a local path is made absolute so that a rerun from another
    folder replaces the same rows."""
    return f"{engine}:{source if is_uri(source) else os.path.abspath(source)}"


def aggregate(
    source: str,
    *,
    engine: str = "duckdb",
    fmt: str | None = None,
    spark_master: str | None = None,
    spark: Any = None,
    progress: bool = False,
) -> Aggregation:
    """Read ``source`` with ``engine`` and compute its usage rows.

    Parameters
    ----------
    source
        A local file, folder (read recursively) or glob; on Spark also a URI
        (``s3a://bucket/AWSLogs/...`` with hadoop-aws; ``s3://`` where the cluster maps it,
        as EMR does).
    engine
        ``duckdb`` (this process) or ``spark``.
    fmt
        ``cloudtrail``, ``events`` or ``usage``; ``None`` detects it from the first record
        (or the Parquet columns).
    spark_master
        Master URL for a new Spark session; default: spark-submit's, else ``local[*]``.
    spark
        A SparkSession to use instead of starting one (tests share one).
    progress
        Show Spark's console progress bar.

    Raises
    ------
    InputError
        The source names nothing, cannot be read, or holds no usable event.
    UsageError
        An unknown engine or format, or the Spark engine without pyspark or Java.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    files = local_files(source)
    origins: list[str | None] = []
    if engine == "spark":
        reader: DuckDBReader | SparkReader = SparkReader(spark, spark_master, progress)
    else:
        reader = DuckDBReader()
    try:
        table, chosen = reader.read(source, files, fmt, JSON_STRUCTURES)
        log.info("aggregating %s as %s on %s", source, chosen, engine)
        if chosen == "cloudtrail":
            counted = usage(once(cloudtrail_events(table)))
        elif chosen == "events":
            counted = usage(once(events_columns(table, source)))
        else:
            counted = _usage_again(table, source)
            if _column(table, "origin") is not None:
                kept = table.select(origin=_column(table, "origin")).distinct()
                origins = reader.collect(kept, source)["origin"].to_pylist()
        rows = reader.collect(counted, source)
    finally:
        reader.close()
    usable = pc.and_kleene(
        pc.and_kleene(rows["day"].is_valid(), rows["source_kind"].is_valid()),
        pc.and_kleene(rows["action"].is_valid(), rows["outcome"].is_valid()),
    )
    skipped = pc.sum(rows.filter(pc.invert(usable))["calls"]).as_py() or 0
    rows = rows.filter(usable).select(list(USAGE_COLUMNS))
    events = pc.sum(rows["calls"]).as_py() or 0
    if skipped:
        log.warning(
            "%s: %s records without a readable time, action, source kind or outcome were "
            "skipped (the ingest rejects them too); if it is most of them, the files may be "
            "pretty-printed JSON read as one value per line (Spark reads a URI in the layout "
            "of its first file): keep one layout per source",
            source,
            f"{skipped:,}",
        )
    if not events:
        raise InputError(
            f"source {source}: no usable event ({skipped:,} records skipped): expected "
            f"CloudTrail records with eventTime and eventName, or events rows; check the path"
        )
    log.info("%s: %s events in %s usage rows", source, f"{events:,}", f"{rows.num_rows:,}")
    origin = origin_of(engine, source)
    if len(origins) == 1 and str(origins[0]).split(":", 1)[0] in ENGINES:
        # Rows written by --out keep the origin of the run that counted them, so that
        # loading them replaces what that run loaded before.
        origin = origins[0]
        engine, source = origin.split(":", 1)
    return Aggregation(engine, source, origin, chosen, fmt is None, rows, events, skipped)


def _usage_again(rows: ir.Table, source: str) -> ir.Table:
    """Usage rows written by ``--out``, summed again by their grain (a no-op on rows that
    are already one per grain, and right on rows of several runs)."""
    missing = [c for c in USAGE_COLUMNS if _column(rows, c) is None]
    if missing:
        raise InputError(
            f"{source}: usage rows need the columns {', '.join(USAGE_COLUMNS)}; missing "
            f"{', '.join(missing)}: pass files written by `nhi-risk aggregate --out`"
        )
    return rows.group_by(day=_column(rows, "day"), **{k: _column(rows, k) for k in KEYS}).agg(
        calls=_column(rows, "calls").sum(),
        first_seen=_column(rows, "first_seen").min(),
        last_seen=_column(rows, "last_seen").max(),
    )


# --- handing the rows over ---------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """What :func:`load_usage` did: rows loaded, rows of the same origin replaced, and how
    many (day, source, account) of the new rows other origins also have usage for."""

    origin: str
    rows: int
    replaced: int
    overlapping: int
    others: tuple[str, ...]


def load_usage(result: Aggregation, db: str | Path | None = None) -> Loaded:
    """Load ``result`` into ``usage_daily``, replacing the rows of its origin, and record the
    run in ``aggregate_runs``: all in one transaction, so readers see the old rows or the
    new ones, never a mix."""
    from analytics.warehouse import connect

    con = connect(db, read_only=False)
    try:
        con.register("usage_rows", result.rows)
        con.begin()
        try:
            replaced = con.execute(
                "select count(*) from usage_daily where origin = ?", [result.origin]
            ).fetchall()[0][0]
            con.execute("delete from usage_daily where origin = ?", [result.origin])
            con.execute(
                "insert into usage_daily by name select *, ? as origin from usage_rows",
                [result.origin],
            )
            con.execute("delete from aggregate_runs where origin = ?", [result.origin])
            con.execute(
                "insert into aggregate_runs by name "
                "select ? as origin, ? as engine, ? as source, ? as loaded_at, "
                "count(*) as usage_rows, sum(calls) as events, min(day) as first_day, "
                "max(day) as last_day, ? as toolkit_version from usage_rows",
                [result.origin, result.engine, result.source, datetime.now(UTC), __version__],
            )
            overlap = con.execute(_OVERLAP, [result.origin]).fetchall()[0]
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.close()
    return Loaded(result.origin, result.rows.num_rows, replaced, overlap[0], tuple(overlap[1]))


# The account-days of the new rows that other origins also have usage for: the same logs
# loaded twice (ingested here and aggregated elsewhere) would count twice.
_OVERLAP = """
select
    count(distinct (n.day, n.source_kind, n.account_id)),
    coalesce(list(distinct o.origin order by o.origin), [])
from usage_rows as n
join usage_daily as o
    on o.day = n.day
   and o.source_kind = n.source_kind
   and o.account_id is not distinct from n.account_id
   and o.origin <> ?
"""


def write_usage(result: Aggregation, out: str) -> None:
    """Write ``result``'s rows, with their origin, to the Parquet file ``out`` (a local path,
    or a URI pyarrow can write, such as s3://bucket/key.parquet with credentials from the
    environment): for a job whose driver cannot reach the warehouse. ``nhi-risk aggregate
    --source FILE`` loads it later."""
    import pyarrow.parquet as pq

    from analytics.warehouse import owner_only

    rows = result.rows.append_column("origin", pa.array([result.origin] * result.rows.num_rows))
    if not is_uri(out):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    with owner_only():
        pq.write_table(rows, out)
