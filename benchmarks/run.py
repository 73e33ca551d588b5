"""``make bench``: time ``nhi-risk ingest`` on synthetic CloudTrail against bare DuckDB.

For each size of ``--events`` (``BENCH_EVENTS``, default 1M and 10M), on a trail made by
:mod:`benchmarks.generate`:

1. limit: bare DuckDB ``read_ndjson`` of the gzipped JSON-lines files into a flat table;
2. ingest: ``nhi-risk ingest --quiet`` of the gzipped delivery files of the same events,
   then a check that every record is accounted for (read = loaded + rejected + duplicate)
   and that the warehouse holds exactly the trail's events;
3. pandas: ``json_normalize`` of the delivery files (up to :data:`PANDAS_MAX_EVENTS`);

then, once: ingest of one large plain ``{"Records":[...]}`` file, ``nhi-risk metrics`` on
the largest warehouse, and ``make report`` on the ``large`` demo (``--report 0`` or
``BENCH_REPORT=0`` skips it). Each step runs in a fresh process under
:mod:`benchmarks.measure` on a new database file. The table goes to the terminal and to
``benchmarks/results.md`` with a description of the machine.

A check that fails (an ingest that lost or invented events, a step that exited non-zero)
stops the run with exit code 2: a benchmark of a broken ingest is worthless. A target that
is missed is reported in the table, and the exit code stays 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from benchmarks.generate import WORK, generate, generate_single
from benchmarks.table import Row, bytes_text, render, table

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.md"
DEFAULT_EVENTS = "1000000 10000000"
PANDAS_MAX_EVENTS = 2_000_000
LIMIT_RATIO = 2 / 3  # ingest at no less than 2/3 of the limit's rate
PEAK_BYTES = 2 * 1024**3  # ingest peak memory under 2 GB
PANDAS_FACTOR = 10  # ingest at least 10x faster than pandas
METRICS_SECONDS = 15
REPORT_SECONDS = 300


class BenchError(RuntimeError):
    """A step failed or loaded the wrong data: its numbers cannot be reported."""


@dataclass(frozen=True)
class Settings:
    """What one run measures, and where it writes."""

    sizes: list[int]
    seed: int
    report: bool
    single_events: int
    work: Path
    results: Path
    nhi_risk: Path


@dataclass(frozen=True)
class Measured:
    """What :mod:`benchmarks.measure` reported for one step, and where its output is."""

    seconds: float
    peak_bytes: int
    log: Path


class Bench:
    """Runs the steps and collects the rows."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.runs = settings.work / "runs"
        self.rows: list[Row] = []
        self.notes: list[str] = []

    def run(self) -> None:
        """Every step for every size, then the single file, metrics and the report; the rows
        and notes collect in :attr:`rows` and :attr:`notes` as the steps finish."""
        self.runs.mkdir(parents=True, exist_ok=True)
        warehouses = [self._one_size(events) for events in self.s.sizes]
        self._single()
        self._metrics(warehouses[-1], self.s.sizes[-1])
        if self.s.report:
            self._report()
        else:
            self.notes.append("`make report` on the large demo: skipped (BENCH_REPORT=0).")

    def _one_size(self, events: int) -> Path:
        """Limit, ingest and pandas at one size; returns the ingest's warehouse."""
        trail = generate(events, self.s.seed, self.s.work)
        how = "reused from the cache" if trail.cached else "generated"
        self.notes.append(
            f"{events:,} events: {trail.files:,} delivery files, "
            f"{bytes_text(trail.json_bytes)} of JSON, {bytes_text(trail.gzip_bytes)} gzipped; "
            f"{how} (generation took {trail.seconds:.0f} s on all cores)."
        )
        _warm(trail.jsonl)
        _warm(trail.delivery)
        limit = self._baseline("limit", events, trail.jsonl)
        limit_rate = events / limit.seconds
        self.rows.append(
            Row(
                step="limit: DuckDB read_ndjson, JSON lines .gz",
                events=events,
                seconds=limit.seconds,
                peak_bytes=limit.peak_bytes,
                ratio=1.0,
                target="reference",
            )
        )
        ingest_db = self._fresh(f"ingest-{events}.duckdb")
        ingest = self._measure(f"ingest-{events}", self._ingest(trail.delivery, ingest_db))
        check_ingest(ingest_db, events, trail.files)
        ratio = events / ingest.seconds / limit_rate
        self.rows.append(
            Row(
                step="nhi-risk ingest, delivery files .json.gz",
                events=events,
                seconds=ingest.seconds,
                peak_bytes=ingest.peak_bytes,
                ratio=ratio,
                target=f">= {LIMIT_RATIO:.2f} x limit, peak < 2 GB",
                met=ratio >= LIMIT_RATIO and ingest.peak_bytes < PEAK_BYTES,
            )
        )
        if events > PANDAS_MAX_EVENTS:
            self.notes.append(
                f"pandas baseline at {events:,} events: skipped (above {PANDAS_MAX_EVENTS:,}: "
                "it holds every event as Python objects, 6-8 GB a million)."
            )
            return ingest_db
        pandas = self._baseline("pandas", events, trail.delivery)
        speedup = pandas.seconds / ingest.seconds
        self.rows.append(
            Row(
                step="pandas json_normalize, delivery files",
                events=events,
                seconds=pandas.seconds,
                peak_bytes=pandas.peak_bytes,
                ratio=events / pandas.seconds / limit_rate,
                target=f"ingest >= {PANDAS_FACTOR}x pandas (is {speedup:.1f}x)",
                met=speedup >= PANDAS_FACTOR,
            )
        )
        return ingest_db

    def _single(self) -> None:
        """Ingest of one large Records file: it must finish, with its peak memory shown."""
        events = self.s.single_events
        single = generate_single(events, self.s.seed, self.s.work)
        _warm(single.path.parent)
        db = self._fresh(f"single-{events}.duckdb")
        result = self._measure(f"single-{events}", self._ingest(single.path, db))
        check_ingest(db, events, 1)
        self.rows.append(
            Row(
                step=f"nhi-risk ingest, one {bytes_text(single.json_bytes)} Records file",
                events=events,
                seconds=result.seconds,
                peak_bytes=result.peak_bytes,
                target="completes without exhausting memory",
                met=True,
            )
        )

    def _metrics(self, db: Path, events: int) -> None:
        """``nhi-risk metrics`` on the largest warehouse, the whole command timed."""
        command = [str(self.s.nhi_risk), "metrics", "--db", str(db)]
        result = self._measure(f"metrics-{events}", command)
        self.rows.append(
            Row(
                step="nhi-risk metrics",
                events=events,
                seconds=result.seconds,
                peak_bytes=result.peak_bytes,
                target=f"< {METRICS_SECONDS} s",
                met=result.seconds < METRICS_SECONDS,
            )
        )

    def _report(self) -> None:
        """``make report`` on the large demo from scratch: demo, ingest, notebooks, HTML."""
        demo = self.s.work / "demo-large"
        db = self.s.work / "large.duckdb"
        shutil.rmtree(demo, ignore_errors=True)
        for path in _db_files(db):
            path.unlink(missing_ok=True)
        make = os.environ.get("MAKE", "make")
        command = [make, "-C", str(ROOT), "report", "SCALE=large", f"DEMO={demo}", f"DB={db}"]
        result = self._measure("report-large", command)
        self.rows.append(
            Row(
                step="make report, large demo (demo + ingest + report)",
                events=_count_events(db),
                seconds=result.seconds,
                peak_bytes=result.peak_bytes,
                target=f"< {REPORT_SECONDS} s",
                met=result.seconds < REPORT_SECONDS,
            )
        )

    def _baseline(self, step: str, events: int, source: Path) -> Measured:
        """Run a step of :mod:`benchmarks.steps` and check that it stored every event."""
        db = self._fresh(f"{step}-{events}.duckdb")
        module = [sys.executable, "-m", "benchmarks.steps", step]
        result = self._measure(
            f"{step}-{events}", [*module, "--source", str(source), "--db", str(db)]
        )
        stored = [
            int(line.removeprefix("rows="))
            for line in result.log.read_text().splitlines()
            if line.startswith("rows=")
        ]
        if stored != [events]:
            raise BenchError(f"the {step} step stored {stored} rows, expected {events}")
        return result

    def _ingest(self, source: Path, db: Path) -> list[str]:
        return [str(self.s.nhi_risk), "ingest", "--quiet", str(source), "--db", str(db)]

    def _fresh(self, name: str) -> Path:
        """A database path in the run folder, with any earlier file of that name removed."""
        db = self.runs / name
        for path in _db_files(db):
            path.unlink(missing_ok=True)
        return db

    def _measure(self, name: str, command: list[str]) -> Measured:
        """Run ``command`` under a fresh measuring parent; fail if it failed."""
        out = self.runs / f"{name}.json"
        logfile = self.runs / f"{name}.log"
        log.info("%s: %s", name, shlex.join(command))
        measure = [sys.executable, "-m", "benchmarks.measure", "--out", str(out)]
        out.unlink(missing_ok=True)
        subprocess.run([*measure, "--log", str(logfile), "--", *command], cwd=ROOT, check=False)
        if not out.is_file():
            raise BenchError(f"step {name} could not be measured (see the error above)")
        result = json.loads(out.read_text())
        if result["returncode"] != 0:
            tail = logfile.read_text(errors="replace")[-2000:]
            raise BenchError(
                f"step {name} exited with {result['returncode']}; its output ends:\n{tail}"
            )
        log.info("%s: %.1f s, peak %s", name, result["seconds"], bytes_text(result["peak_bytes"]))
        return Measured(result["seconds"], result["peak_bytes"], logfile)


