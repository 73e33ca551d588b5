-- secret_resolved_but_credential_active: an alert says the secret was revoked, yet the
-- credential it exposes was still active at $as_of, or was used after the revocation.
-- Reads the temporary tables ttr_secrets and ttr_key_events (analytics.metrics.ttr.checks):
-- the latter holds only successful calls up to the as-of.
with revoked as (
    select *
    from ttr_secrets
    where resolution = 'revoked'
),
used_after as (
    select
        r.secret_id,
        count(*) as uses,
        -- the event id breaks ties of time, so that the evidence reads alike on every run
        string_agg(e.event_id, ' ' order by e.event_time, e.event_id) as event_ids
    from revoked as r
    join ttr_key_events as e
        on e.key_id = r.key_id
       and e.event_time > r.revoked_at
    group by r.secret_id
)
select
    'secret_resolved_but_credential_active' as check_id,
    r.secret_id as subject_id,
    case
        when u.uses > 0 then 'fail'
        when r.credential_id is null then 'unknown'
        when r.key_disabled_at is null
         and r.credential_ended_at is null
         and r.rotated_at is null then 'fail'
        else 'pass'
    end as status,
    case
        when u.uses > 0 then
            'Secret ' || r.finding_ids || ' was marked revoked on '
            || strftime(r.revoked_at, '%Y-%m-%d') || ' but its credential ' || r.credential_id
            || ' made ' || u.uses || ' successful calls afterwards'
        when r.credential_id is null then
            'Secret ' || r.finding_ids || ' was marked revoked, but no credential in the '
            || 'inventory or audit log matches it, so the revocation cannot be confirmed'
        when r.key_disabled_at is null
         and r.credential_ended_at is null
         and r.rotated_at is null then
            'Secret ' || r.finding_ids || ' was marked revoked on '
            || strftime(r.revoked_at, '%Y-%m-%d') || ' but its credential ' || r.credential_id
            || ' was still active on ' || strftime($as_of::timestamptz, '%Y-%m-%d')
        else
            'Secret ' || r.finding_ids || ' was marked revoked and its credential '
            || r.credential_id || ' was disabled, deleted or rotated'
    end as reason,
    case
        when u.uses > 0 then 'critical'
        when r.credential_id is null then 'info'
        else 'high'
    end as severity,
    r.first_source as source,
    r.secret_type,
    r.repository,
    r.identity_id,
    r.owner_id,
    r.team,
    coalesce(u.event_ids, '') as evidence
from revoked as r
left join used_after as u
    on u.secret_id = r.secret_id
order by status, r.revoked_at
