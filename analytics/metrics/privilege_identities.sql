-- One row per non-human identity with standing grants at $as_of: what it may do against
-- what it did in the $window_days before the as-of. Reads privilege_grants,
-- privilege_granted and privilege_used.
with covered_accounts as (
    -- Accounts some audit event of the window names (tool calls name none), from the daily
    -- usage: exact by the edge-day rule of privilege_used.sql.
    select distinct account_id
    from usage_daily
    where first_seen <= $as_of
      and last_seen > $as_of - to_days(cast($window_days as integer))
      and account_id is not null
),
granted as (
    select
        g.identity_id,
        count(*) as granted_actions,
        count(u.action) as used_actions,
        count(distinct g.service) as granted_services
    from privilege_granted as g
    left join privilege_used as u
        on u.identity_id = g.identity_id
       and u.action = g.action
    group by g.identity_id
),
unused_services as (
    select
        g.identity_id,
        list(g.service order by g.service) as unused_services
    from (select distinct identity_id, service from privilege_granted) as g
    anti join (select distinct identity_id, service from privilege_used) as u
        on u.identity_id = g.identity_id
       and u.service = g.service
    group by g.identity_id
),
per_identity as (
    select
        identity_id,
        bool_or(
            effect = 'Allow'
            and not negated
            and permission in ('*', '*:*')
            and coalesce(resource, '*') = '*'
        ) as admin_equivalent,
        string_agg(distinct via, '; ' order by via) filter (
            where effect = 'Allow'
              and not negated
              and permission in ('*', '*:*')
              and coalesce(resource, '*') = '*'
        ) as admin_via,
        count(*) as grants,
        string_agg(distinct source_kind, ', ' order by source_kind) as grant_source,
        max(snapshot_at) as snapshot_at
    from privilege_grants
    group by identity_id
)
select
    p.identity_id,
    n.name,
    n.kind,
    n.account,
    n.environment,
    n.owner_id,
    n.team,
    n.created_at,
    p.grant_source,
    p.snapshot_at,
    p.grants,
    p.admin_equivalent,
    p.admin_via,
    coalesce(g.granted_actions, 0) as granted_actions,
    coalesce(g.used_actions, 0) as used_actions,
    coalesce(g.granted_actions, 0) - coalesce(g.used_actions, 0) as unused_actions,
    case
        when coalesce(g.granted_actions, 0) > 0 then
            (g.granted_actions - g.used_actions) / g.granted_actions
    end as unused_share,
    coalesce(g.granted_services, 0) as granted_services,
    coalesce(s.unused_services, []) as unused_services,
    coalesce(n.account in (select account_id from covered_accounts), false) as logs_cover,
    n.created_at is null
    or n.created_at <= $as_of - to_days(cast($window_days as integer)) as older_than_window
from per_identity as p
join nonhuman_identities as n
    on n.identity_id = p.identity_id
left join granted as g
    on g.identity_id = p.identity_id
left join unused_services as s
    on s.identity_id = p.identity_id