def check_ingest(db: Path, events: int, files: int) -> None:
    """Fail unless the warehouse accounts for every record and holds exactly ``events``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        (loaded_files, read, loaded, rejected, duplicate) = con.execute(
            "select count(*), sum(records_read), sum(records_loaded), sum(records_rejected), "
            "sum(records_duplicate) from ingest_files where status = 'loaded'"
        ).fetchall()[0]
        stored = con.execute(
            "select count(*) from events where source_kind = 'cloudtrail'"
        ).fetchall()[0][0]
    finally:
        con.close()
    problems = []
    if loaded_files != files:
        problems.append(f"{loaded_files} files loaded, expected {files}")
    if read != loaded + rejected + duplicate:
        problems.append(
            f"records read {read} != loaded {loaded} + rejected {rejected} + duplicate {duplicate}"
        )
    if read != events:
        problems.append(f"records read {read}, expected {events}")
    if stored != events:
        problems.append(f"events table holds {stored} rows, expected {events}")
    if problems:
        raise BenchError(f"ingest into {db} is wrong: " + "; ".join(problems))


def _count_events(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()


def _db_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".key")]


def _warm(folder: Path) -> None:
    """Read every file under ``folder`` once, so that each step finds it in the page cache."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                while handle.read(1 << 24):
                    pass


