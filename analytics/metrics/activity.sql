-- Audit-log activity and standing privilege, as of $as_of.
-- Dormant: a non-human AWS user or role of an account the logs cover, older than $dormant_days,
-- with no event in the $dormant_days before $as_of. Event counts read events; the dormant
-- count reads usage_daily, which also holds usage aggregated elsewhere (nhi-risk aggregate).
with window_events as (
    -- Cloud audit logs only: agents' tool calls have metrics of their own (agents.*).
    select *
    from events
    where event_time <= $as_of
      and source_kind = 'cloudtrail'
),
covered_accounts as (
    -- From usage_daily, as identity_dormant_90d.sql: usage aggregated elsewhere counts.
    select distinct account_id
    from usage_daily
    where first_seen <= $as_of
      and source_kind = 'cloudtrail'
      and account_id is not null
),
aws_principals as (
    -- By ARN, not kind: the inventory may call an IAM user an ai_agent or a bot.
    select *
    from nonhuman_identities
    where regexp_matches(identity_id, '^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/')
      and coalesce(status, 'active') = 'active'
      and account in (select account_id from covered_accounts)
      and (created_at is null or created_at <= $as_of - to_days($dormant_days))
),
recent as (
    -- Day rows of usage_daily; exact for a threshold of a day or more (privilege_used.sql).
    select distinct identity_id
    from usage_daily
    where first_seen <= $as_of
      and last_seen > $as_of - to_days($dormant_days)
      and source_kind = 'cloudtrail'
),
latest_grants as (
    select *
    from grants
    where file_id in (
        select file_id
        from ingest_files
        where kind = 'aws-authorization-details'
          and status = 'loaded'
          and observed_at <= $as_of
        qualify row_number() over (order by observed_at desc, file_id desc) = 1
    )
)
select
    (select count(*) from window_events) as events_total,
    (select min(event_time) from window_events) as events_first,
    (select max(event_time) from window_events) as events_last,
    (
        select count(distinct identity_id)
        from window_events
        where identity_id like 'arn:%'
    ) as principals_active,
    (select count(distinct account_id) from window_events) as accounts_covered,
    (
        select count(*)
        from window_events
        where outcome = 'failure'
    ) as events_failed,
    (
        select count(*)
        from aws_principals
        where identity_id not in (select identity_id from recent where identity_id is not null)
    ) as identities_dormant,
    (
        select count(distinct identity_id)
        from latest_grants
        where effect = 'Allow'
          and not negated
          and permission = '*'
          and resource = '*'
          and identity_id in (select identity_id from nonhuman_identities)
    ) as identities_admin_equivalent
