-- Granted actions per identity, wildcards expanded over the actions the warehouse knows of
-- the identity's system: every action an audit event names, and every action a grant names
-- without a wildcard.
-- An action is granted when an Allow grant's pattern matches it (or, for NotAction, does
-- not), unless an unconditional Deny on every resource matches it. Reads privilege_grants.
with identity_domain as (
    -- Patterns match within one system: an AWS "*" grants AWS actions, not GitHub scopes.
    select distinct
        identity_id,
        case
            when identity_id like 'arn:aws%' then 'aws'
            else 'other:' || coalesce(source_kind, '') || ':' || split_part(identity_id, ':', 1)
        end as domain
    from privilege_grants
),
known_actions as (
    select
        'aws' as domain,
        iam_action(action) as action
    from (
        -- The distinct actions first: iam_action() then runs once per action, not once per
        -- event. The union below removes the duplicates it makes.
        select distinct action
        from usage_daily
        where first_seen <= $as_of
          and source_kind = 'cloudtrail'
          and action like '%:%'
    )
    union
    select distinct
        d.domain,
        g.permission
    from privilege_grants as g
    join identity_domain as d
        on d.identity_id = g.identity_id
    where g.permission like '%:%'
      and not regexp_matches(g.permission, '[*?]')
),
patterns as (
    select distinct
        g.identity_id,
        d.domain,
        g.effect,
        g.negated,
        g.conditional,
        g.resource,
        replace(replace(replace(g.permission, '_', '\_'), '*', '%'), '?', '_') as pattern
    from privilege_grants as g
    join identity_domain as d
        on d.identity_id = g.identity_id
),
allowed as (
    select distinct
        p.identity_id,
        k.action
    from patterns as p
    join known_actions as k
        on k.domain = p.domain
       and (k.action like p.pattern escape '\') <> p.negated
    where p.effect = 'Allow'
),
denied as (
    select distinct
        p.identity_id,
        k.action
    from patterns as p
    join known_actions as k
        on k.domain = p.domain
       and (k.action like p.pattern escape '\') <> p.negated
    where p.effect = 'Deny'
      and not p.conditional
      and p.resource = '*'
)
select
    a.identity_id,
    a.action,
    split_part(a.action, ':', 1) as service
from allowed as a
anti join denied as d
    on d.identity_id = a.identity_id
   and d.action = a.action
