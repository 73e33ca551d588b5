-- One row per leaked secret as known at $as_of: when it was detected, whether it is in the
-- time-to-remediate population, and the first evidence that it stopped working.
-- A secret is its keyed fingerprint (the same secret found by several scanners or in
-- several places is one secret); a finding without the secret value is its own secret.
with findings as (
    select
        *,
        coalesce(secret_fingerprint, finding_id) as secret_id,
        case
            when state = 'resolved' and resolved_at <= $as_of then resolution
        end as resolution_as_of
    from secret_findings_current
    where detected_at <= $as_of
),
secrets as (
    select
        secret_id,
        min(detected_at) as detected_at,
        min(committed_at) as committed_at,
        -- Ties (two scanners at the same instant) go to the smallest finding id, so that
        -- every run names the same first source, type and repository.
        arg_min(source_kind, (detected_at, finding_id)) as first_source,
        string_agg(distinct source_kind, ', ' order by source_kind) as sources,
        count(*) as findings,
        string_agg(finding_id, ' ' order by detected_at, finding_id) as finding_ids,
        -- the family (aws_access_key, ...) names one kind alike in every scanner; rows
        -- loaded before families existed fall back to the scanner's own name
        arg_min(coalesce(secret_family, secret_type), (detected_at, finding_id)) as secret_type,
        arg_min(repository, (detected_at, finding_id)) filter (where repository is not null)
            as repository,
        max(credential_key_id) as key_id,
        max(secret_hash_id) as hash_id,
        case
            when bool_or(validity = 'active') then 'active'
            when bool_or(validity = 'inactive') then 'inactive'
            else 'unknown'
        end as validity,
        arg_max(resolution_as_of, (resolved_at, finding_id))
            filter (where resolution_as_of is not null) as resolution,
        min(resolved_at) filter (where resolution_as_of = 'revoked') as revoked_at
    from findings
    group by secret_id
),
key_events as (
    select
        regexp_extract(detail, 'access_key_id=([A-Z0-9]+)', 1) as key_id,
        min(event_time) as ended_at
    from events
    where event_time <= $as_of
      and (
          event_name = 'DeleteAccessKey'
          or (event_name = 'UpdateAccessKey' and detail like '%status=Inactive%')
      )
    group by 1
),
matched as (
    select
        s.*,
        c.credential_id,
        c.identity_id
    from secrets as s
    left join credentials_current as c
        on c.credential_id = s.key_id
        or c.credential_id = s.hash_id
    qualify row_number() over (partition by s.secret_id order by c.credential_id) = 1
),
credential_ends as (
    select
        m.secret_id,
        min(coalesce(c.revoked_at, c.observed_at)) filter (
            where c.status in ('inactive', 'revoked', 'deleted')
              and coalesce(c.revoked_at, c.observed_at) <= $as_of
        ) as ended_at,
        min(c.last_rotated_at) filter (
            where c.last_rotated_at > coalesce(m.committed_at, m.detected_at)
              and c.last_rotated_at <= $as_of
        ) as rotated_at
    from matched as m
    join credentials as c
        on c.credential_id = m.credential_id
    group by m.secret_id
),
ended as (
    select
        m.*,
        i.owner_id,
        i.team,
        k.ended_at as key_disabled_at,
        e.ended_at as credential_ended_at,
        e.rotated_at,
        least(m.revoked_at, k.ended_at, e.ended_at, e.rotated_at) as remediated_at
    from matched as m
    left join key_events as k
        on k.key_id = m.key_id
    left join credential_ends as e
        on e.secret_id = m.secret_id
    left join identities_current as i
        on i.identity_id = m.identity_id
)
select
    secret_id,
    finding_ids,
    findings,
    first_source,
    sources,
    secret_type,
    repository,
    validity,
    resolution,
    key_id,
    credential_id,
    identity_id,
    owner_id,
    team,
    detected_at,
    committed_at,
    coalesce(resolution in ('false_positive', 'used_in_tests', 'pattern_edited',
                            'pattern_deleted'), false) as excluded,
    revoked_at,
    key_disabled_at,
    credential_ended_at,
    rotated_at,
    remediated_at,
    case
        when remediated_at is null then null
        when remediated_at = revoked_at then 'alert resolved as revoked'
        when remediated_at = key_disabled_at then 'access key disabled or deleted (audit log)'
        when remediated_at = credential_ended_at then 'credential no longer active (inventory)'
        else 'credential rotated after the leak (inventory)'
    end as evidence,
    remediated_at is not null as remediated,
    greatest(
        epoch(coalesce(remediated_at, $as_of::timestamptz) - detected_at) / 86400.0, 0
    ) as duration_days,
    epoch(coalesce(remediated_at, $as_of::timestamptz) - committed_at) / 86400.0
        as exposure_days,
    strftime(detected_at, '%Y-%m') as detection_month
from ended
order by detected_at, secret_id
