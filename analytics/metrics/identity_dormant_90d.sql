-- identity_dormant_90d: a non-human AWS user or role, older than $dormant_days, of an account
-- the audit logs cover, that is the principal of no audit event in the $dormant_days before
-- $as_of. Identities other systems know (GitHub apps, SaaS bots) have no audit log here.
-- Activity comes from usage_daily (one row per UTC day; see privilege_used.sql), so that
-- usage aggregated elsewhere counts. A day row that starts by the as-of and ends after it
-- lies on the as-of's own day, and its first call stands for the last one by the as-of: the
-- same day, zero days before it, so the status and the reason are exact. The evidence is the
-- id of the last event by the as-of when the warehouse holds that event, else the usage's
-- origin.
with covered_accounts as (
    select distinct account_id
    from usage_daily
    where first_seen <= $as_of
      and account_id is not null
),
principals as (
    -- By ARN, not kind: the inventory may call an IAM user an ai_agent or a bot.
    select *
    from nonhuman_identities
    where regexp_matches(identity_id, '^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/')
      and coalesce(status, 'active') = 'active'
      and account in (select account_id from covered_accounts)
      and (created_at is null or created_at <= $as_of - to_days(cast($dormant_days as integer)))
),
last_seen as (
    select
        identity_id,
        max(case when last_seen <= $as_of then last_seen else first_seen end) as last_event,
        arg_max(origin, case when last_seen <= $as_of then last_seen else first_seen end)
            as last_origin
    from usage_daily
    where first_seen <= $as_of
      and identity_id in (select identity_id from principals)
    group by identity_id
),
last_event as (
    select
        e.identity_id,
        arg_max(e.event_id, e.event_time) as last_event_id
    from events as e
    join last_seen as l
        on l.identity_id = e.identity_id
       and e.event_time >= l.last_event
       and e.event_time < l.last_event + interval 1 day
    where e.event_time <= $as_of
    group by e.identity_id
)
select
    'identity_dormant_90d' as check_id,
    p.identity_id as subject_id,
    case
        when l.last_event is null
            or l.last_event <= $as_of - to_days(cast($dormant_days as integer))
            then 'fail'
        else 'pass'
    end as status,
    coalesce(p.name, p.identity_id)
    || case
        when l.last_event is null then ' is in no loaded audit event'
        else
            ' last acted on ' || strftime(l.last_event, '%Y-%m-%d') || ', '
            || floor(epoch($as_of::timestamptz - l.last_event) / 86400)::integer
            || ' days before the as-of'
    end as reason,
    case
        when l.last_event is null
            or l.last_event <= $as_of - to_days(cast($dormant_days as integer))
            then 'medium'
        else 'info'
    end as severity,
    p.source_kind as source,
    null as secret_type,
    null as repository,
    p.identity_id,
    p.owner_id,
    p.team,
    coalesce(v.last_event_id, 'usage from ' || l.last_origin, '') as evidence
from principals as p
left join last_seen as l
    on l.identity_id = p.identity_id
left join last_event as v
    on v.identity_id = p.identity_id
order by status, l.last_event nulls first, p.identity_id
