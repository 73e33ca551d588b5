-- credential_dormant_90d: an active credential older than $dormant_days whose last recorded
-- use (inventory last-used or audit event, whichever is later) is missing or more than
-- $dormant_days before $as_of. Reads credential_use.
select
    'credential_dormant_90d' as check_id,
    credential_id as subject_id,
    case
        when last_used_at is null
            or last_used_at <= $as_of - to_days(cast($dormant_days as integer))
            then 'fail'
        else 'pass'
    end as status,
    case
        when last_used_at is null then
            credential_type || ' ' || credential_id || ' of ' || coalesce(identity_id, '?')
            || ' is active, ' || floor(age_days)::integer
            || ' days old, and no use of it is recorded'
        else
            credential_type || ' ' || credential_id || ' of ' || coalesce(identity_id, '?')
            || ' was last used on ' || strftime(last_used_at, '%Y-%m-%d') || ', '
            || floor(epoch($as_of::timestamptz - last_used_at) / 86400)::integer
            || ' days before the as-of'
    end as reason,
    case
        when last_used_at is null
            or last_used_at <= $as_of - to_days(cast($dormant_days as integer))
            then 'medium'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    coalesce(strftime(last_used_at, '%Y-%m-%dT%H:%M:%SZ'), '') as evidence
from credential_use
where active
  and not expired
  and (created_at is null or created_at <= $as_of - to_days(cast($dormant_days as integer)))
order by status, last_used_at nulls first, credential_id
