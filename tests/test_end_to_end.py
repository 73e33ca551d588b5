"""The demo through the whole toolkit: what it plants is what the metrics find, and no
secret value from any input reaches the warehouse, a notebook, a page, metrics or logs.

One run (module scope): ``nhi-risk demo`` at small scale, ``nhi-risk ingest``, ``nhi-risk
metrics --json`` and ``nhi-risk report``, all through the command line.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main
from tests.conftest import stored_values

pytestmark = pytest.mark.slow


def _findings(report: Path) -> list[dict[str, Any]]:
    """The findings of one gitleaks (JSON array) or TruffleHog (JSON lines) report."""
    if report.suffix == ".json":
        return json.loads(report.read_text())
    return [json.loads(line) for line in report.read_text().splitlines()]


def _secrets_in_inputs(sources: Path) -> dict[str, set[str]]:
    """Collect, straight from the demo's files, every value a scanner marks as secret."""
    alerts = json.loads((sources / "github" / "secret_scanning_alerts.json").read_text())
    scanners = sources / "scanners"
    gitleaks = [f for p in sorted(scanners.glob("gitleaks-*.json")) for f in _findings(p)]
    trufflehog = [f for p in sorted(scanners.glob("trufflehog-*.jsonl")) for f in _findings(p)]
    found = {
        "github": {a["secret"] for a in alerts if a.get("secret")},
        "gitleaks": {v for f in gitleaks for v in (f["Secret"], f["Match"])},
        "trufflehog": {v for f in trufflehog for v in (f["Raw"], f.get("RawV2")) if v},
    }
    # AWS access-key ids are identifiers that CloudTrail itself records: not secrets.
    return {
        source: {s for s in values if not (s.startswith(("AKIA", "ASIA")) and len(s) == 20)}
        for source, values in found.items()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("e2e")
    db = root / "warehouse.duckdb"
    log_lines: list[str] = []
    handler = logging.Handler()

    def record_line(record: logging.LogRecord) -> None:
        log_lines.append(record.getMessage())

    handler.emit = record_line  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_DB", str(db))
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "e2e-key-0123456789abcdef")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            codes = [
                main(["demo", "--out", str(root / "demo"), "--scale", "small", "--seed", "11"]),
                main(["ingest", "-v", str(root / "demo" / "sources")]),
            ]
            planted = json.loads((root / "demo" / "planted.json").read_text())
            metrics_out = io.StringIO()
            with contextlib.redirect_stdout(metrics_out):
                codes.append(main(["metrics", "--json", "--as-of", planted["period"]["end"]]))
            codes.append(
                main(
                    ["report", "--out", str(root / "reports"), "--as-of", planted["period"]["end"]]
                )
            )
    logging.getLogger().removeHandler(handler)
    return {
        "root": root,
        "db": db,
        "codes": codes,
        "planted": planted,
        "metrics": json.loads(metrics_out.getvalue()),
        "output": out.getvalue(),
        "logs": log_lines,
    }


def test_every_command_succeeds(run):
    assert run["codes"] == [0, 0, 0, 0]
    index = Path(run["output"].strip().splitlines()[-1].rsplit(": ", 1)[1])
    assert index.name == "index.html" and index.exists()


@pytest.mark.parametrize(
    ("planted_key", "metric"),
    [
        ("nonhuman_identities.total", "inventory.identities_total"),
        ("nonhuman_identities.by_kind.ai_agent", "inventory.ai_agents_total"),
        ("humans.total", "inventory.humans_total"),
        ("humans_left.count", "inventory.humans_left"),
        ("owner_left_with_active_credential.count", "inventory.owner_left_with_active_credential"),
        ("owner_missing.count", "inventory.identities_without_owner"),
        ("credentials_total", "inventory.credentials_total"),
        ("credentials_active", "inventory.credentials_active"),
        ("credentials_never_expire", "inventory.credentials_never_expire"),
        ("credentials_older_than_90d.count", "inventory.credentials_older_than_90d"),
        ("access_keys_older_than_90d.count", "inventory.access_keys_older_than_90d"),
        ("access_keys_older_than_365d.count", "inventory.access_keys_older_than_365d"),
        ("dormant_identities_90d.count", "activity.identities_dormant"),
        ("overprivileged_identities.count", "activity.identities_admin_equivalent"),
        ("cloudtrail_events_total", "activity.events_total"),
        ("cloudtrail_distinct_principals", "activity.principals_active"),
        ("cloudtrail_access_denied", "activity.events_failed"),
        ("secret_findings.by_source.github", "secrets.findings_github"),
        ("secret_findings.by_source.gitleaks", "secrets.findings_gitleaks"),
        ("secret_findings.by_source.trufflehog", "secrets.findings_trufflehog"),
        ("jit_grants", "grants.jit_total"),
        ("jit_grants_never_expire.count", "grants.jit_never_expire"),
        ("standing_grants", "grants.standing_total"),
    ],
)
def test_the_metrics_find_exactly_what_the_demo_planted(run, planted_key, metric):
    value: Any = run["planted"]
    for part in planted_key.split("."):
        value = value[part]

    assert run["metrics"][metric] == value


