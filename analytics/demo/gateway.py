"""The agent files: weekly tool-gateway logs, sandbox policies, and the gateway's JIT grants.

Formats follow ``docs/agent-gateway.md`` (one JSON object a line, ``grant_id`` left out
when the gateway used a standing credential) and ``docs/sandbox-policy.md`` (one YAML file
per sandbox). A log file holds the calls of seven days, counted back from the end; the
date in its name is the first of them. Grants go to ``grants.csv`` with the broker's.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from analytics.demo import fake
from analytics.demo.agents import AgentPlan
from analytics.demo.inventory import Row

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)


def call_lines(plan: AgentPlan) -> list[dict[str, Any]]:
    """Every tool call as its log object, sorted by time and call id."""
    lines = []
    for task in plan.tasks:
        agent = task.agent
        for call in task.calls:
            line = {
                "time": fake.iso_z(call.moment),
                "call_id": call.call_id,
                "agent_id": agent.agent_id,
                "agent_name": agent.reported_name or agent.name,
                "task_id": task.task_id,
                "session_id": task.session_id,
                "tool": call.tool,
                "target_host": call.host,
                "credential_id": call.credential_id,
                "grant_id": call.grant.grant_id if call.grant is not None else "",
                "decision": call.decision,
                "sandbox_id": agent.sandbox_id,
                "on_behalf_of": task.on_behalf_of,
            }
            lines.append({k: v for k, v in line.items() if v})
    return sorted(lines, key=lambda line: (line["time"], line["call_id"]))


def grant_rows(plan: AgentPlan) -> list[Row]:
    """The gateway broker's just-in-time grants, as ``grants.csv`` rows."""
    rows = []
    for task in plan.tasks:
        grant = task.grant
        if grant is None:
            continue
        rows.append(
            {
                "grant_id": grant.grant_id,
                "identity_id": grant.agent.agent_id,
                "permission": grant.permission,
                "resource": grant.agent.account,
                "grant_type": "jit",
                "granted_at": fake.iso_z(grant.granted_at),
                "expires_at": fake.iso_z(grant.expires_at) if grant.expires_at else "",
                "revoked_at": fake.iso_z(grant.revoked_at) if grant.revoked_at else "",
                "task_id": grant.task_id,
                "granted_by": "agent-gateway",
            }
        )
    return sorted(rows, key=lambda row: row["grant_id"])


def write_gateway(
    sources: Path, plan: AgentPlan, end: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Write the weekly logs under ``gateway/`` and the policies under ``sandboxes/``.

    Returns the call objects and the policy documents as written.
    """
    lines = call_lines(plan)
    weeks: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        back = (end - datetime.fromisoformat(line["time"])) // WEEK
        weeks.setdefault(back, []).append(line)
    folder = sources / "gateway"
    folder.mkdir(parents=True, exist_ok=True)
    for back, week in sorted(weeks.items()):
        day = (end - (back + 1) * WEEK).strftime("%Y%m%d")
        text = "".join(json.dumps(line) + "\n" for line in week)
        (folder / f"agent-gateway-{day}.jsonl").write_text(text, encoding="utf-8")
    logger.info("wrote %d tool calls in %d weekly files to %s", len(lines), len(weeks), folder)
    documents = [sandbox.document() for sandbox in plan.sandboxes]
    folder = sources / "sandboxes"
    folder.mkdir(parents=True, exist_ok=True)
    for document in documents:
        text = yaml.safe_dump(document, sort_keys=False, default_flow_style=None)
        (folder / f"{document['sandbox_id']}.yaml").write_text(text, encoding="utf-8")
    logger.info("wrote %d sandbox policies to %s", len(documents), folder)
    return lines, documents
