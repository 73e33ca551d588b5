"""Readers of the demo's files for the demo tests: only what is on disk, no writer code."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

END = datetime(2026, 11, 30, tzinfo=UTC)
SCANNERS = {"gitleaks": "json", "trufflehog": "jsonl"}


def parse_time(text: str) -> datetime:
    """A ``...Z`` or ``+00:00`` ISO time."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def mtime(path: Path) -> datetime:
    """A file's modification time, in UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def trail_files(out: Path) -> list[Path]:
    """The CloudTrail delivery files, sorted by path."""
    return sorted((out / "sources" / "cloudtrail").rglob("*.json.gz"))


def records(out: Path) -> list[dict[str, Any]]:
    """Every CloudTrail record of every delivery file."""
    return [
        r for f in trail_files(out) for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]
    ]


def inventory(out: Path, stem: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of an inventory CSV."""
    with (out / "sources" / "inventory" / f"{stem}.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def alerts(out: Path) -> list[dict[str, Any]]:
    """The GitHub secret-scanning alerts."""
    return json.loads((out / "sources" / "github" / "secret_scanning_alerts.json").read_text())


def scan_reports(out: Path, source: str) -> list[tuple[Path, list[dict[str, Any]]]]:
    """A scanner's report files, oldest first, with their findings."""
    paths = sorted((out / "sources" / "scanners").glob(f"{source}-*.{SCANNERS[source]}"))
    if source == "gitleaks":
        return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in paths]
    return [
        (p, [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()])
        for p in paths
    ]


def committed(finding: dict[str, Any]) -> datetime:
    """The commit time a gitleaks or TruffleHog finding states."""
    if "Date" in finding:
        return parse_time(finding["Date"])
    stamp = finding["SourceMetadata"]["Data"]["Git"]["timestamp"]
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")


def findings(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Every finding once by source: the alerts, and each scanner's latest (fullest) report."""
    found = {"github": alerts(out)}
    for source in SCANNERS:
        reports = scan_reports(out, source)
        found[source] = reports[-1][1] if reports else []
    return found


def authorization_details(out: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The authorization-details snapshots, oldest first (by modification time)."""
    paths = sorted((out / "sources" / "iam").glob("authorization_details-*.json"), key=mtime)
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in paths]


def gateway_calls(out: Path) -> list[dict[str, Any]]:
    """Every tool call of every weekly gateway log, in file order."""
    paths = sorted((out / "sources" / "gateway").glob("agent-gateway-*.jsonl"))
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def sandboxes(out: Path) -> dict[Path, dict[str, Any]]:
    """The sandbox policy documents, by file."""
    paths = sorted((out / "sources" / "sandboxes").glob("*.yaml"))
    return {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths}
