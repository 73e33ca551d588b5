-- credential_long_lived_365d: an active credential created more than $max_age_days before
-- $as_of. Age counts from creation: a rotation keeps the credential and changes its value.
-- Reads credential_use.
select
    'credential_long_lived_365d' as check_id,
    credential_id as subject_id,
    case when age_days > $max_age_days then 'fail' else 'pass' end as status,
    credential_type || ' ' || credential_id || ' of ' || coalesce(identity_id, '?')
    || ' was created on ' || strftime(created_at, '%Y-%m-%d') || ', '
    || floor(age_days)::integer || ' days before the as-of, and '
    || case
        when expires_at is null then 'never expires'
        else 'expires on ' || strftime(expires_at, '%Y-%m-%d')
    end as reason,
    case
        when age_days > $max_age_days and expires_at is null then 'high'
        when age_days > $max_age_days then 'medium'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') as evidence
from credential_use
where active
  and not expired
  and created_at is not null
order by status, age_days desc, credential_id
