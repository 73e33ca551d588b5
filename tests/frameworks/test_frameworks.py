"""Framework data: every control as published, every check mapped, statuses from results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from analytics import frameworks
from analytics.metrics.checks import Check
from analytics.metrics.registry import ALL_CHECKS

# As published (see ../shared/reference/frameworks.md for the sources read).
NHI = {
    "NHI1:2025": "Improper Offboarding",
    "NHI2:2025": "Secret Leakage",
    "NHI3:2025": "Vulnerable Third-Party NHI",
    "NHI4:2025": "Insecure Authentication",
    "NHI5:2025": "Overprivileged NHI",
    "NHI6:2025": "Insecure Cloud Deployment Configurations",
    "NHI7:2025": "Long-Lived Secrets",
    "NHI8:2025": "Environment Isolation",
    "NHI9:2025": "NHI Reuse",
    "NHI10:2025": "Human Use of NHI",
}
ASI = {
    "ASI01": "Agent Goal Hijack",
    "ASI02": "Tool Misuse & Exploitation",
    "ASI03": "Identity & Privilege Abuse",
    "ASI04": "Agentic Supply Chain Vulnerabilities",
    "ASI05": "Unexpected Code Execution (RCE)",
    "ASI06": "Memory & Context Poisoning",
    "ASI07": "Insecure Inter-Agent Communication",
    "ASI08": "Cascading Failures",
    "ASI09": "Human-Agent Trust Exploitation",
    "ASI10": "Rogue Agents",
}
CSF = {
    "PR.AA-01",
    "PR.AA-02",
    "PR.AA-03",
    "PR.AA-04",
    "PR.AA-05",
    "ID.AM-02",
    "ID.AM-04",
    "ID.AM-08",
    "DE.CM-03",
    "DE.CM-06",
    "DE.CM-09",
    "RS.MI-01",
    "RS.MI-02",
}
CIS = {
    "5.1": "Establish and Maintain an Inventory of Accounts",
    "5.3": "Disable Dormant Accounts",
    "5.5": "Establish and Maintain an Inventory of Service Accounts",
    "6.2": "Establish an Access Revoking Process",
    "6.8": "Define and Maintain Role-Based Access Control",
}


def _controls(framework: str) -> dict[str, str]:
    return {c.control_id: c.title for c in frameworks.load().controls if c.framework == framework}


def test_owasp_lists_hold_every_risk_with_its_published_title() -> None:
    assert _controls("owasp_nhi_2025") == NHI
    assert _controls("owasp_agentic_2026") == ASI


def test_nist_and_cis_hold_the_tenets_sections_subcategories_and_safeguards() -> None:
    tenets = _controls("nist_sp_800_207")
    assert sorted(tenets) == sorted(
        [f"800-207:T{n}" for n in range(1, 8)] + ["800-207:5.3", "800-207:5.7"]
    )
    assert tenets["800-207:5.7"] == "Use of Non-person Entities (NPE) in ZTA Administration"
    assert set(_controls("nist_csf_2_0")) == CSF
    cis = _controls("cis_v8")
    assert {k: cis[k] for k in CIS} == CIS
    assert sorted(cis) == sorted([f"5.{n}" for n in range(1, 7)] + [f"6.{n}" for n in range(1, 9)])


def test_every_check_is_mapped_with_a_reason_to_known_controls() -> None:
    catalogue = frameworks.load()
    mapped = {m.check_id for m in catalogue.mappings}
    assert mapped == {c.check_id for c in ALL_CHECKS}
    assert all(len(m.why) > 20 for m in catalogue.mappings)


def test_older_ids_resolve_to_their_successor() -> None:
    catalogue = frameworks.load()
    assert catalogue.resolve("PR.AC-4").control_id == "PR.AA-05"
    assert catalogue.resolve("AAI001").control_id == "ASI03"
    with pytest.raises(KeyError):
        catalogue.resolve("PR.AC-99")


def _patched(monkeypatch: pytest.MonkeyPatch, name: str, change) -> None:
    original = frameworks._read

    def read(which: str) -> dict:
        data = original(which)
        return change(data) if which == name else data

    monkeypatch.setattr(frameworks, "_read", read)
    frameworks.load.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    frameworks.load.cache_clear()
    yield
    frameworks.load.cache_clear()


def test_an_unknown_control_in_a_mapping_is_refused(monkeypatch) -> None:
    def change(data: dict) -> dict:
        data["nhi_human_use"].append({"control": "NHI11:2025", "why": "no such risk"})
        return data

    _patched(monkeypatch, "mappings", change)
    with pytest.raises(ValueError, match=r"unknown controls \['NHI11:2025'\]"):
        frameworks.load()


def test_a_check_without_a_mapping_and_a_duplicate_id_are_refused(monkeypatch) -> None:
    extra = (*ALL_CHECKS, Check("key_new_7d", "New", "key", "none", "Look."))
    with pytest.raises(ValueError, match=r"checks without a mapping \['key_new_7d'\]"):
        frameworks.load(extra)

    def twice(data: dict) -> dict:
        data["controls"].append(dict(data["controls"][0]))
        return data

    _patched(monkeypatch, "cis_v8", twice)
    with pytest.raises(ValueError, match=r"control ids defined twice: 5.1"):
        frameworks.load()


def _rows(*statuses: str) -> pd.DataFrame:
    return pd.DataFrame({"status": list(statuses)})


def test_statuses_come_from_the_mapped_checks_and_unmapped_controls_never_pass() -> None:
    results = {check.check_id: (_rows(), 0) for check in ALL_CHECKS}
    results["nhi_human_use"] = (_rows("fail", "pass", "pass"), 3)
    results["credential_long_lived_365d"] = (_rows("pass", "pass"), 2)

    table = frameworks.coverage(results).set_index("control_id")

    assert table.loc[
        "NHI10:2025", ["status", "failing_subjects", "passing_subjects"]
    ].tolist() == ["failing", 1, 2]
    # NHI7 is evidenced by two checks; one judged two subjects, both passed.
    assert table.loc["NHI7:2025", ["status", "judged"]].tolist() == ["passing", 2]
    assert table.loc["NHI5:2025", "status"] == "no_evidence"  # its checks judged nobody
    assert table.loc["ASI01", ["status", "checks"]].tolist() == ["no_evidence", ""]  # unmapped
    summary = frameworks.summary(frameworks.coverage(results))
    assert summary["frameworks.owasp_nhi_2025.failing"] == 1
    assert summary["frameworks.owasp_nhi_2025.passing"] == 1
    assert summary["frameworks.owasp_nhi_2025.no_evidence"] == 8
    assert len(summary) == 5 * 3 + 2
    # Read from the data files here: every listed control, and the controls the one
    # failing check (nhi_human_use) is mapped to.
    files = Path(frameworks.__file__).parent
    listed = sum(
        len(yaml.safe_load((files / f"{name}.yaml").read_text())["controls"])
        for name in frameworks.FRAMEWORKS
    )
    mapped = yaml.safe_load((files / "mappings.yaml").read_text())["nhi_human_use"]
    assert summary["frameworks.controls_total"] == listed
    assert summary["frameworks.failing_total"] == len({m["control"] for m in mapped})