def test_the_events_span_the_planted_period_and_nothing_is_rejected(run):
    planted, metrics = run["planted"], run["metrics"]

    assert metrics["activity.events_first"] == planted["cloudtrail_first_event_time"].replace(
        "Z", "+00:00"
    )
    assert metrics["activity.events_last"] == planted["cloudtrail_last_event_time"].replace(
        "Z", "+00:00"
    )
    assert (metrics["ingest.records_rejected"], metrics["ingest.files_failed"]) == (0, 0)
    # Weekly scan reports repeat every earlier finding: each repeat is a duplicate, and only
    # a repeat is one. A report identical to an earlier one (a week without new findings) is
    # skipped whole as already loaded, and the warehouse counts each content once.
    scanners = run["root"] / "demo" / "sources" / "scanners"
    sizes = {}
    for source in ("gitleaks", "trufflehog"):
        contents = {p.read_bytes(): p for p in sorted(scanners.glob(f"{source}-*"), reverse=True)}
        sizes[source] = sorted(len(_findings(p)) for p in contents.values())
    repeats = sum(sum(counts) - counts[-1] for counts in sizes.values())
    assert repeats > 0
    assert metrics["ingest.records_duplicate"] == repeats
    assert metrics["ingest.records_read"] == metrics["ingest.records_loaded"] + repeats


def test_no_secret_value_reaches_anything_the_run_writes(run):
    by_source = _secrets_in_inputs(run["root"] / "demo" / "sources")
    assert all(by_source.values()), "the demo plants secrets in every scanner's output"
    secrets = set().union(*by_source.values())

    written: list[str] = stored_values(run["db"])
    for path in (run["root"] / "reports").rglob("*"):
        if path.is_file():
            written.append(path.read_text(errors="replace"))
    written += [run["output"], json.dumps(run["metrics"]), *run["logs"]]
    leaked = sorted(
        {f"{s[:4]}… ({len(s)} chars)" for s in secrets if any(s in text for text in written)}
    )

    assert leaked == []


def test_demo_snapshots_and_scan_reports_carry_their_time_and_other_files_the_end(run):
    sources = run["root"] / "demo" / "sources"
    trail = sorted((sources / "cloudtrail").rglob("*.json.gz"))[0]
    assert json.loads(gzip.decompress(trail.read_bytes()))["Records"]
    end = datetime.fromisoformat(run["planted"]["period"]["end"].replace("Z", "+00:00"))
    reports = sorted((sources / "scanners").glob("*-*.json*"))
    snapshots = sorted((sources / "iam").glob("authorization_details-*.json"))
    others = {p for p in sources.rglob("*") if p.is_file()} - set(reports) - set(snapshots)
    # A report is named by its scan day; the scans run weekly at 02:00 UTC.
    scans = [
        datetime.strptime(p.stem.split("-")[1], "%Y%m%d").replace(hour=2, tzinfo=UTC)
        for p in reports
    ]

    assert reports and others
    assert [p.stat().st_mtime for p in reports] == [t.timestamp() for t in scans]
    assert all(t < end for t in scans)
    assert {p.stat().st_mtime for p in others} == {end.timestamp()}
    # Each authorization-details snapshot is named by its day and dated to its time.
    taken = [
        datetime.fromisoformat(t.replace("Z", "+00:00"))
        for t in run["planted"]["privilege_snapshots"]
    ]
    assert [p.stem.split("-")[1] for p in snapshots] == [f"{t:%Y%m%d}" for t in taken]
    assert [p.stat().st_mtime for p in snapshots] == [t.timestamp() for t in taken]
