"""Headline metrics: one flat, dotted name per number, each with its population and source.

Every metric is computed in SQL (``analytics/metrics/<topic>.sql``) as of an instant, the
*as-of*; by default the newest time in the data (the last event, or the newest snapshot),
so a report on old files describes them as they were rather than as of today.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from analytics.config import METRICS_DIR
from analytics.warehouse import bind, first_row, sql_text

if TYPE_CHECKING:  # pandas is loaded by the checks, not by parsing an --as-of
    import pandas as pd

log = logging.getLogger(__name__)

DORMANT_DAYS = 90


@dataclass(frozen=True)
class Metric:
    """What a headline number means.

    Attributes
    ----------
    name
        Dotted key, ``<topic>.<measure>``.
    title
        A sentence fragment stating what is counted.
    population
        The set it counts in (its denominator, for rates).
    source
        The input kinds it depends on.
    """

    name: str
    title: str
    population: str
    source: str


_INV = "inventory-csv, aws-credential-report, aws-authorization-details"
_LEAKS = "secret findings + credentials + cloudtrail"
_GRANTS = "aws-authorization-details, inventory-csv grants + cloudtrail"
_AGENTS = "agent-gateway, otel-genai, sandbox-policy, inventory-csv"
CATALOGUE: tuple[Metric, ...] = (
    Metric("inventory.identities_total", "Non-human identities", "newest snapshot", _INV),
    Metric("inventory.ai_agents_total", "AI agents", "non-human identities", "inventory-csv"),
    Metric("inventory.humans_total", "People in the directory", "directory", "inventory-csv"),
    Metric("inventory.humans_left", "People who have left", "directory", "inventory-csv"),
    Metric("inventory.credentials_total", "Credentials", "newest snapshot", _INV),
    Metric("inventory.credentials_active", "Active, unexpired credentials", "credentials", _INV),
    Metric(
        "inventory.credentials_never_expire",
        "Active credentials with no expiry",
        "active credentials",
        _INV,
    ),
    Metric(
        "inventory.credentials_dated",
        "Active credentials with a known creation time",
        "active credentials",
        _INV,
    ),
    Metric(
        "inventory.credentials_older_than_90d",
        "Active credentials created over 90 days ago",
        "active credentials with a known creation time",
        _INV,
    ),
    Metric(
        "inventory.credentials_older_than_90d_share",
        "Share of active credentials created over 90 days ago",
        "inventory.credentials_dated",
        _INV,
    ),
    Metric(
        "inventory.access_keys_older_than_90d",
        "Active access keys created over 90 days ago",
        "active access keys",
        _INV,
    ),
    Metric(
        "inventory.access_keys_older_than_365d",
        "Active access keys created over 365 days ago",
        "active access keys",
        _INV,
    ),
    Metric(
        "inventory.owner_left_with_active_credential",
        "Non-human identities whose owner has left, with an active credential",
        "non-human identities",
        "inventory-csv",
    ),
    Metric(
        "inventory.identities_without_owner",
        "Non-human identities with no owner",
        "non-human identities",
        _INV,
    ),
    Metric("activity.events_total", "Audit events", "events up to the as-of", "cloudtrail"),
    Metric("activity.events_first", "First audit event", "events", "cloudtrail"),
    Metric("activity.events_last", "Last audit event", "events", "cloudtrail"),
    Metric(
        "activity.principals_active", "AWS identities (ARNs) seen acting", "events", "cloudtrail"
    ),
    Metric(
        "activity.accounts_covered", "Cloud accounts with audit events", "events", "cloudtrail"
    ),
    Metric(
        "activity.events_failed",
        "Audit events that failed (denied or errored)",
        "events",
        "cloudtrail",
    ),
    Metric(
        "activity.identities_dormant",
        f"AWS users and roles with no event in {DORMANT_DAYS} days",
        f"AWS users and roles older than {DORMANT_DAYS} days in accounts the logs cover",
        "cloudtrail + aws-authorization-details, inventory-csv",
    ),
    Metric(
        "activity.identities_admin_equivalent",
        "Identities granted every action on every resource",
        "users and roles of the newest authorization details",
        "aws-authorization-details",
    ),
    Metric(
        "grants.jit_total", "Just-in-time grants", "newest inventory grants file", "inventory-csv"
    ),
    Metric(
        "grants.jit_never_expire",
        "Just-in-time grants with no expiry and no revocation",
        "just-in-time grants",
        "inventory-csv",
    ),
    Metric(
        "grants.standing_total", "Standing grants", "newest inventory grants file", "inventory-csv"
    ),
    Metric(
        "secrets.findings_total",
        "Secret-leak findings",
        "findings detected by the as-of",
        "github-secret-scanning, gitleaks, trufflehog",
    ),
    Metric(
        "secrets.findings_open",
        "Open secret-leak findings",
        "findings",
        "github-secret-scanning, gitleaks, trufflehog",
    ),
    Metric(
        "secrets.findings_open_valid",
        "Open findings whose secret is known to work",
        "open findings",
        "github-secret-scanning, trufflehog",
    ),
    Metric(
        "secrets.findings_github",
        "GitHub secret-scanning alerts",
        "findings",
        "github-secret-scanning",
    ),
    Metric("secrets.findings_gitleaks", "gitleaks findings", "findings", "gitleaks"),
    Metric("secrets.findings_trufflehog", "TruffleHog findings", "findings", "trufflehog"),
    Metric(
        "secrets.aws_key_ids_leaked",
        "Distinct AWS access-key ids in findings",
        "findings",
        "github-secret-scanning, gitleaks, trufflehog",
    ),
    Metric("ingest.files_loaded", "Files loaded", "all ingests", "ingest_files"),
    Metric("ingest.files_failed", "Files that failed as a whole", "all ingests", "ingest_files"),
    Metric("ingest.records_read", "Records read", "loaded files", "ingest_files"),
    Metric("ingest.records_loaded", "Records loaded", "records read", "ingest_files"),
    Metric(
        "ingest.records_rejected",
        "Records rejected (see rejected_records)",
        "records read",
        "ingest_files",
    ),
    Metric(
        "ingest.records_duplicate",
        "Records skipped as already loaded",
        "records read",
        "ingest_files",
    ),
    *(
        Metric(f"ttr.{name}", title, population, _LEAKS)
        for name, title, population in (
            (
                "population",
                "Leaked secrets in the time-to-remediate population",
                "leaked secrets detected by the as-of, less excluded resolutions",
            ),
            ("remediated", "Leaked secrets with evidence of remediation", "population"),
            ("censored", "Leaked secrets still open or won't-fix (censored)", "population"),
            (
                "excluded",
                "Leaked secrets resolved as false positive, used in tests, or "
                "pattern edited or deleted",
                "leaked secrets detected by the as-of",
            ),
            ("median_days", "Median days to remediate (Kaplan-Meier)", "population"),
            ("median_days_ci_low", "Median days to remediate, 95% CI low", "population"),
            ("median_days_ci_high", "Median days to remediate, 95% CI high", "population"),
            ("p90_days", "Days by which 90% are remediated (Kaplan-Meier)", "population"),
            (
                "restricted_mean_90d",
                "Mean days to remediate within 90 days (restricted mean)",
                "population",
            ),
            ("within_1d", "Share remediated within 1 day", "population"),
            ("within_7d", "Share remediated within 7 days", "population"),
            ("within_30d", "Share remediated within 30 days", "population"),
            (
                "exposure_median_days",
                "Median days from leak (commit) to remediation or as-of",
                "population with a commit time",
            ),
        )
    ),
    *(
        Metric(name, title, population, source)
        for name, title, population, source in (
            (
                "privilege.identities",
                "Non-human identities whose grants are set against their use",
                "non-human identities with standing grants, older than the audit window, "
                "in accounts the logs cover",
                _GRANTS,
            ),
            (
                "privilege.granted_actions",
                "Granted actions (wildcards expanded over the actions the data names)",
                "privilege.identities",
                _GRANTS,
            ),
            (
                "privilege.unused_share",
                "Share of granted actions not used in the audit window",
                "granted actions of privilege.identities",
                _GRANTS,
            ),
            (
                "privilege.over_granted",
                "Identities with a granted service unused, or most actions unused",
                "privilege.identities",
                _GRANTS,
            ),
            (
                "privilege.admin_equivalent",
                "Identities granted every action on every resource",
                "non-human identities with standing grants",
                _GRANTS,
            ),
            (
                "privilege.grew_unused",
                "Identities that gained permissions and have not used them since",
                "identities in the first and last authorization-details snapshots",
                "aws-authorization-details + cloudtrail",
            ),
            (
                "credentials.dormant_90d",
                "Active credentials with no recorded use in 90 days",
                "active credentials older than 90 days",
                _INV + ", cloudtrail",
            ),
            (
                "credentials.not_rotated_90d",
                "Active credentials not rotated in 90 days",
                "active credentials",
                _INV,
            ),
            (
                "credentials.long_lived_365d",
                "Active credentials created over 365 days ago",
                "active credentials",
                _INV,
            ),
            (
                "credentials.shared",
                "Credentials used from two or more workloads in the audit window",
                "credentials seen in the audit window",
                "cloudtrail + " + _INV,
            ),
            (
                "credentials.cross_environment",
                "Credentials acting in two or more accounts in the audit window",
                "credentials seen in the audit window",
                "cloudtrail + " + _INV,
            ),
            (
                "identities.dormant_90d",
                "Non-human AWS users and roles with no event in 90 days",
                "non-human AWS users and roles older than 90 days in covered accounts",
                "cloudtrail + " + _INV,
            ),
            (
                "identities.owner_offboarded",
                "Identities whose owner has left, with an active credential",
                "non-human identities whose owner the directory knows",
                "inventory-csv",
            ),
            (
                "identities.human_use",
                "Non-human identities used interactively in the audit window",
                "non-human identities seen acting in the audit window",
                "cloudtrail + " + _INV,
            ),
        )
    ),
    *(
        Metric(name, title, population, _AGENTS)
        for name, title, population in (
            ("agents.total", "AI agents", "inventory and tool-call logs"),
            ("agents.tool_calls", "Agent tool calls logged by a gateway", "the audit window"),
            (
                "agents.jit_coverage",
                "Share of agent tool calls under a task-scoped grant",
                "agents.tool_calls",
            ),
            (
                "agents.egress_violations",
                "Allowed agent calls to hosts outside the sandbox's allowlist",
                "agent calls by agents a sandbox policy covers",
            ),
            (
                "agents.sandboxes_open_egress",
                "Sandboxes that can read production secrets and reach any host",
                "sandbox policies",
            ),
            (
                "agents.inherited_credentials",
                "Agents acting with another identity's or a person's credential",
                "agent and credential pairs with a known owner",
            ),
            (
                "agents.shadow_apps",
                "AI agents or apps missing from the inventory or without an owner",
                "AI agents and apps",
            ),
            (
                "grants.outliving_task",
                "Just-in-time grants that never end or outlive their task",
                "just-in-time grants",
            ),
            (
                "grants.standing_privilege_hours",
                "Hours just-in-time grants stayed valid after their task's last call",
                "just-in-time grants with logged task calls",
            ),
            (
                "grants.missed_by_review",
                "Grants and credentials created and gone between two access reviews",
                "grants and credentials created between reviews (every 90 days)",
            ),
        )
    ),
    Metric(
        "breaches.total",
        "Public NHI breaches in the catalogue",
        "incidents disclosed by the as-of",
        "nhi-breach-catalogue",
    ),
    Metric(
        "breaches.organisations",
        "Organisations in the breach catalogue",
        "incidents disclosed by the as-of",
        "nhi-breach-catalogue",
    ),
    Metric("breaches.first_disclosed", "First disclosure", "incidents", "nhi-breach-catalogue"),
    Metric("breaches.last_disclosed", "Last disclosure", "incidents", "nhi-breach-catalogue"),
    Metric(
        "breaches.other_sources",
        "Incidents from other sources, not classified by NHI risk",
        "incidents dated by the as-of",
        "veris, incident-list",
    ),
    *(
        Metric(
            f"frameworks.{framework}.{status}",
            f"Controls of {framework} {status.replace('_', ' ')}",
            "the framework's controls (failing: a mapped check failed a subject; no_evidence: "
            "no check maps to it, or its checks judged nobody)",
            "every check, through analytics/frameworks/mappings.yaml",
        )
        for framework in (
            "owasp_nhi_2025",
            "owasp_agentic_2026",
            "nist_sp_800_207",
            "nist_csf_2_0",
            "cis_v8",
        )
        for status in ("failing", "passing", "no_evidence")
    ),
    Metric(
        "frameworks.controls_total",
        "Controls of the five frameworks",
        "OWASP NHI and Agentic Top 10s, NIST SP 800-207 tenets, the NIST CSF 2.0 "
        "subcategories and CIS v8 safeguards the toolkit lists",
        "analytics/frameworks/*.yaml",
    ),
    Metric(
        "frameworks.failing_total",
        "Controls failing, across the five frameworks",
        "frameworks.controls_total",
        "every check, through analytics/frameworks/mappings.yaml",
    ),
)
_TOPICS = ("inventory", "activity", "grants", "secrets", "ingest", "breaches")


def default_as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """Return the newest time the data states (``as_of.sql``), or now when it states none.

    Events, detections, key use and grants count; file modification times do not, so a
    report on last year's logs is as of last year.
    """
    row = first_row(con, sql_text("as_of", METRICS_DIR))
    return row[0] if row and row[0] else datetime.now(UTC)  # type: ignore[return-value]


def parse_as_of(value: str) -> datetime:
    """Parse an as-of: an ISO 8601 time (UTC when it has no offset), or a date, meaning
    the end of that day in UTC, so that "as of 2026-11-30" includes that day's events.

    Raises
    ------
    ValueError
        The text is neither.
    """
    text = value.strip()
    try:
        if "T" in text or " " in text:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"expected a date such as 2026-11-30 or a time such as 2026-11-30T12:00:00Z, "
            f"found {value!r}"
        ) from exc
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    return end_of_day - timedelta(microseconds=1)


def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: str | datetime | None) -> datetime:
    """Return the as-of to use: ``as_of`` parsed (:func:`parse_as_of`), or the default."""
    if as_of is None or as_of == "":
        return default_as_of(con).astimezone(UTC)
    if isinstance(as_of, str):
        return parse_as_of(as_of)
    return (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).astimezone(UTC)


def headline(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | None = None,
    results: dict[str, tuple[pd.DataFrame, int]] | None = None,
) -> dict[str, Any]:
    """Compute every headline metric as of ``as_of`` and return them as one flat dict.

    The dict also holds ``as_of`` (ISO 8601) so a saved copy says its own period.
    ``results`` are the checks just run at the same ``as_of``
    (:func:`analytics.metrics.registry.run_all`, which leaves their tables built), for a
    caller that needs both; ``None`` runs them here.
    """
    instant = as_of or default_as_of(con)
    params = {"as_of": instant, "dormant_days": DORMANT_DAYS}
    out: dict[str, Any] = {"as_of": instant.isoformat()}
    for topic in _TOPICS:
        sql = sql_text(topic, METRICS_DIR)
        log.debug("metrics %s: %s", topic, sql)
        cursor = con.execute(sql, bind(sql, params))
        columns = [d[0] for d in cursor.description]
        values = cursor.fetchall()[0]
        for column, value in zip(columns, values, strict=True):
            out[f"{topic}.{column}"] = (
                value.isoformat() if isinstance(value, (datetime, date)) else value
            )
    from analytics import frameworks  # these build on this package's helpers
    from analytics.metrics import agents, privilege, registry, ttr

    if results is None:
        results = registry.run_all(con, instant)
    # run_all has built every topic's tables for this as-of: none is built twice.
    out.update(ttr.headline(con, instant, prepared=True))
    out.update(privilege.headline(con, instant, results))
    out.update(agents.headline(con, instant, results))
    out.update(frameworks.summary(frameworks.coverage(results)))
    return out
