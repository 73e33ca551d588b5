"""Public breaches against today's identities: which of ours look like each incident.

An incident in the catalogue names the OWASP NHI risks it shows; each risk is a control of
:mod:`analytics.frameworks`, and the checks mapped to it are the ones that would have
flagged the incident's pattern. The subjects those checks fail today are the identities and
credentials that look like the breach. The match is by risk, not by circumstance: it says
"this kind of weakness is present here", not "this attack would succeed here".
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from analytics import frameworks


def catalogue(
    con: duckdb.DuckDBPyConnection, as_of: datetime, source: str = "nhi-breach-catalogue"
) -> pd.DataFrame:
    """The incidents of ``source`` disclosed by ``as_of``, newest first. The default is the
    toolkit's NHI catalogue; ``veris`` gives VCDB's incidents, which are not NHI-specific."""
    return con.execute(
        "select breach_id, name, organisation, disclosed_on, date_precision, credential_type, "
        "nhi_vector as exposure, summary as reached, owasp_nhi, source_url, second_source_url "
        "from breaches where disclosed_on <= cast($as_of as date) and source_kind = $source "
        "order by disclosed_on desc, breach_id",
        {"as_of": as_of, "source": source},
    ).df()


def lookalikes(
    incidents: pd.DataFrame, results: dict[str, tuple[pd.DataFrame, int]]
) -> pd.DataFrame:
    """Per incident: the checks that would flag its pattern and how many subjects fail them.

    ``results`` are every check's ``(rows, denominator)`` at the same as-of
    (:func:`analytics.metrics.registry.run_all`); a subject failing two of the checks counts
    once.
    """
    mapped = frameworks.load().mappings
    rows = []
    for incident in incidents.itertuples(index=False):
        categories = list(incident.owasp_nhi)
        checks = sorted({m.check_id for m in mapped if m.control_id in categories})
        failing: set[str] = set()
        for check_id in checks:
            found, _ = results.get(check_id, (pd.DataFrame(columns=["subject_id", "status"]), 0))
            failing |= set(found.loc[found["status"] == "fail", "subject_id"])
        rows.append(
            {
                "breach_id": incident.breach_id,
                "organisation": incident.organisation,
                "disclosed_on": incident.disclosed_on,
                "owasp_nhi": "; ".join(categories),
                "checks": ", ".join(checks),
                "matching_subjects": len(failing),
            }
        )
    return pd.DataFrame(rows)
