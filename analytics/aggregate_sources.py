"""Reading the sources that ``nhi-risk aggregate`` counts, on DuckDB or on Apache Spark.

:func:`analytics.aggregate.aggregate` turns a source into usage rows; this module does the
part before the counting: it lists the files a local source names (a file, a folder read
recursively, a glob; a URI is left to Spark to list), tells the format from the first record
or the Parquet columns, tells a pretty-printed JSON file from one JSON value per line, and
reads every file into an Ibis table with the explicit JSON structure the caller gives. Two
readers do this, :class:`DuckDBReader` (this process, local files) and :class:`SparkReader`
(a Spark session, local files or object storage), and :func:`spark_session` starts the
session the second one runs on. The meaning of the records (the CloudTrail mapping, the
daily usage) lives in ``analytics.aggregate``, not here.
"""

from __future__ import annotations

import glob
import gzip
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from analytics.errors import InputError, UsageError

log = logging.getLogger(__name__)

SPARK_EXTRA = "pip install 'nhi-risk[spark]'"
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def is_uri(source: str) -> bool:
    """Whether ``source`` is a URI (``s3a://...``, ``file://...``) that the engine lists and
    reads itself, rather than a local path that :func:`local_files` lists."""
    return "://" in source


def _is_data_file(name: str) -> bool:
    if name.startswith((".", "_")) or "CloudTrail-Digest" in name:
        return False
    stem = name[:-3] if name.endswith(".gz") else name
    return stem.lower().endswith(_JSON_SUFFIXES) or name.lower().endswith(".parquet")


def local_files(source: str) -> list[str] | None:
    """The data files a local source names, sorted; ``None`` for a URI (the engine lists it).

    Folders are walked recursively for ``.json``, ``.jsonl`` and ``.ndjson`` files (each
    optionally ``.gz``) and ``.parquet`` files; hidden files, CloudTrail digest files and
    anything else (a README beside the logs) are passed over.
    """
    if is_uri(source):
        return None
    path = Path(source)
    if path.is_dir():
        files = []
        for root, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files.extend(os.path.join(root, name) for name in names if _is_data_file(name))
        files.sort()
    elif path.is_file():
        files = [str(path)]
    elif glob.has_magic(source):
        files = sorted(f for f in glob.glob(source, recursive=True) if Path(f).is_file())
    else:
        raise InputError(
            f"source {source}: no such file or folder; expected a file, folder or glob of "
            f"CloudTrail or events data, or a URI such as s3a://bucket/AWSLogs/"
        )
    if not files:
        raise InputError(
            f"source {source}: holds no .json, .jsonl or .ndjson file (optionally .gz) and no "
            f".parquet file: point --source at the log files"
        )
    if 0 < sum(f.endswith(".parquet") for f in files) < len(files):
        raise InputError(
            f"source {source}: mixes Parquet and JSON files: aggregate each kind on its own"
        )
    return files


def _format_of(keys: list[str], where: str) -> str:
    """The format the first record's keys (or the Parquet columns) show."""
    lowered = {key.lower() for key in keys}
    if "event_time" in lowered:
        return "events"
    if lowered & {"records", "eventtime", "eventname"}:
        return "cloudtrail"
    if {"calls", "first_seen", "last_seen"} <= lowered:
        return "usage"
    shown = ", ".join(sorted(keys)[:8]) or "none"
    raise InputError(
        f"{where}: expected CloudTrail records (eventTime, eventName, ...) or events rows "
        f"(event_time, action, ...), found the keys {shown}: point --source at audit logs, "
        f"or pass --format"
    )


def _first_record(document: Any) -> list[str]:
    """The keys of the first record of a parsed JSON document (an array's first element)."""
    if isinstance(document, list):
        document = document[0] if document else {}
    return list(document) if isinstance(document, dict) else []


def _open(path: str) -> IO[bytes]:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _multi_line(path: str) -> bool:
    """Whether a local JSON file is pretty-printed (a document over several lines, read
    whole) rather than one JSON value per line, as AWS writes delivery files. Only the
    first line is looked at, and only when it ends within the first 4 KiB."""
    try:
        with _open(path) as handle:
            head = handle.read(4096)
    except (OSError, EOFError):
        return False  # unreadable: the engine's read says why
    line, newline, _ = head.partition(b"\n")
    if not newline:
        return False
    try:
        json.loads(line)
    except ValueError:
        return True
    return False


