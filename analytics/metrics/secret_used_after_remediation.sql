-- secret_used_after_remediation: the access key of a remediated secret made successful
-- calls after its remediation time, up to $as_of. Only AWS access keys can be seen in
-- use (CloudTrail records the key id); failed calls with a dead key are not use.
-- Reads the temporary tables ttr_secrets and ttr_key_events (analytics.metrics.ttr.checks):
-- the latter holds only successful calls up to the as-of.
with remediated as (
    select *
    from ttr_secrets
    where remediated
      and key_id is not null
      and not excluded
),
used_after as (
    select
        r.secret_id,
        count(*) as uses,
        min(e.event_time) as first_use,
        -- the event id breaks ties of time, so that the evidence reads alike on every run
        string_agg(e.event_id, ' ' order by e.event_time, e.event_id) as event_ids
    from remediated as r
    join ttr_key_events as e
        on e.key_id = r.key_id
       and e.event_time > r.remediated_at
    group by r.secret_id
)
select
    'secret_used_after_remediation' as check_id,
    r.secret_id as subject_id,
    case when u.uses > 0 then 'fail' else 'pass' end as status,
    case
        when u.uses > 0 then
            'Access key ' || r.key_id || ' of secret ' || r.finding_ids || ' made ' || u.uses
            || ' successful calls after it was remediated on '
            || strftime(r.remediated_at, '%Y-%m-%d %H:%M') || ' UTC (' || r.evidence
            || '), the first on ' || strftime(u.first_use, '%Y-%m-%d %H:%M') || ' UTC'
        else
            'Access key ' || r.key_id || ' of secret ' || r.finding_ids
            || ' made no successful call after it was remediated on '
            || strftime(r.remediated_at, '%Y-%m-%d')
    end as reason,
    case when u.uses > 0 then 'critical' else 'info' end as severity,
    r.first_source as source,
    r.secret_type,
    r.repository,
    r.identity_id,
    r.owner_id,
    r.team,
    coalesce(u.event_ids, '') as evidence
from remediated as r
left join used_after as u
    on u.secret_id = r.secret_id
order by status, r.remediated_at
