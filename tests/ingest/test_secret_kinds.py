"""One name per kind of secret and per repository, across GitHub, gitleaks and TruffleHog."""

from __future__ import annotations

import pytest

from analytics.ingest.secret_kinds import repository_name, secret_family

REPORTS = "secret_scanner_reports"


@pytest.mark.parametrize(
    ("names", "family"),
    [
        (("aws_access_key_id", "Amazon AWS Access Key ID"), "aws_access_key"),
        (("aws-access-token", "AWS access key id"), "aws_access_key"),
        (("AWS",), "aws_access_key"),
        (("github_personal_access_token", "GitHub Personal Access Token"), "github_token"),
        (("github-pat",), "github_token"),
        (("Github",), "github_token"),
        (("slack-bot-token", "Slack bot token"), "slack_token"),
        (("RSA-PK", "RSA private key"), "private_key"),
        (("SSH (EC) private key",), "private_key"),
        (("PGP private key block",), "private_key"),
        (("High entropy",), "generic_secret"),
        (("generic-api-key", "Generic API key"), "generic_secret"),
        (("mailchimp_api_key", "Mailchimp API Key"), "mailchimp_api_key"),
        (("MailChimp API key", "MailChimp API key"), "mailchimp_api_key"),
        ((None, ""), None),
    ],
)
def test_each_scanner_name_of_a_secret_kind_gives_one_family(names, family):
    assert secret_family(*names) == family


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("acme/payments-api", "acme/payments-api"),
        ("https://github.com/acme/payments-api.git", "acme/payments-api"),
        ("https://github.com/acme/payments-api/", "acme/payments-api"),
        ("git@github.com:acme/payments-api.git", "acme/payments-api"),
        ("https://ci:hunter2hunter2@github.com/acme/api.git", "acme/api"),
        ("https://GitLab.example.com/team/api.git", "gitlab.example.com/team/api"),
        ("file:///srv/repos/api/", "file:///srv/repos/api"),
        ("  ", None),
        (None, None),
    ],
)
def test_a_repository_has_one_spelling_whichever_scanner_named_it(given, name):
    assert repository_name(given) == name


@pytest.mark.shared
def test_real_reports_store_families_and_github_repositories_without_their_url(real, load, query):
    load(
        real / REPORTS / "trufflehog__v3_git.json",
        real / REPORTS / "gitleaks__version_7.5.0.json",
        real / "github_secret_scanning_alerts" / "repo_secret_scanning_alerts.docs_example.json",
    )

    families = query(
        "select source_kind, secret_type, secret_family from secret_findings"
        " where secret_family = 'aws_access_key' group by all order by all"
    )
    repositories = query("select distinct repository from secret_findings order by 1")

    assert families == [
        ("gitleaks", "AWS Access Key", "aws_access_key"),
        ("trufflehog", "AWS", "aws_access_key"),
    ]
    assert ("trufflesecurity/test_keys",) in repositories
    assert not [r for (r,) in repositories if r and "://" in r]