def _peek_keys(path: str) -> list[str]:
    """The keys of the first record of a local JSON file."""
    try:
        with _open(path) as handle:
            document = json.load(handle) if _multi_line(path) else json.loads(handle.readline())
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(
            f"{path}: is not JSON, gzipped or plain ({_first_line(exc)}): expected CloudTrail "
            f"delivery files, JSON arrays or JSON lines, or Parquet"
        ) from exc
    return _first_record(document)


def _first_line(message: object) -> str:
    return str(message).strip().splitlines()[0] if str(message).strip() else "failed"


class Reader:
    """What both engines do to read a source: find its first file, tell its format from
    the first record, and read every file with the explicit schema of that format."""

    VIEW = "nhi_risk_source"
    con: Any

    def read(
        self,
        source: str,
        files: list[str] | None,
        fmt: str | None,
        structures: Mapping[str, dict[str, Any]],
    ) -> tuple[ir.Table, str]:
        """The source as one table, and its format (``fmt``, else the detected one).

        ``files`` are the local files :func:`local_files` listed, ``None`` for a URI.
        ``structures`` gives, per JSON format, the fields to read (nested dicts, lists of
        one item, text leaves): the caller knows which fields its mapping needs. Parquet is
        read with the columns it has.
        """
        with self._errors(source):
            first = files[0] if files is not None else self._first_file(source)
            where = files if files is not None else source
            if first.lower().endswith(".parquet"):
                table = self._parquet(where)
                return table, fmt or _format_of(table.columns, first)
            keys = _peek_keys(first) if files is not None else self._first_keys(first)
            chosen = fmt or _format_of(keys, first)
            if chosen == "usage":
                raise InputError(
                    f"{first}: usage rows are read from the Parquet files that --out writes"
                )
            return self._json(where, structures[chosen]), chosen

    def collect(self, expr: ir.Table, source: str) -> pa.Table:
        with self._errors(source):
            return self.con.to_pyarrow(expr)

    @contextmanager
    def _errors(self, source: str) -> Iterator[None]:
        raise NotImplementedError

    def _first_file(self, source: str) -> str:
        raise NotImplementedError

    def _first_keys(self, first: str) -> list[str]:
        raise NotImplementedError

    def _parquet(self, where: str | list[str]) -> ir.Table:
        raise NotImplementedError

    def _json(self, where: str | list[str], structure: dict[str, Any]) -> ir.Table:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class DuckDBReader(Reader):
    """DuckDB in this process, an in-memory database, over local files. JSON is read as JSON
    values and transformed to the schema (faster than read_json with a nested schema); each
    file may be a delivery file, an array of events or one event per line."""

    def __init__(self) -> None:
        self.con = ibis.duckdb.connect()
        self.raw = self.con.con
        self.raw.execute("set timezone = 'UTC'")

    @contextmanager
    def _errors(self, source: str) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            raise InputError(f"source {source}: {_first_line(exc)}") from exc

    def _first_file(self, source: str) -> str:
        raise UsageError(
            f"--engine duckdb reads local files, folders and globs, not {source}: use "
            f"--engine spark for object storage"
        )

    def _parquet(self, where: str | list[str]) -> ir.Table:
        relation = self.raw.sql(
            "select * from read_parquet($files, union_by_name = true)", params={"files": where}
        )
        self.raw.register(self.VIEW, relation)
        return self.con.table(self.VIEW)

    def _json(self, where: str | list[str], structure: dict[str, Any]) -> ir.Table:
        relation = self.raw.sql(
            "select unnest(json_transform(json, $structure)) "
            "from read_json_objects($files, format = 'auto')",
            params={"files": where, "structure": json.dumps(structure)},
        )
        self.raw.register(self.VIEW, relation)
        return self.con.table(self.VIEW)

    def close(self) -> None:
        self.con.disconnect()


