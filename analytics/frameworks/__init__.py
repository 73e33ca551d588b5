"""Frameworks as data: controls per framework, each check mapped to the controls it evidences.

One YAML file per framework (``<framework>.yaml``: id, title, source, controls with id,
title and a description in our own words, and aliases from older ids to current ones), and
``mappings.yaml``: every check of the toolkit -> the controls it gives evidence for, each with
a one-line reason. :func:`load` reads and validates them all; a mistake in the data (an
unknown check or control, a check with no mapping, a duplicate id) is a defect of the
toolkit and raises at load.

:func:`coverage` turns check results into a status per control, from a closed set:
``failing`` (a mapped check failed a subject), ``passing`` (mapped checks judged subjects
and none failed) or ``no_evidence`` (no check maps to it, or its checks judged nobody: the
data for them is absent). An unmapped control is never counted as passing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from analytics.metrics.checks import Check

FRAMEWORK_DIR = Path(__file__).resolve().parent
FRAMEWORKS = (
    "owasp_nhi_2025",
    "owasp_agentic_2026",
    "nist_sp_800_207",
    "nist_csf_2_0",
    "cis_v8",
)
STATUSES = ("failing", "passing", "no_evidence")


@dataclass(frozen=True)
class Control:
    """One control (risk, tenet, subcategory, safeguard) of a framework."""

    framework: str
    control_id: str
    title: str
    description: str


@dataclass(frozen=True)
class Mapping:
    """A check that gives evidence for a control, and why."""

    check_id: str
    control_id: str
    why: str


@dataclass(frozen=True)
class Catalogue:
    """All frameworks' controls, their aliases, and the check mappings."""

    controls: tuple[Control, ...]
    aliases: dict[str, str]
    mappings: tuple[Mapping, ...]

    def resolve(self, control_id: str) -> Control:
        """The control named ``control_id`` or by an alias of it (``PR.AC-4``).

        Raises
        ------
        KeyError
            No framework has such a control or alias.
        """
        wanted = self.aliases.get(control_id, control_id)
        for control in self.controls:
            if control.control_id == wanted:
                return control
        raise KeyError(f"no framework control or alias {control_id!r}")


def title(framework: str) -> str:
    """The published name of ``framework`` (one of :data:`FRAMEWORKS`)."""
    return str(_read(framework)["title"])


