"""The curated catalogue of public NHI breaches: shape, dates, closed sets and sources."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "reference" / "nhi_breaches.csv"

COLUMNS = [
    "breach_id",
    "disclosed_on",
    "date_precision",
    "organisation",
    "credential_type",
    "exposure",
    "reached",
    "owasp_nhi",
    "source_url",
    "second_source_url",
]
CREDENTIAL_TYPES = {
    "cloud_access_key",
    "api_key",
    "oauth_token",
    "personal_access_token",
    "ci_cd_secret",
    "service_account",
    "signing_key",
    "session_token",
    "other",
}
# OWASP Top 10 Non-Human Identities Risks 2025 ids, as published (NHI1:2025 .. NHI10:2025).
OWASP_NHI_IDS = {f"NHI{n}:2025" for n in range(1, 11)}
EARLIEST = dt.date(2016, 1, 1)
# Fixed "today" of the brief, so the test does not drift with the clock.
LATEST = dt.date(2026, 12, 4)
SLUG = re.compile(r"^[0-9]{4}-[a-z0-9]+(?:-[a-z0-9]+)*$")


def _rows() -> list[dict[str, str]]:
    with CATALOGUE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()


def _row_id(row: dict[str, str]) -> str:
    return row["breach_id"]


def test_catalogue_header_lists_the_agreed_columns_in_order() -> None:
    with CATALOGUE.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == COLUMNS


def test_catalogue_holds_at_least_forty_incidents() -> None:
    assert len(ROWS) >= 40


def test_breach_ids_are_unique_slugs() -> None:
    ids = [row["breach_id"] for row in ROWS]
    assert len(ids) == len(set(ids))
    assert all(SLUG.match(breach_id) for breach_id in ids), ids


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_disclosure_date_is_iso_and_within_the_catalogue_window(row: dict[str, str]) -> None:
    disclosed = dt.date.fromisoformat(row["disclosed_on"])
    assert row["disclosed_on"] == disclosed.isoformat()
    assert EARLIEST <= disclosed <= LATEST


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_date_precision_is_day_or_month_and_month_dates_fall_on_the_first(
    row: dict[str, str],
) -> None:
    assert row["date_precision"] in {"day", "month"}
    if row["date_precision"] == "month":
        assert dt.date.fromisoformat(row["disclosed_on"]).day == 1


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_credential_type_comes_from_the_closed_set(row: dict[str, str]) -> None:
    assert row["credential_type"] in CREDENTIAL_TYPES


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_owasp_mapping_names_at_least_one_valid_nhi_id(row: dict[str, str]) -> None:
    ids = row["owasp_nhi"].split(";")
    assert ids and all(ids), row["owasp_nhi"]
    assert set(ids) <= OWASP_NHI_IDS, set(ids) - OWASP_NHI_IDS
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_every_incident_cites_an_https_source(row: dict[str, str]) -> None:
    assert row["source_url"].startswith("https://")
    second = row["second_source_url"]
    assert second == "" or (second.startswith("https://") and second != row["source_url"])


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_descriptive_fields_are_filled(row: dict[str, str]) -> None:
    for field in ("organisation", "exposure", "reached"):
        assert row[field].strip(), field
