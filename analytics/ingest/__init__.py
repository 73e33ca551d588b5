"""Adapters that read source files into the warehouse, one module per source kind.

``KINDS`` maps each ``--kind`` name to its adapter module; :func:`ingest_paths` is the
entry point the CLI uses.
"""

from __future__ import annotations

from types import ModuleType

from analytics.ingest import (
    agent_gateway,
    aws_authorization_details,
    aws_credential_report,
    breach_catalogue,
    cloudtrail,
    github_secret_scanning,
    gitleaks,
    incident_list,
    inventory_csv,
    otel_genai,
    sandbox_policy,
    trufflehog,
    veris,
)

KINDS: dict[str, ModuleType] = {
    module.KIND: module
    for module in (
        cloudtrail,
        aws_credential_report,
        aws_authorization_details,
        github_secret_scanning,
        gitleaks,
        trufflehog,
        inventory_csv,
        agent_gateway,
        otel_genai,
        sandbox_policy,
        breach_catalogue,
        veris,
        incident_list,
    )
}

from analytics.ingest.load import FileResult, ingest_paths  # noqa: E402

__all__ = ["KINDS", "FileResult", "ingest_paths"]
