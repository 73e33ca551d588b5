"""AI agents, their grants and sandboxes: the manifest's agent keys, redone from the files.

Calls come from the weekly gateway logs, policies from the sandbox YAML files, grants,
credentials and identities from the inventory CSV files, and key owners from CloudTrail;
nothing of the writer.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from itertools import pairwise
from pathlib import Path
from typing import Any

from tests.demo import files
from tests.demo.files import END

HOUR = timedelta(hours=1)
REVIEWS = [END - timedelta(days=d) for d in (180, 90, 0)]
REQUIRED = {"time", "call_id", "agent_id", "tool", "decision", "task_id", "credential_id"}
FILE_NAME = re.compile(r"agent-gateway-(\d{8})\.jsonl")


def _time(text: str) -> datetime | None:
    return files.parse_time(text) if text else None


def _end(row: dict[str, str]) -> datetime | None:
    ends = [t for t in (_time(row["expires_at"]), _time(row["revoked_at"])) if t]
    return min(ends) if ends else None


def _ids(values: list[str] | set[str]) -> dict[str, Any]:
    return {"count": len(set(values)), "ids": sorted(set(values))}


def _jit(out: Path) -> dict[str, dict[str, str]]:
    _, grants = files.inventory(out, "grants")
    return {g["grant_id"]: g for g in grants if g["grant_type"] == "jit"}


def _covered(call: dict[str, Any], jit: dict[str, dict[str, str]]) -> bool:
    grant = jit.get(call.get("grant_id", ""))
    if grant is None:
        return False
    moment, granted, end = files.parse_time(call["time"]), _time(grant["granted_at"]), _end(grant)
    return (
        grant["identity_id"] == call["agent_id"]
        and grant["task_id"] == call.get("task_id")
        and (granted is None or granted <= moment)
        and (end is None or moment < end)
    )


def _last_calls(calls: list[dict[str, Any]]) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for call in calls:
        moment = files.parse_time(call["time"])
        last[call["task_id"]] = max(last.get(call["task_id"], moment), moment)
    return last


def _by_id(out: Path) -> dict[str, dict[str, Any]]:
    return {doc["sandbox_id"]: doc for doc in files.sandboxes(out).values()}


def _allowed(host: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(host.lower(), p.lower()) for p in patterns)


def test_gateway_logs_are_weekly_sorted_json_lines_in_the_window(demo) -> None:
    out, manifest = demo
    paths = sorted((out / "sources" / "gateway").iterdir())
    calls = files.gateway_calls(out)
    for path in paths:
        day = datetime.strptime(FILE_NAME.fullmatch(path.name)[1], "%Y%m%d").replace(tzinfo=UTC)
        assert files.mtime(path) == END and (END - day).days % 7 == 0
        lines = [c for c in calls if day <= files.parse_time(c["time"]) < day + timedelta(days=7)]
        assert len(path.read_text().splitlines()) == len(lines) > 0
    times = [files.parse_time(c["time"]) for c in calls]
    assert times == sorted(times)
    assert END - timedelta(days=89) < times[0] and times[-1] < END - timedelta(days=1)
    assert len({c["call_id"] for c in calls}) == len(calls) == manifest["agent_calls"]
    for call in calls:
        assert REQUIRED <= set(call), call["call_id"]
        assert call["decision"] in ("allowed", "denied") and call["target_host"]
    assert {c["decision"] for c in calls} == {"allowed", "denied"}


def test_agents_total_counts_inventoried_agents_and_unlisted_callers(demo) -> None:
    out, manifest = demo
    _, identities = files.inventory(out, "identities")
    agents = {r["identity_id"] for r in identities if r["kind"] == "ai_agent"}
    callers = {c["agent_id"] for c in files.gateway_calls(out)}
    listed = {r["identity_id"] for r in identities}
    assert manifest["agents_total"] == len(agents | (callers - listed))
    assert callers & agents and callers - listed, "inventoried and shadow agents call tools"


def test_every_calling_agent_has_a_sandbox_that_lists_it(demo) -> None:
    out, _ = demo
    policies = files.sandboxes(out)
    by_id = _by_id(out)
    assert all(files.mtime(p) == END and p.stem == d["sandbox_id"] for p, d in policies.items())
    for call in files.gateway_calls(out):
        assert call["agent_id"] in by_id[call["sandbox_id"]]["agents"]
    agents = {c["agent_id"] for c in files.gateway_calls(out)}
    assert len(by_id) == len(agents)


def test_calls_without_a_valid_jit_grant_are_recomputed_from_the_log_and_grants(demo) -> None:
    out, manifest = demo
    calls, jit = files.gateway_calls(out), _jit(out)
    uncovered = [c["call_id"] for c in calls if not _covered(c, jit)]
    assert manifest["agent_calls_without_jit_grant"] == _ids(uncovered)
    assert manifest["agent_jit_coverage"] == round(1 - len(uncovered) / len(calls), 4)
    assert 0.5 < manifest["agent_jit_coverage"] < 0.95, "most calls, not all"
    named = [c for c in calls if c["call_id"] in uncovered and c.get("grant_id") in jit]
    assert [c for c in calls if "grant_id" not in c], "calls on a standing credential"
    ended = {
        "revoked" if _end(grant) == _time(grant["revoked_at"]) else "expired"
        for c in named
        if (grant := jit[c["grant_id"]])["task_id"] == c["task_id"]
        and (end := _end(grant)) is not None
        and end <= files.parse_time(c["time"])
    }
    assert ended == {"revoked", "expired"}, "calls under a grant that had ended"
    assert [c for c in named if jit[c["grant_id"]]["task_id"] != c["task_id"]], "another task"
    assert all(jit[c["grant_id"]]["identity_id"] == c["agent_id"] for c in named)


def test_gateway_grants_are_issued_just_before_their_tasks_first_call(demo) -> None:
    out, _ = demo
    calls = files.gateway_calls(out)
    first: dict[str, datetime] = {}
    for call in calls:
        first.setdefault(call["task_id"], files.parse_time(call["time"]))
    granted = [g for g in _jit(out).values() if g["task_id"] in first]
    assert granted
    for grant in granted:
        lead = first[grant["task_id"]] - files.parse_time(grant["granted_at"])
        assert timedelta(0) < lead <= timedelta(minutes=10), grant["grant_id"]


def test_grants_outliving_their_task_and_standing_hours_are_recomputed(demo) -> None:
    out, manifest = demo
    last = _last_calls(files.gateway_calls(out))
    outliving, hours, ended_in_time = [], 0.0, []
    for grant in _jit(out).values():
        end, finished = _end(grant), last.get(grant["task_id"])
        assert files.parse_time(grant["granted_at"]) < END
        if end is None or (finished is not None and end > finished + HOUR):
            outliving.append(grant["grant_id"])
        elif finished is not None and finished < end:
            ended_in_time.append(grant["grant_id"])
        if finished is not None:
            hours += max(min(end or END, END) - finished, timedelta(0)) / HOUR
    assert manifest["grants_outliving_task"] == _ids(outliving)
    assert manifest["standing_privilege_hours"] == round(hours, 2)
    kinds = {
        "never ends": [g for g in outliving if _end(_jit(out)[g]) is None],
        "ends late": [g for g in outliving if _end(_jit(out)[g]) is not None],
        "in time": ended_in_time,
    }
    assert all(kinds.values()), kinds


def test_egress_outside_the_allowlist_counts_only_allowed_calls(demo) -> None:
    out, manifest = demo
    by_id = _by_id(out)
    found, denied, unlisted = [], [], set()
    calls = files.gateway_calls(out)
    for call in calls:
        if not _allowed(call["target_host"], by_id[call["sandbox_id"]]["egress"]["allow"]):
            unlisted.add(call["target_host"])
            (found if call["decision"] == "allowed" else denied).append(call["call_id"])
    assert manifest["agent_egress_not_allowed"] == _ids(found)
    assert found and denied, "allowed and denied calls to unlisted hosts"
    opened = [
        c
        for c in calls
        if by_id[c["sandbox_id"]]["egress"]["allow"] == ["*"] and c["target_host"] in unlisted
    ]
    assert [c for c in opened if c["decision"] == "allowed"], "open egress lets them pass"


def test_sandboxes_reading_production_secrets_with_open_egress_are_recomputed(demo) -> None:
    out, manifest = demo

    def production(doc: dict[str, Any]) -> bool:
        return doc.get("environment") == "prod" or any(
            s.split("/")[0].lower() in ("prod", "production") for s in doc.get("secrets", [])
        )

    docs = _by_id(out).values()
    both = [d["sandbox_id"] for d in docs if "*" in d["egress"]["allow"] and production(d)]
    assert manifest["sandboxes_secrets_and_open_egress"] == _ids(both)
    assert both
    assert [d for d in docs if "*" in d["egress"]["allow"] and not production(d)], "open only"
    assert [d for d in docs if "*" not in d["egress"]["allow"] and production(d)], "secrets only"


def test_inherited_credentials_are_traced_through_the_inventory_and_cloudtrail(demo) -> None:
    out, manifest = demo
    _, credentials = files.inventory(out, "credentials")
    _, identities = files.inventory(out, "identities")
    owners = {c["credential_id"]: c["identity_id"] for c in credentials}
    trail: dict[str, str] = {}
    for record in files.records(out):
        identity = record["userIdentity"]
        if identity["type"] == "IAMUser" and identity.get("accessKeyId"):
            trail.setdefault(identity["accessKeyId"], identity["arn"])
    pairs, refused = set(), set()
    for call in files.gateway_calls(out):
        owner = owners.get(call["credential_id"]) or trail.get(call["credential_id"])
        if owner is not None and owner != call["agent_id"]:
            pair = f"{call['agent_id']}|{call['credential_id']}"
            (pairs if call["decision"] == "allowed" else refused).add(pair)
    assert manifest["agent_inherited_credentials"] == _ids(pairs)
    owner_of = {p: owners.get(p.split("|")[1]) or trail[p.split("|")[1]] for p in pairs}
    people = [p for p, o in owner_of.items() if o not in {r["identity_id"] for r in identities}]
    assert people and set(pairs) - set(people), "a person's key and another identity's"
    report = (out / "sources" / "iam" / "credential_report.csv").read_text().splitlines()
    rows = {row[1]: row for row in csv.reader(report[1:])}
    assert all(rows[owner_of[p]][8] == "true" for p in people), "the report shows the key"
    assert refused - pairs, "a credential used only in refused calls is not listed"


def test_shadow_ai_apps_are_unlisted_callers_and_ownerless_agents_or_apps(demo) -> None:
    out, manifest = demo
    _, identities = files.inventory(out, "identities")
    listed = {r["identity_id"] for r in identities}
    unlisted = {c["agent_id"] for c in files.gateway_calls(out)} - listed
    ownerless = {
        r["identity_id"]
        for r in identities
        if r["kind"] in ("ai_agent", "app") and not r["owner_id"]
    }
    assert manifest["shadow_ai_apps"] == _ids(unlisted | ownerless)
    assert unlisted and ownerless


def test_access_paths_missed_by_review_lie_wholly_between_two_reviews(demo) -> None:
    out, manifest = demo
    _, grants = files.inventory(out, "grants")
    _, credentials = files.inventory(out, "credentials")
    paths = [(g["grant_id"], g["granted_at"], g) for g in grants]
    paths += [(c["credential_id"], c["created_at"], c) for c in credentials]
    missed = set()
    for path_id, created, row in paths:
        start, gone = files.parse_time(created), _end(row)
        for before, after in pairwise(REVIEWS):
            if gone is not None and before < start and gone < after:
                missed.add(path_id)
    assert manifest["access_paths_missed_by_review"] == _ids(missed)
    assert missed & {g["grant_id"] for g in grants}
    assert missed & {c["credential_id"] for c in credentials}


def test_no_agent_time_lies_near_a_review_or_the_end(demo) -> None:
    out, _ = demo
    calls = files.gateway_calls(out)
    tasks = {c["task_id"] for c in calls}
    times = [files.parse_time(c["time"]) for c in calls]
    for grant in _jit(out).values():
        if grant["task_id"] in tasks:
            times += [
                t for f in ("granted_at", "expires_at", "revoked_at") if (t := _time(grant[f]))
            ]
    assert times
    for review in REVIEWS:
        assert not [
            t for t in times if review - timedelta(days=1) <= t <= review + timedelta(days=1)
        ]


def test_inventoried_tokens_show_their_gateway_use_and_no_aws_key_is_in_the_log(demo) -> None:
    out, _ = demo
    _, credentials = files.inventory(out, "credentials")
    listed = {c["credential_id"]: c for c in credentials}
    used = [c for c in files.gateway_calls(out) if c["credential_id"] in listed]
    assert used
    for call in used:
        cred = listed[call["credential_id"]]
        assert cred["provider"] != "aws", call["call_id"]
        assert files.parse_time(cred["last_used_at"]) >= files.parse_time(call["time"])