def spark_session(master: str | None = None, progress: bool = False) -> Any:
    """Start (or join) the Spark session the spark engine runs on.

    The master is ``master`` if given, else the one spark-submit set, else ``local[*]``.
    Session time zone UTC (usage days are UTC days); the SQL warehouse folder is a
    temporary one, so that runs from the same folder do not collide.

    Raises
    ------
    UsageError
        pyspark is not installed, no Java runtime is found, or the JVM does not start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError(
            f"the spark engine needs pyspark, which is not installed: {SPARK_EXTRA}"
        ) from exc
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise UsageError(
            "the spark engine needs a Java runtime (17 or 21) and found none on PATH or in "
            "JAVA_HOME: install one, e.g. `apt-get install openjdk-17-jre-headless`"
        )
    builder = SparkSession.builder.appName("nhi-risk aggregate")
    if master:
        builder = builder.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Not under spark-submit, which would have named the master.
        builder = builder.master("local[*]")
    scratch = Path(tempfile.gettempdir()) / f"nhi-risk-spark-{os.getpid()}"
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(scratch))
        .config("spark.ui.showConsoleProgress", "true" if progress else "false")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise UsageError(f"Spark did not start: {_first_line(exc)}") from exc
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.sparkContext.setLogLevel("WARN" if log.isEnabledFor(logging.INFO) else "ERROR")
    return session


class SparkReader(Reader):
    """A Spark session. JSON is read in Spark's line mode (AWS writes each delivery file as
    one line; one event per line also reads so) unless the first file is pretty-printed JSON,
    then each file is read whole (multiLine)."""

    JSON_FILES = "*.{json,jsonl,ndjson,gz}"
    DATA_FILES = "*.{json,jsonl,ndjson,gz,parquet}"

    def __init__(self, session: Any, master: str | None, progress: bool) -> None:
        if session is None:
            session = _running_spark()
            if session is not None and master:
                log.warning("a Spark session is running here already: --spark-master is unused")
        # A session this run started is stopped when it ends; one it joined is not.
        self.owned = session is None
        self.session = session or spark_session(master, progress)
        self.con = ibis.pyspark.connect(self.session)
        self.multi_line = False

    @contextmanager
    def _errors(self, source: str) -> Iterator[None]:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            yield
        except (PySparkException, Py4JError) as exc:
            raise InputError(f"source {source}: {_first_line(exc)}") from exc

    def _first_file(self, source: str) -> str:
        listed = self.session.read.text(
            source, recursiveFileLookup=True, pathGlobFilter=self.DATA_FILES
        ).inputFiles()
        if not listed:
            raise InputError(
                f"source {source}: holds no .json, .jsonl, .ndjson, .gz or .parquet file"
            )
        return str(sorted(listed)[0])

    def _first_keys(self, first: str) -> list[str]:
        line = self.session.read.text(first).first()
        try:
            return _first_record(json.loads(line.value if line else ""))
        except ValueError:
            whole = self.session.read.text(first, wholetext=True).first()
            self.multi_line = True
        try:
            return _first_record(json.loads(whole.value if whole else ""))
        except ValueError as exc:
            raise InputError(
                f"{first}: is neither one JSON value per line nor one JSON document ({exc})"
            ) from exc

    def _parquet(self, where: str | list[str]) -> ir.Table:
        reader = self.session.read.option("mergeSchema", "true")
        if isinstance(where, str):
            reader = reader.options(recursiveFileLookup="true", pathGlobFilter="*.parquet")
            frame = reader.parquet(where)
        else:
            frame = reader.parquet(*where)
        frame.createOrReplaceTempView(self.VIEW)
        return self.con.table(self.VIEW)

    def _json(self, where: str | list[str], structure: dict[str, Any]) -> ir.Table:
        """Local files are read each in its own layout (two reads, one union); a URI in the
        layout of its first file."""
        reader = self.session.read.schema(_spark_type(structure))
        if isinstance(where, str):
            reader = reader.options(recursiveFileLookup="true", pathGlobFilter=self.JSON_FILES)
            frame = reader.json(where, multiLine=self.multi_line)
        else:
            whole = {path: _multi_line(path) for path in where}
            frame = None
            for read_whole in (False, True):
                group = [path for path in where if whole[path] == read_whole]
                if group:
                    read = reader.json(group, multiLine=read_whole)
                    frame = read if frame is None else frame.union(read)
        frame.createOrReplaceTempView(self.VIEW)
        return self.con.table(self.VIEW)

    def close(self) -> None:
        if self.owned:
            self.session.stop()


def _running_spark() -> Any:
    """The Spark session already active in this process (a notebook's, a test's), if any."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def _spark_type(spec: Any) -> Any:
    """The Spark type of a JSON structure as :meth:`Reader.read` takes it (text leaves, lists
    of one item)."""
    from pyspark.sql import types as spark_types

    if isinstance(spec, dict):
        return spark_types.StructType(
            [spark_types.StructField(name, _spark_type(inner)) for name, inner in spec.items()]
        )
    if isinstance(spec, list):
        return spark_types.ArrayType(_spark_type(spec[0]))
    return spark_types.StringType()
