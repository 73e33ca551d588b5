-- Secret-leak findings, newest observation of each finding, detected on or before $as_of.
select
    count(*) as findings_total,
    count(*) filter (where state = 'open') as findings_open,
    count(*) filter (where state = 'open' and validity = 'active') as findings_open_valid,
    count(*) filter (where source_kind = 'github-secret-scanning') as findings_github,
    count(*) filter (where source_kind = 'gitleaks') as findings_gitleaks,
    count(*) filter (where source_kind = 'trufflehog') as findings_trufflehog,
    count(distinct credential_key_id) as aws_key_ids_leaked
from secret_findings_current
where detected_at is null or detected_at <= $as_of
