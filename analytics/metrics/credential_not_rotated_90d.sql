-- credential_not_rotated_90d: an active credential whose value has not changed for more
-- than $rotation_days before $as_of: neither created nor rotated since. Reads credential_use.
select
    'credential_not_rotated_90d' as check_id,
    credential_id as subject_id,
    case when rotation_age_days > $rotation_days then 'fail' else 'pass' end as status,
    credential_type || ' ' || credential_id || ' of ' || coalesce(identity_id, '?')
    || case
        when last_rotated_at is null then ' has never been rotated since its creation on '
        else ' was last rotated on '
    end
    || strftime(rotated_at, '%Y-%m-%d') || ', ' || floor(rotation_age_days)::integer
    || ' days before the as-of' as reason,
    case
        when rotation_age_days > 4 * $rotation_days then 'high'
        when rotation_age_days > $rotation_days then 'medium'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    strftime(rotated_at, '%Y-%m-%dT%H:%M:%SZ') as evidence
from credential_use
where active
  and not expired
  and rotated_at is not null
order by status, rotation_age_days desc, credential_id
