-- One row per credential of a non-human identity that exists at $as_of (passwords aside:
-- a password is a person's way in, see nhi_human_use): whether it is active then, its age,
-- its last rotation, its last use, and who used it in the $window_days before the as-of.
-- Last use is the later of the inventory's last-used time and the last audit event with the
-- key id or a tool call with the credential. A workload is a network (the /24 of a public
-- IPv4 address, the /64 of an IPv6 one, "private" for RFC 1918 addresses, or the AWS service
-- that called) and a client (the user agent's first product name, versions ignored); for an
-- agent's tool call, the agent.
with creds as (
    select *
    from nonhuman_credentials
    where credential_type <> 'password'
      and (created_at is null or created_at <= $as_of)
),
key_events as (
    -- The key's events grouped by what tells workloads apart, before the network and client
    -- are worked out: the regular expressions below then run once per distinct address and
    -- user agent of a key, not once per event (millions of them in a large trail).
    select
        access_key_id,
        source_kind in ('agent-gateway', 'otel-genai') as agent_call,
        source_ip,
        case
            when source_kind in ('agent-gateway', 'otel-genai') then identity_id
            else user_agent
        end as caller,
        account_id,
        event_time > $as_of - to_days(cast($window_days as integer)) as in_window,
        max(event_time) as last_event,
        count(*) as events
    from events
    where access_key_id in (select credential_id from creds)
      and event_time <= $as_of
    group by all
),
key_workloads as (
    select
        access_key_id,
        account_id,
        in_window,
        last_event,
        events,
        case
            when agent_call then 'agent'
            when source_ip is null or source_ip = '' then 'unknown'
            when regexp_matches(source_ip, '^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.)')
                then 'private'
            when regexp_matches(source_ip, '^[0-9]{1,3}(\.[0-9]{1,3}){3}$')
                then regexp_extract(source_ip, '^([0-9]+\.[0-9]+\.[0-9]+)\.', 1) || '.0/24'
            when source_ip like '%:%'
                then array_to_string(string_split(source_ip, ':')[1:4], ':') || '::/64'
            else lower(source_ip)
        end as network,
        case
            when agent_call then caller
            else coalesce(nullif(regexp_extract(caller, '^[^/ ]*'), ''), 'unknown')
        end as client
    from key_events
),
key_use as (
    select
        access_key_id,
        max(last_event) as last_event,
        cast(coalesce(sum(events) filter (where in_window), 0) as bigint) as window_events,
        list(distinct network || ' ' || client order by network || ' ' || client) filter (
            where in_window
        ) as workloads,
        list(distinct account_id order by account_id) filter (
            where in_window
              and account_id is not null
        ) as accounts
    from key_workloads
    group by access_key_id
)
select
    c.credential_id,
    c.identity_id,
    c.credential_type,
    c.provider,
    c.status,
    c.source_kind,
    c.created_at,
    c.expires_at,
    c.last_rotated_at,
    c.revoked_at,
    n.owner_id,
    n.team,
    n.environment,
    c.status = 'active'
    or (c.status in ('inactive', 'revoked', 'deleted') and c.revoked_at > $as_of) as active,
    c.expires_at is not null and c.expires_at <= $as_of as expired,
    greatest(c.created_at, c.last_rotated_at) as rotated_at,
    epoch($as_of::timestamptz - c.created_at) / 86400.0 as age_days,
    epoch($as_of::timestamptz - greatest(c.created_at, c.last_rotated_at)) / 86400.0
        as rotation_age_days,
    greatest(
        case when c.last_used_at <= $as_of then c.last_used_at end,
        u.last_event
    ) as last_used_at,
    coalesce(u.window_events, 0) as window_events,
    coalesce(u.workloads, []) as workloads,
    coalesce(u.accounts, []) as accounts
from creds as c
left join key_use as u
    on u.access_key_id = c.credential_id
left join nonhuman_identities as n
    on n.identity_id = c.identity_id
