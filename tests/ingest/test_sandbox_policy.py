"""The sandbox-policy adapter: one row per sandbox, read access and egress kept apart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

POLICIES = Path(__file__).resolve().parent.parent / "data" / "sandbox-policy" / "sandboxes.yaml"


def test_each_document_is_a_sandbox_with_its_egress_and_secrets(load, query) -> None:
    (result,) = load(POLICIES)

    assert (result.kind, result.read, result.loaded, result.rejected) == (
        "sandbox-policy",
        4,
        3,
        1,
    )
    rows = query(
        "select sandbox_id, agents, owner_id, environment, reviewed_at, egress_allow, "
        "secrets_read, credential_ids from sandboxes order by sandbox_id"
    )
    assert rows == [
        (
            "sbx-notebooks",
            ["agent:data-analyst"],
            None,
            None,
            None,
            ["*"],
            ["prod/warehouse/readonly"],
            [],
        ),
        ("sbx-offline", [], None, None, None, [], [], []),
        (
            "sbx-support",
            ["agent:support-triage"],
            "P0012",
            "prod",
            datetime(2026, 10, 1, tzinfo=UTC),
            ["api.github.com", "*.slack.com"],
            ["prod/support/*"],
            ["ghs-app-7731"],
        ),
    ]


def test_a_document_without_egress_is_rejected_with_the_fix(load, query) -> None:
    load(POLICIES)

    assert query("select position, field, reason from rejected_records") == [
        (
            "document 3",
            "egress.allow",
            "is required: list the hosts the sandbox may reach ([] for none, ['*'] for any)",
        )
    ]


def test_yaml_that_does_not_parse_keeps_earlier_documents_and_says_where(tmp_path, load, query):
    path = tmp_path / "broken.yml"
    path.write_text(
        "sandbox_id: sbx-a\negress:\n  allow: []\n---\nsandbox_id: [unclosed\n", "utf-8"
    )

    (result,) = load(path, kind="sandbox-policy")

    assert (result.read, result.loaded, result.rejected) == (2, 1, 1)
    ((position, reason),) = query("select position, reason from rejected_records")
    assert position == "document 2"
    assert reason.startswith("YAML does not parse at line 6 column 1")


def test_yaml_values_are_data_never_objects_to_build(tmp_path, load, query) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(
        "sandbox_id: !!python/object/apply:os.system ['echo owned']\negress:\n  allow: []\n",
        "utf-8",
    )

    (result,) = load(path, kind="sandbox-policy")

    assert (result.loaded, result.rejected) == (0, 1)
    assert (
        "could not determine a constructor" in query("select reason from rejected_records")[0][0]
    )