def _read(name: str) -> dict:
    return yaml.safe_load((FRAMEWORK_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@cache
def load(checks: tuple[Check, ...] | None = None) -> Catalogue:
    """Read the framework files and the mappings, and validate them against ``checks``
    (default: every check of :mod:`analytics.metrics.registry`).

    Raises
    ------
    ValueError
        A duplicate control id, an alias to an unknown control, a mapping entry without
        exactly a control and a reason, a mapping that names an unknown check or control,
        or a check with no mapping.
    """
    if checks is None:
        from analytics.metrics.registry import ALL_CHECKS

        checks = ALL_CHECKS
    controls: list[Control] = []
    aliases: dict[str, str] = {}
    for name in FRAMEWORKS:
        data = _read(name)
        if data["framework"] != name:
            raise ValueError(f"{name}.yaml names itself {data['framework']!r}")
        controls += [
            Control(name, str(c["id"]), c["title"], c["description"]) for c in data["controls"]
        ]
        aliases.update({str(k): str(v) for k, v in (data.get("aliases") or {}).items()})
    ids = [c.control_id for c in controls]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"control ids defined twice: {', '.join(duplicates)}")
    bad_aliases = sorted(a for a, target in aliases.items() if target not in ids or a in ids)
    if bad_aliases:
        raise ValueError(f"aliases to unknown controls, or shadowing one: {bad_aliases}")
    entries = [(check_id, item) for check_id, items in _read("mappings").items() for item in items]
    malformed = sorted({c for c, item in entries if set(item) != {"control", "why"}})
    if malformed:
        raise ValueError(f"mappings.yaml: entries need exactly control and why: {malformed}")
    mappings = [Mapping(c, str(item["control"]), str(item["why"])) for c, item in entries]
    known_checks = {c.check_id for c in checks}
    unknown_checks = sorted({m.check_id for m in mappings} - known_checks)
    unknown_controls = sorted({m.control_id for m in mappings} - set(ids))
    unmapped = sorted(known_checks - {m.check_id for m in mappings})
    pairs = [(m.check_id, m.control_id) for m in mappings]
    repeated = sorted({p for p in pairs if pairs.count(p) > 1})
    if unknown_checks or unknown_controls or unmapped or repeated:
        raise ValueError(
            f"mappings.yaml: unknown checks {unknown_checks}, unknown controls "
            f"{unknown_controls}, checks without a mapping {unmapped}, pairs mapped twice "
            f"{repeated}"
        )
    return Catalogue(tuple(controls), aliases, tuple(mappings))


def coverage(
    results: dict[str, tuple[pd.DataFrame, int]], catalogue: Catalogue | None = None
) -> pd.DataFrame:
    """One row per control of every framework: its status and the evidence behind it.

    Parameters
    ----------
    results
        ``{check_id: (finding rows, denominator)}`` of every check
        (:func:`analytics.metrics.registry.run_all`).

    Columns: ``framework``, ``control_id``, ``title``, ``status``, ``checks`` (the mapped
    checks, comma-separated), ``judged``, ``failing_subjects`` and ``passing_subjects``
    (summed over the mapped checks: a subject judged by two checks counts twice).
    """
    chosen = catalogue or load()
    rows = []
    for control in chosen.controls:
        mapped = [m.check_id for m in chosen.mappings if m.control_id == control.control_id]
        judged = failing = passing = 0
        for check_id in mapped:
            found, denominator = results.get(check_id, (None, 0))
            judged += denominator
            if found is not None:
                failing += int((found["status"] == "fail").sum())
                passing += int((found["status"] == "pass").sum())
        if failing:
            status = "failing"
        elif mapped and judged:
            status = "passing"
        else:
            status = "no_evidence"
        rows.append(
            {
                "framework": control.framework,
                "control_id": control.control_id,
                "title": control.title,
                "status": status,
                "checks": ", ".join(mapped),
                "judged": judged,
                "failing_subjects": failing,
                "passing_subjects": passing,
            }
        )
    return pd.DataFrame(rows)


def evidence(
    results: dict[str, tuple[pd.DataFrame, int]], catalogue: Catalogue | None = None
) -> pd.DataFrame:
    """One row per mapping (control and check): the check's subjects judged and failing,
    and why it evidences the control. The cells of a control-by-check view."""
    chosen = catalogue or load()
    framework_of = {c.control_id: c.framework for c in chosen.controls}
    rows = []
    for mapping in chosen.mappings:
        found, judged = results.get(mapping.check_id, (None, 0))
        failing = int((found["status"] == "fail").sum()) if found is not None else 0
        rows.append(
            {
                "framework": framework_of[mapping.control_id],
                "control_id": mapping.control_id,
                "check_id": mapping.check_id,
                "judged": judged,
                "failing": failing,
                "why": mapping.why,
            }
        )
    return pd.DataFrame(rows)


def aliases(catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Older or unofficial ids and the control each resolves to."""
    chosen = catalogue or load()
    return pd.DataFrame(
        [
            {"alias": alias, "control_id": target, "title": chosen.resolve(target).title}
            for alias, target in sorted(chosen.aliases.items())
        ]
    )


def summary(table: pd.DataFrame) -> dict[str, int]:
    """``frameworks.<framework>.<status>``: how many controls of each framework are in each
    status, every status present (zero included); and over all five,
    ``frameworks.controls_total`` and ``frameworks.failing_total``."""
    out: dict[str, int] = {}
    for name in FRAMEWORKS:
        part = table[table["framework"] == name]
        for status in STATUSES:
            out[f"frameworks.{name}.{status}"] = int((part["status"] == status).sum())
    listed = table[table["framework"].isin(FRAMEWORKS)]
    out["frameworks.controls_total"] = len(listed)
    out["frameworks.failing_total"] = int((listed["status"] == "failing").sum())
    return out
