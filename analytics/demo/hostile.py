"""Attacker-controlled strings in log fields that the report pages show.

Values a report reads from logs are chosen by whoever wrote the log line, not by the
organisation: an MCP client reports its own name to the tool gateway, and anyone who can
push a commit chooses its file names, which the secret scanners then report. The demo
plants one HTML payload in each of two such fields; a page that shows them must show them
as text. Were one run, it would set ``window.__nhiPwned`` to the value in ``sets``, which
is how the browser test tells which one ran.

- A shadow agent (:mod:`analytics.demo.agents`) calls itself
  ``<script>window.__nhiPwned="agent-name"</script>``: its gateway lines carry it as
  ``agent_name`` and the page on agent access names it in the shadow-app findings.
- A secret committed in a file named ``<img src=x onerror="window.__nhiPwned='img'">``:
  the gitleaks finding's ``File`` (and so its ``Fingerprint``, the finding id the
  time-to-remediate page lists) carries the path.

Planting changes a name and a path only, drawing nothing at random, so every other entry
of ``planted.json`` stays as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from analytics.demo.leaks import Leak
from analytics.demo.sandboxes import Agent

logger = logging.getLogger(__name__)

SCRIPT_MARKER = "agent-name"
IMG_MARKER = "img"
AGENT_NAME = f'<script>window.__nhiPwned="{SCRIPT_MARKER}"</script>'
FILE_PATH = f"docs/<img src=x onerror=\"window.__nhiPwned='{IMG_MARKER}'\">.md"
AGENT_PAGE = "30_agent_access"
TTR_PAGE = "10_time_to_remediate"


def plant_agent_name(agents: list[Agent]) -> None:
    """Let the first shadow agent (one is always drawn) report the ``<script>`` name."""
    shadow = next(agent for agent in agents if not agent.inventoried)
    shadow.reported_name = AGENT_NAME


def plant_file_path(leaks: list[Leak]) -> None:
    """Move the earliest leak that gitleaks reports and nobody fixes into the ``<img>`` file.

    The earliest such leak is open longest, so it heads the time-to-remediate page's list
    of the oldest open secrets. Without one, the earliest leak gitleaks reports takes the
    path; with no gitleaks finding at all nothing is planted (the manifest then lists no
    file-path entry).
    """
    reported = [leak for leak in leaks if "gitleaks" in leak.sources]
    never_fixed = [leak for leak in reported if leak.outcome == "open" and leak.fixed_at is None]
    chosen = (never_fixed or reported)[:1]
    if not chosen:
        logger.warning("no leak is reported by gitleaks: the <img> file path is not planted")
    for leak in chosen:
        leak.path = FILE_PATH


def hostile_section(
    calls: list[dict[str, Any]], gitleaks: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """``hostile_strings``: each planted value as written, where, and the page that shows it.

    ``calls`` are the gateway lines and ``gitleaks`` the findings of the latest gitleaks
    report, as written. ``subject`` is the agent's ``agent_id`` or the finding's
    ``Fingerprint``; ``records`` counts the lines or findings that carry the value.
    """
    carriers = [
        (
            AGENT_NAME,
            SCRIPT_MARKER,
            "agent-gateway",
            "agent_name",
            AGENT_PAGE,
            [call["agent_id"] for call in calls if call.get("agent_name") == AGENT_NAME],
        ),
        (
            FILE_PATH,
            IMG_MARKER,
            "gitleaks",
            "File",
            TTR_PAGE,
            [f["Fingerprint"] for f in gitleaks if f["File"] == FILE_PATH],
        ),
    ]
    return {
        "hostile_strings": [
            {
                "value": value,
                "sets": sets,
                "source_kind": kind,
                "field": field,
                "subject": subject,
                "records": subjects.count(subject),
                "page": page,
            }
            for value, sets, kind, field, page, subjects in carriers
            for subject in sorted(set(subjects))
        ]
    }
