"""``nhi-risk``: the command line, a thin face over demo, ingest, metrics, report and aggregate."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from analytics import __version__
from analytics.errors import NhiRiskError

log = logging.getLogger("analytics")

SCALES = ("small", "default", "large")
# As analytics.aggregate names them; repeated so that the parser does not import Ibis.
AGGREGATE_ENGINES = ("duckdb", "spark")
AGGREGATE_FORMATS = ("cloudtrail", "events", "usage")


def parse_as_of(value: str) -> datetime:
    """``--as-of``: see :func:`analytics.metrics.parse_as_of`."""
    from analytics.metrics import parse_as_of as parse

    try:
        return parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="nhi-risk",
        description="Risk analytics for non-human identities: ingest audit logs, credential "
        "inventories and secret-leak findings into DuckDB, then report.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log each step (-v) or also the SQL (-vv)",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only errors and the final line (for schedulers)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", parents=[common], help="write the demo data set in the native source formats"
    )
    demo.add_argument("--out", default="data/demo", help="folder to write (default data/demo)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--scale", choices=SCALES, default="default", help="size of the world")

    db_help = "warehouse file (default $NHI_RISK_DB or data/warehouse.duckdb)"
    ingest = sub.add_parser(
        "ingest", parents=[common], help="load source files into the warehouse"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    ingest.add_argument("--kind", help="force the source kind instead of detecting it")
    ingest.add_argument("--db", help=db_help)
    ingest.add_argument(
        "--as-of",
        type=parse_as_of,
        help="snapshot time for files that state none (default: file mtime)",
    )

    metrics = sub.add_parser("metrics", parents=[common], help="print the headline metrics")
    metrics.add_argument("--db", help=db_help)
    metrics.add_argument("--as-of", type=parse_as_of, help="default: the newest time in the data")
    metrics.add_argument("--json", action="store_true", help="one flat JSON object")

    findings = sub.add_parser(
        "findings", parents=[common], help="list the findings of the checks, with evidence"
    )
    findings.add_argument("--db", help=db_help)
    findings.add_argument("--as-of", type=parse_as_of, help="default: the newest time in the data")
    findings.add_argument(
        "--check",
        action="extend",
        nargs="+",
        metavar="ID",
        help="only these checks (default: all); --list-checks names them",
    )
    findings.add_argument(
        "--status",
        action="extend",
        nargs="+",
        choices=("fail", "pass", "unknown"),
        help="which results to list (default: fail)",
    )
    findings.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    shape = findings.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="a JSON array of finding objects")
    shape.add_argument("--csv", action="store_true", help="CSV with a header row")

    controls = sub.add_parser(
        "controls",
        parents=[common],
        help="the status of every framework control, from the checks mapped to it",
    )
    controls.add_argument("--db", help=db_help)
    controls.add_argument("--as-of", type=parse_as_of, help="default: the newest time in the data")
    controls.add_argument(
        "--framework", action="extend", nargs="+", metavar="NAME", help="only these frameworks"
    )
    controls.add_argument(
        "--control",
        action="extend",
        nargs="+",
        metavar="ID",
        help="only these controls; older ids (CSF 1.1 PR.AC-4) resolve to their successor",
    )
    out_shape = controls.add_mutually_exclusive_group()
    out_shape.add_argument("--json", action="store_true", help="a JSON array of controls")
    out_shape.add_argument("--csv", action="store_true", help="CSV with a header row")

    aggregate = sub.add_parser(
        "aggregate",
        parents=[common],
        help="count audit-log usage per identity, action and day, on DuckDB or Apache Spark",
        description="Count audit-log usage per UTC day, identity, key, action and outcome "
        "where the logs are (DuckDB here, or Apache Spark), and load it into the warehouse, "
        "where the privilege checks read it. See docs/scale.md.",
    )
    aggregate.add_argument(
        "--engine", choices=AGGREGATE_ENGINES, default="duckdb", help="default duckdb"
    )
    aggregate.add_argument(
        "--source",
        help="the logs: a file, folder, glob or URI (s3a://bucket/AWSLogs/...); without it, "
        "the warehouse's own usage is rebuilt from its events",
    )
    aggregate.add_argument(
        "--format",
        choices=AGGREGATE_FORMATS,
        help="cloudtrail (raw CloudTrail), events (rows shaped as the events table) or usage "
        "(a file written by --out); default: detected from the first record",
    )
    aggregate.add_argument("--db", help=db_help)
    aggregate.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark (default: spark-submit's, else local[*])",
    )
    aggregate.add_argument(
        "--out",
        metavar="FILE.parquet",
        help="write the usage rows to this Parquet file instead of the warehouse (add --db "
        "to do both), e.g. from a cluster job that cannot reach the warehouse",
    )

    report = sub.add_parser(
        "report", parents=[common], help="run the notebooks and render the HTML report"
    )
    report.add_argument("--db", help=db_help)
    report.add_argument("--out", default="reports", help="folder for run folders (reports)")
    report.add_argument("--as-of", type=parse_as_of, help="default: the newest time in the data")
    report.add_argument(
        "--notebook",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="run only these notebooks, e.g. 00_data_overview (with or without the number)",
    )
    report.add_argument(
        "--run-id",
        help="name of the run folder (default: the start time, e.g. 20261204T083134Z)",
    )
    report.add_argument(
        "--notebook-dir",
        type=Path,
        default=None,
        help="run the NN_<topic>.ipynb notebooks of this folder (default: the toolkit's own)",
    )
    report.add_argument(
        "--ingest",
        nargs="+",
        metavar="PATH",
        help="first ingest these files, folders or globs (files loaded before are skipped): "
        "one command for a scheduler",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    levels = {0: logging.WARNING, 1: logging.INFO}
    level = logging.ERROR if args.quiet else levels.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not args.quiet and not args.verbose:
        # Progress of a report run (notebook n of m) is shown by default.
        logging.getLogger("analytics.report").setLevel(logging.INFO)
    try:
        return COMMANDS[args.command](args)
    except (NhiRiskError, FileExistsError, PermissionError) as exc:
        print(f"nhi-risk {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (`| head`) stopped early: not an error of ours. (Before OSError, of
        # which it is one.)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A disk that fills or a folder that vanishes while pages are written: say what
        # and where, not a traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"nhi-risk {args.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "nhi-risk: interrupted; the warehouse keeps its last complete state", file=sys.stderr
        )
        return 130


def _demo(args: argparse.Namespace) -> int:
    from analytics.demo import write_demo

    out = Path(args.out)
    if (out / "planted.json").is_file() and (out / "sources").is_dir():
        # A demo written earlier by this command: replace it rather than mix two worlds.
        shutil.rmtree(out / "sources")
    write_demo(out, seed=args.seed, scale=args.scale)
    if not args.quiet:
        print(
            f"wrote the demo ({args.scale}, seed {args.seed}) to {out / 'sources'}; "
            f"what it plants: {out / 'planted.json'}"
        )
    return 0


def _ingest(args: argparse.Namespace) -> int:
    return _load(args.paths, args.db, args.kind, args.as_of, args.quiet)


def _load(
    paths: list[str],
    db: str | None,
    kind: str | None,
    as_of: datetime | None,
    quiet: bool,
    total: bool = True,
) -> int:
    """Ingest ``paths``, printing a line per file (unless ``quiet``) and, if ``total``, a
    line of totals; 1 when a file failed as a whole."""
    from analytics.ingest import FileResult, ingest_paths

    header = f"{'kind':<26} {'read':>8} {'loaded':>8} {'rejected':>8} {'duplicate':>9}  file"
    if not quiet:
        print(header)

    def show(result: FileResult) -> None:
        if result.failed:
            print(f"FAILED {result.error}", file=sys.stderr)
            return
        if quiet:
            return
        notes = {"already_loaded": "  (already loaded)", "passed_over": f"  ({result.error})"}
        note = notes.get(result.status, "")
        print(
            f"{result.kind or '?':<26} {result.read:>8,} {result.loaded:>8,} "
            f"{result.rejected:>8,} {result.duplicate:>9,}  {result.path}{note}"
        )

    results = ingest_paths(paths, db=db, kind=kind, as_of=as_of, on_file=show)
    failed = sum(r.failed for r in results)
    totals = [
        sum(getattr(r, name) for r in results)
        for name in ("read", "loaded", "rejected", "duplicate")
    ]
    if total or not quiet:
        print(
            f"{len(results)} files, {failed} failed; records read {totals[0]:,}, loaded "
            f"{totals[1]:,}, rejected {totals[2]:,}, duplicate {totals[3]:,}"
        )
    if totals[2] and not quiet:
        print("rejected records and their reasons: table rejected_records", file=sys.stderr)
    return 1 if failed else 0


def _metrics(args: argparse.Namespace) -> int:
    from analytics.metrics import CATALOGUE, headline
    from analytics.warehouse import connect

    con = connect(args.db, read_only=True)
    try:
        values = headline(con, args.as_of)
    finally:
        con.close()
    if args.json:
        print(json.dumps(values, indent=2, default=str))
        return 0
    print(f"as of {values['as_of']}")
    for metric in CATALOGUE:
        value = values.get(metric.name)
        shown = _shown(value)
        print(
            f"{metric.name:<46} {shown:>26}  {metric.title} ({metric.population}; {metric.source})"
        )
    return 0


def _shown(value: object) -> str:
    """A metric as a person reads it: thousands separated, estimates not reached said so."""
    if value is None:
        return "not reached / no data"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def _findings(args: argparse.Namespace) -> int:
    from analytics.metrics import resolve_as_of
    from analytics.metrics.registry import ALL_CHECKS, run_checks
    from analytics.warehouse import connect

    if args.list_checks:
        for check in ALL_CHECKS:
            print(f"{check.check_id:<40} {check.title}")
        return 0
    con = connect(args.db, read_only=True)
    try:
        as_of = resolve_as_of(con, args.as_of)
        frame = run_checks(con, as_of, args.check, args.status or ("fail",))
    finally:
        con.close()
    if args.json:
        print(json.dumps(frame.to_dict(orient="records"), indent=2, default=str))
    elif args.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        print(f"as of {as_of.isoformat()}: {len(frame):,} findings")
        for row in frame.itertuples(index=False):
            print(f"{row.status:<7} {row.severity:<8} {row.check_id:<38} {row.reason}")
            if row.evidence:
                print(f"{'':<16}evidence: {row.evidence}")
    return 0


def _controls(args: argparse.Namespace) -> int:
    from analytics import frameworks
    from analytics.errors import UsageError
    from analytics.metrics import resolve_as_of
    from analytics.metrics.registry import run_all
    from analytics.warehouse import connect

    catalogue = frameworks.load()
    wanted = set()
    for control_id in args.control or ():
        try:
            wanted.add(catalogue.resolve(control_id).control_id)
        except KeyError as exc:
            raise UsageError(f"{exc.args[0]}: see `nhi-risk controls` for the ids") from exc
    unknown = sorted(set(args.framework or ()) - set(frameworks.FRAMEWORKS))
    if unknown:
        raise UsageError(
            f"unknown framework {', '.join(unknown)}: choose from "
            f"{', '.join(frameworks.FRAMEWORKS)}"
        )
    con = connect(args.db, read_only=True)
    try:
        as_of = resolve_as_of(con, args.as_of)
        table = frameworks.coverage(run_all(con, as_of), catalogue)
    finally:
        con.close()
    if args.framework:
        table = table[table["framework"].isin(args.framework)]
    if wanted:
        table = table[table["control_id"].isin(wanted)]
    table = table.assign(as_of=as_of.isoformat())
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2))
    elif args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        print(f"as of {as_of.isoformat()}: {len(table):,} controls")
        for row in table.itertuples(index=False):
            print(
                f"{row.framework:<20} {row.control_id:<12} {row.status:<12} "
                f"fail {row.failing_subjects:>6,}  judged {row.judged:>7,}  {row.title}"
            )
    return 0


def _report(args: argparse.Namespace) -> int:
    from analytics.config import NOTEBOOK_DIR
    from analytics.errors import WarehouseLockedError
    from analytics.report import run_report

    ingest_failed = False
    if args.ingest:
        try:
            ingest_failed = _load(args.ingest, args.db, None, None, args.quiet, total=False) != 0
        except WarehouseLockedError as exc:
            # A notebook left open on the warehouse blocks the nightly ingest, not the
            # report: render what is loaded, and exit 1 so that the scheduler notices.
            print(f"nhi-risk report: new files not ingested: {exc}", file=sys.stderr)
            ingest_failed = True
    result = run_report(
        args.db,
        Path(args.out),
        as_of=args.as_of,
        notebooks=args.notebook,
        quiet=args.quiet,
        notebook_dir=args.notebook_dir or NOTEBOOK_DIR,
        run_id=args.run_id,
    )
    rendered = len(result.pages) - len(result.failed)
    failed = "".join(f"; FAILED {page.notebook}" for page in result.failed)
    print(
        f"report {result.run_id}: {rendered} of {len(result.pages)} pages rendered in "
        f"{result.seconds:.0f} s, as of {result.as_of:%Y-%m-%d %H:%M} UTC{failed}"
        + ("; new input not (all) ingested" if ingest_failed else "")
        + f": {result.index}"
    )
    return 0 if result.ok and not ingest_failed else 1


def _aggregate(args: argparse.Namespace) -> int:
    from analytics.aggregate import aggregate, load_usage, write_usage
    from analytics.config import resolve_db
    from analytics.errors import UsageError

    if args.source is None:
        if args.engine != "duckdb" or args.format or args.out or args.spark_master:
            raise UsageError(
                "--engine spark, --format, --out and --spark-master need --source, the logs "
                "to aggregate; without --source the warehouse's own usage is rebuilt"
            )
        return _rebuild_usage(args.db)
    if args.spark_master and args.engine != "spark":
        raise UsageError("--spark-master is for --engine spark")
    result = aggregate(
        args.source,
        engine=args.engine,
        fmt=args.format,
        spark_master=args.spark_master,
        progress=not args.quiet,
    )
    how = "detected from the data" if result.detected else "as given"
    skipped = f", {result.skipped:,} records skipped" if result.skipped else ""
    first, last = result.days
    if not args.quiet:
        print(
            f"{result.engine} counted {result.events:,} events ({result.format}, {how}"
            f"{skipped}) into {result.rows.num_rows:,} usage rows, {first} to {last}"
        )
    done = []
    if args.out:
        write_usage(result, args.out)
        done.append(f"wrote {args.out}")
    if args.db or not args.out:
        loaded = load_usage(result, args.db)
        done.append(
            f"loaded {loaded.rows:,} usage rows into {resolve_db(args.db)} as origin "
            f"{loaded.origin} (replacing {loaded.replaced:,})"
        )
        if loaded.overlapping:
            print(
                f"warning: {loaded.overlapping:,} account-days of this usage also have usage "
                f"of {', '.join(loaded.others)}: if those are the same logs they count twice; "
                f"see docs/scale.md",
                file=sys.stderr,
            )
    print("; ".join(done))
    return 0


def _rebuild_usage(db: str | None) -> int:
    """Recompute the warehouse's own usage rows from its events (a warehouse made before
    usage_daily existed has events and no usage)."""
    from analytics.aggregate import recompute_usage
    from analytics.config import resolve_db
    from analytics.warehouse import connect, first_row

    con = connect(db, read_only=False)
    try:
        recompute_usage(con)
        rows, events = first_row(
            con,
            "select count(*), coalesce(sum(calls), 0) from usage_daily where origin = 'warehouse'",
        ) or (0, 0)
    finally:
        con.close()
    print(
        f"rebuilt the warehouse's own usage in {resolve_db(db)}: {rows:,} usage rows "
        f"from {events:,} events"
    )
    return 0


COMMANDS = {
    "demo": _demo,
    "ingest": _ingest,
    "metrics": _metrics,
    "findings": _findings,
    "controls": _controls,
    "report": _report,
    "aggregate": _aggregate,
}

if __name__ == "__main__":
    raise SystemExit(main())