def _sizes_from_env() -> list[int]:
    return [int(word) for word in os.environ.get("BENCH_EVENTS", DEFAULT_EVENTS).split()]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the results file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--events",
        type=int,
        nargs="+",
        default=None,
        help=f"trail sizes (default $BENCH_EVENTS or {DEFAULT_EVENTS})",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the trail (default 7)")
    parser.add_argument(
        "--report",
        type=int,
        choices=(0, 1),
        default=None,
        help="1: also time `make report` on the large demo (default $BENCH_REPORT or 1)",
    )
    parser.add_argument(
        "--single-events",
        type=int,
        default=None,
        help="events in the one large Records file (default: the smallest size)",
    )
    parser.add_argument("--work", type=Path, default=WORK, help="folder for data and databases")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    sizes = sorted(args.events or _sizes_from_env())
    if not sizes or sizes[0] < 1:
        parser.error(f"trail sizes must be whole numbers of events above 0, got {sizes}")
    report = args.report if args.report is not None else int(os.environ.get("BENCH_REPORT", "1"))
    nhi_risk = Path(sys.executable).parent / "nhi-risk"
    if not nhi_risk.exists():
        found = shutil.which("nhi-risk")
        if found is None:
            parser.error("nhi-risk is not installed beside this Python: run `make install`")
        nhi_risk = Path(found)
    settings = Settings(
        sizes=sizes,
        seed=args.seed,
        report=bool(report),
        single_events=args.single_events or sizes[0],
        work=args.work.resolve(),
        results=args.results,
        nhi_risk=nhi_risk,
    )
    bench = Bench(settings)
    command = "python -m benchmarks.run " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    try:
        bench.run()
    except BenchError as exc:
        # The steps measured before the failure are still worth keeping, marked as such.
        bench.notes.append(f"**FAILED, run stopped**: {str(exc).splitlines()[0]}")
        settings.results.write_text(
            render(bench.rows, bench.notes, command, settings.seed, settings.work)
        )
        print(f"bench: FAILED: {exc}\n(the steps before it: {settings.results})", file=sys.stderr)
        return 2
    settings.results.write_text(
        render(bench.rows, bench.notes, command, settings.seed, settings.work)
    )
    print(table(bench.rows))
    missed = [f"{row.step} at {row.events:,} events" for row in bench.rows if row.met is False]
    print(
        f"\nwritten to {settings.results}"
        + (f"; targets missed: {'; '.join(missed)}" if missed else "; every target met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
