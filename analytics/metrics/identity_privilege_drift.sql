-- identity_privilege_drift: a non-human identity whose Allow action patterns grew between
-- the first and the last authorization-details snapshot by $as_of, while it made no
-- successful call that any added pattern allows since the snapshot that first showed it.
-- Unknown when its account has one snapshot, or the identity is missing from the first.
-- Reads privilege_snapshots, and usage_daily for the use.
with latest as (
    select distinct
        identity_id,
        account,
        snapshots
    from privilege_snapshots
    where snapshot_no = snapshots
),
first_listed as (
    select distinct identity_id
    from privilege_snapshots
    where snapshot_no = 1
),
held_first as (
    select distinct
        identity_id,
        permission
    from privilege_snapshots
    where snapshot_no = 1
      and permission is not null
),
held_last as (
    select distinct
        identity_id,
        permission
    from privilege_snapshots
    where snapshot_no = snapshots
      and permission is not null
),
added as (
    select
        l.identity_id,
        l.permission,
        (
            select min(s.snapshot_at)
            from privilege_snapshots as s
            where s.identity_id = l.identity_id
              and s.permission = l.permission
        ) as added_at
    from held_last as l
    anti join held_first as f
        on f.identity_id = l.identity_id
       and f.permission = l.permission
    where l.identity_id in (select identity_id from first_listed)
),
removed as (
    select
        f.identity_id,
        count(*) as removed
    from held_first as f
    anti join held_last as l
        on l.identity_id = f.identity_id
       and l.permission = f.permission
    group by f.identity_id
),
added_use as (
    -- Successful calls from the snapshot that added a pattern to the as-of, from usage_daily
    -- (see privilege_used.sql for the day rows' edge rule). The window [added_at, as_of] is
    -- exact when it is at least a day long; shorter (a snapshot taken hours before the as-of),
    -- calls of that day on both sides of the window count as use inside it. calls counts
    -- whole days at the edges.
    select
        a.identity_id,
        a.permission,
        a.added_at,
        coalesce(sum(u.calls), 0) as calls
    from added as a
    left join usage_daily as u
        on u.identity_id = a.identity_id
       and u.last_seen >= a.added_at
       and u.first_seen <= $as_of
       and u.outcome = 'success'
       and iam_action(u.action) like replace(
           replace(replace(a.permission, '_', '\_'), '*', '%'), '?', '_'
       ) escape '\'
    group by all
),
growth as (
    select
        identity_id,
        count(*) as added,
        count(*) filter (where calls > 0) as added_used,
        list(permission order by permission) as added_permissions,
        bool_or(permission in ('*', '*:*')) as added_admin
    from added_use
    group by identity_id
)
select
    'identity_privilege_drift' as check_id,
    l.identity_id as subject_id,
    case
        when l.snapshots < 2 or l.identity_id not in (select identity_id from first_listed)
            then 'unknown'
        when coalesce(g.added, 0) > 0 and g.added_used = 0 then 'fail'
        else 'pass'
    end as status,
    case
        when l.snapshots < 2 then
            coalesce(n.name, l.identity_id)
            || ': one authorization-details snapshot of its account, nothing to compare'
        when l.identity_id not in (select identity_id from first_listed) then
            coalesce(n.name, l.identity_id) || ' is not in the first snapshot of its account'
        when coalesce(g.added, 0) > 0 then
            coalesce(n.name, l.identity_id) || ' gained ' || g.added || ' action patterns ('
            || array_to_string(g.added_permissions, ', ') || ') and lost '
            || coalesce(r.removed, 0) || ' since the first snapshot; '
            || case
                when g.added_used = 0 then 'it made no successful call that they allow'
                else g.added_used || ' of the added patterns were used'
            end
        else
            coalesce(n.name, l.identity_id) || ' gained no action pattern and lost '
            || coalesce(r.removed, 0) || ' since the first snapshot'
    end as reason,
    case
        when g.added > 0 and g.added_used = 0 and g.added_admin then 'high'
        when g.added > 0 and g.added_used = 0 then 'medium'
        else 'info'
    end as severity,
    'aws-authorization-details' as source,
    null as secret_type,
    null as repository,
    l.identity_id,
    n.owner_id,
    n.team,
    coalesce(array_to_string(g.added_permissions, ' '), '') as evidence
from latest as l
left join growth as g
    on g.identity_id = l.identity_id
left join removed as r
    on r.identity_id = l.identity_id
left join nonhuman_identities as n
    on n.identity_id = l.identity_id
order by status, l.identity_id
