"""VERIS incidents (VCDB): every incident loads; counts set against a reading of the file."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared


def test_every_vcdb_incident_loads_with_its_date_precision_and_actions(real, load, query):
    path = real / "vcdb_verisr_sample" / "vcdb_incidents.jsonl.gz"
    incidents = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]

    (result,) = load(path)

    assert (result.kind, result.read, result.loaded, result.rejected) == (
        "veris",
        len(incidents),
        len(incidents),
        0,
    )
    stolen = sum(
        "Use of stolen creds" in i.get("action", {}).get("hacking", {}).get("variety", [])
        for i in incidents
    )
    assert query(
        "select count(*) from breaches where credential_type = 'other' "
        "and nhi_vector like '%hacking: Use of stolen creds%'"
    ) == [(stolen,)]
    precision = Counter(
        "day" if t.get("day") else "month" if t.get("month") else "year"
        for t in (i["timeline"]["incident"] for i in incidents)
    )
    assert dict(query("select date_precision, count(*) from breaches group by 1")) == dict(
        precision
    )


def test_an_incident_with_an_impossible_date_is_rejected(tmp_path: Path, load, query) -> None:
    path = tmp_path / "incidents.jsonl"
    good = {
        "incident_id": "A",
        "schema_version": "1.3.0",
        "timeline": {"incident": {"year": 2013}},
    }
    bad = {
        "incident_id": "B",
        "schema_version": "1.3.0",
        "timeline": {"incident": {"year": 2013, "month": 13}},
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")

    (result,) = load(path)

    assert (result.kind, result.loaded, result.rejected) == ("veris", 1, 1)
    ((field, reason),) = query("select field, reason from rejected_records")
    assert field == "timeline.incident" and "month must be in 1..12" in reason
