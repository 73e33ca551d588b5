"""Write the demo data set: source files in their native formats and ``planted.json``.

The order of the steps matters only for what each one reads: the world, its credentials,
its leaks, its privilege drift and the agents' tool calls come first (the agents plan
gives an admin the access key that the activity plan then uses), the activity plan
settles last use, then every file is written and the manifest is counted from what was
written. The hostile strings (:mod:`analytics.demo.hostile`) go into a leak's file path
and a shadow agent's name once those are drawn, before anything is written. Last, every
file is dated: a scan report at its scan, an authorization-details export at its snapshot,
everything else at the end of the period (the snapshot time a reader takes from a file
that states none).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics.demo.activity import plan_activity
from analytics.demo.agents import plan_agents
from analytics.demo.cloudtrail import write_cloudtrail
from analytics.demo.drift import plan_drift, snapshot_times
from analytics.demo.gateway import grant_rows, write_gateway
from analytics.demo.hostile import hostile_section, plant_agent_name, plant_file_path
from analytics.demo.iam import write_authorization_details, write_credential_report
from analytics.demo.inventory import write_inventory
from analytics.demo.keys import attach_credentials
from analytics.demo.leaks import plan_leaks
from analytics.demo.manifest import build_manifest
from analytics.demo.manifest_agents import agent_sections
from analytics.demo.model import SCALES
from analytics.demo.scanners import write_findings
from analytics.demo.world import build_world

logger = logging.getLogger(__name__)

DEFAULT_END = datetime(2026, 11, 30, tzinfo=UTC)


def write_demo(
    out: Path,
    seed: int = 7,
    scale: str = "default",
    end: datetime = DEFAULT_END,
) -> dict[str, Any]:
    """Write a deterministic demo data set under ``out`` and return its manifest.

    Parameters
    ----------
    out
        Folder to write into. Source files go to ``out/sources/`` (CloudTrail, IAM,
        GitHub, gitleaks, TruffleHog, inventory CSV, agent-gateway logs, sandbox policies)
        and the manifest to
        ``out/planted.json``. ``out/sources`` must not exist yet or be empty, so that no
        file of an earlier run can mix in.
    seed
        Seed of every random choice; the same seed, scale and end give byte-identical
        files.
    scale
        ``small`` (about 30 non-human identities, a few thousand events), ``default``
        (about 300 identities, about 50,000 events) or ``large`` (about 2,000 identities,
        about a million events).
    end
        The as-of instant, timezone-aware. CloudTrail covers the 180 days before it and
        the credential report and the inventory are taken at it: files are dated at it,
        except the weekly scan reports (dated at their scans) and the authorization
        details, exported 120 and 60 days before it and at it (dated at each export).

    Returns
    -------
    dict
        The manifest also written to ``planted.json``: counts and id lists of what was
        planted, computed from the written files. It holds no secret value.

    Raises
    ------
    ValueError
        For an unknown ``scale`` or a naive ``end``.
    FileExistsError
        When ``out/sources`` already holds files.
    """
    if scale not in SCALES:
        allowed = ", ".join(SCALES)
        raise ValueError(f"unknown demo scale {scale!r}: expected one of {allowed}")
    if end.tzinfo is None:
        raise ValueError(
            f"end must be timezone-aware, got naive {end.isoformat()}; add tzinfo=UTC"
        )
    out = Path(out)
    sources = out / "sources"
    if sources.exists() and any(sources.iterdir()):
        raise FileExistsError(
            f"{sources} already holds files; write the demo into an empty folder or remove it"
        )
    end = end.astimezone(UTC)
    logger.info("building demo world: seed %d, scale %s, end %s", seed, scale, end.isoformat())
    world = build_world(seed, SCALES[scale], end)
    attach_credentials(world)
    leaks = plan_leaks(world)
    plant_file_path(leaks)
    plan_drift(world, leaks)
    agents = plan_agents(world)
    plant_agent_name(agents.agents)
    plan = plan_activity(world, leaks)
    stats = write_cloudtrail(sources / "cloudtrail", world, plan)
    write_credential_report(sources / "iam" / "credential_report.csv", world, plan)
    iam = write_authorization_details(sources / "iam", world, plan, snapshot_times(end))
    rows = write_inventory(sources / "inventory", world, grant_rows(agents))
    findings, reports = write_findings(sources, world, leaks)
    calls, sandboxes = write_gateway(sources, agents, end)
    snapshots = [(at, details) for _, at, details in iam]
    manifest = build_manifest(world, stats, plan, rows, findings, reports, leaks, snapshots)
    manifest |= agent_sections(end, calls, sandboxes, rows, stats.key_users)
    manifest |= hostile_section(calls, findings["gitleaks"])
    dates = {r.path: r.scanned_at for r in reports} | {path: at for path, at, _ in iam}
    _date_files(sources, end, dates)
    (out / "planted.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    logger.info(
        "demo data set written to %s: %d non-human identities, %d CloudTrail events",
        out,
        manifest["nonhuman_identities"]["total"],
        manifest["cloudtrail_events_total"],
    )
    return manifest


def _date_files(sources: Path, end: datetime, taken: dict[Path, datetime]) -> None:
    """Set every file's modification time: its scan or snapshot time, else ``end``."""
    for path in sorted(sources.rglob("*")):
        if path.is_file():
            moment = taken.get(path, end).timestamp()
            os.utime(path, (moment, moment))
