"""Hostile strings: HTML payloads in log fields, found again in the files the manifest names.

The manifest's ``hostile_strings`` is checked against the gateway logs, the gitleaks
reports and the inventory as written; the pages that show these values are checked in a
browser by ``tests/test_browser.py``.
"""

from __future__ import annotations

import re
from collections import Counter

from tests.demo import files

SCRIPT = re.compile(r"<script>(.+)</script>")
IMG = re.compile(r"<img src=x onerror=\"(.+)\">")


def _entries(manifest, source_kind: str) -> list[dict[str, object]]:
    return [e for e in manifest["hostile_strings"] if e["source_kind"] == source_kind]


def test_a_script_and_an_img_payload_are_planted_each_naming_what_it_would_set(demo) -> None:
    _, manifest = demo

    (named,) = _entries(manifest, "agent-gateway")
    (filed,) = _entries(manifest, "gitleaks")

    assert (named["field"], named["page"]) == ("agent_name", "30_agent_access")
    assert (filed["field"], filed["page"]) == ("File", "10_time_to_remediate")
    script, img = SCRIPT.search(named["value"]), IMG.search(filed["value"])
    assert script and img
    assert script.group(1) == f'window.__nhiPwned="{named["sets"]}"'
    assert img.group(1) == f"window.__nhiPwned='{filed['sets']}'"
    assert named["sets"] != filed["sets"], "the browser test tells which payload ran"


def test_the_script_name_is_what_a_shadow_agent_reports_in_every_call(demo) -> None:
    out, manifest = demo
    (entry,) = _entries(manifest, "agent-gateway")
    calls = files.gateway_calls(out)
    _, identities = files.inventory(out, "identities")

    carrying = Counter(c["agent_id"] for c in calls if c.get("agent_name") == entry["value"])
    own = [c for c in calls if c["agent_id"] == entry["subject"]]

    assert carrying == {entry["subject"]: entry["records"]}
    assert len(own) == entry["records"], "the agent reports the name in all its calls"
    assert entry["subject"] not in {r["identity_id"] for r in identities}, "a shadow agent"
    assert all("<" not in c.get("sandbox_id", "") for c in own), "its sandbox keeps its id"
    assert all("<" not in doc["sandbox_id"] for doc in files.sandboxes(out).values())


def test_the_img_path_is_the_file_of_one_gitleaks_finding_in_every_report_since(demo) -> None:
    out, manifest = demo
    (entry,) = _entries(manifest, "gitleaks")
    reports = files.scan_reports(out, "gitleaks")

    latest = [f for f in reports[-1][1] if f["File"] == entry["value"]]
    first = next(n for n, (_, found) in enumerate(reports) if any(f in found for f in latest))

    assert [f["Fingerprint"] for f in latest] == [entry["subject"]]
    assert entry["records"] == 1
    assert entry["value"] in entry["subject"], "the finding id gitleaks gives names the file"
    assert all(latest[0] in found for _, found in reports[first:]), "a leak stays in the history"
