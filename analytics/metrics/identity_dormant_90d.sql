-- identity_dormant_90d: a non-human AWS user or role, older than $dormant_days, of an account
-- the audit logs cover, that is the principal of no audit event in the $dormant_days before
-- $as_of. Identities other systems know (GitHub apps, SaaS bots) have no audit log here.
with covered_accounts as (
    select distinct account_id
    from events
    where event_time <= $as_of
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
        max(event_time) as last_event,
        arg_max(event_id, event_time) as last_event_id
    from events
    where event_time <= $as_of
      and identity_id in (select identity_id from principals)
    group by identity_id
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
    coalesce(l.last_event_id, '') as evidence
from principals as p
left join last_seen as l
    on l.identity_id = p.identity_id
order by status, l.last_event nulls first, p.identity_id
