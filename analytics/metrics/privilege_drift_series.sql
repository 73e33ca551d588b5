-- Privilege drift between consecutive snapshots of each account: the Allow action patterns
-- each identity gained and lost from one authorization-details snapshot to the next.
-- Reads privilege_snapshots.
with snapshots as (
    -- One row per snapshot before pairing them: privilege_snapshots has a row per identity
    -- and permission, and joining those rows to each other makes millions of pairs.
    select distinct
        account,
        snapshot_no,
        snapshot_at,
        file_id
    from privilege_snapshots
),
pairs as (
    select
        a.account,
        a.snapshot_no,
        a.snapshot_at as from_at,
        b.snapshot_at as to_at,
        a.file_id as from_file,
        b.file_id as to_file
    from snapshots as a
    join snapshots as b
        on b.account = a.account
       and b.snapshot_no = a.snapshot_no + 1
),
held as (
    select distinct
        identity_id,
        file_id,
        permission
    from privilege_snapshots
    where permission is not null
),
listed as (
    select distinct
        identity_id,
        file_id
    from privilege_snapshots
),
both_listed as (
    select
        p.*,
        l.identity_id
    from pairs as p
    join listed as l
        on l.file_id = p.from_file
    join listed as later
        on later.file_id = p.to_file
       and later.identity_id = l.identity_id
),
changes as (
    select
        b.account,
        b.from_at,
        b.to_at,
        b.identity_id,
        h.permission,
        'added' as change
    from both_listed as b
    join held as h
        on h.file_id = b.to_file
       and h.identity_id = b.identity_id
    anti join held as prior
        on prior.file_id = b.from_file
       and prior.identity_id = b.identity_id
       and prior.permission = h.permission
    union all
    select
        b.account,
        b.from_at,
        b.to_at,
        b.identity_id,
        h.permission,
        'removed' as change
    from both_listed as b
    join held as h
        on h.file_id = b.from_file
       and h.identity_id = b.identity_id
    anti join held as kept
        on kept.file_id = b.to_file
       and kept.identity_id = b.identity_id
       and kept.permission = h.permission
)
select
    account,
    from_at,
    to_at,
    identity_id,
    count(*) filter (where change = 'added') as added,
    count(*) filter (where change = 'removed') as removed,
    coalesce(
        list(permission order by permission) filter (where change = 'added'), []
    ) as added_permissions,
    coalesce(
        list(permission order by permission) filter (where change = 'removed'), []
    ) as removed_permissions
from changes
group by all
