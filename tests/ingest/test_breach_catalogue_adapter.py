"""The breach-catalogue adapter: the repository's catalogue loads whole; bad rows are named."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "reference" / "nhi_breaches.csv"
HEADER = (
    "breach_id,disclosed_on,date_precision,organisation,credential_type,exposure,reached,"
    "owasp_nhi,source_url,second_source_url"
)


def test_the_catalogue_loads_every_row_with_its_risks(load, query) -> None:
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    (result,) = load(CATALOGUE)

    assert (result.kind, result.read, result.loaded, result.rejected) == (
        "nhi-breach-catalogue",
        len(rows),
        len(rows),
        0,
    )
    first = rows[0]
    stored = query(
        "select organisation, disclosed_on, credential_type, owasp_nhi, source_url "
        "from breaches where breach_id = ?",
        [first["breach_id"]],
    )
    assert stored == [
        (
            first["organisation"],
            date.fromisoformat(first["disclosed_on"]),
            first["credential_type"],
            first["owasp_nhi"].split(";"),
            first["source_url"],
        )
    ]


def test_rows_with_a_bad_risk_url_or_date_are_rejected_with_the_field(tmp_path, load, query):
    path = tmp_path / "catalogue.csv"
    good = "ok,2024-01-05,day,Acme,api_key,Key in a repo.,A bucket.,NHI2:2025,https://a.example/1,"
    path.write_text(
        "\n".join(
            [
                HEADER,
                good,
                "bad-risk,2024-01-05,day,Acme,api_key,x,y,NHI11:2025,https://a.example/2,",
                "bad-url,2024-01-05,day,Acme,api_key,x,y,NHI2:2025,http://a.example/3,",
                "bad-date,someday,day,Acme,api_key,x,y,NHI2:2025,https://a.example/4,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    (result,) = load(path)

    assert (result.loaded, result.rejected) == (1, 3)
    assert query("select position, field from rejected_records order by position") == [
        ("line 3", "owasp_nhi"),
        ("line 4", "source_url"),
        ("line 5", "disclosed_on"),
    ]
