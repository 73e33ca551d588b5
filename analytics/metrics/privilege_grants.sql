-- The standing grants in force at $as_of, one row per grant of any identity (people's too:
-- an agent acting with a person's key reaches what that person may do).
-- For each AWS account, the newest authorization-details snapshot taken by the as-of; for an
-- identity that no such snapshot lists, the newest inventory grants file by the as-of, less
-- grants not yet made, expired or revoked by then. Just-in-time grants are left out: they
-- are access for a task, not standing access.
with snapshot_files as (
    select
        file_id,
        kind,
        observed_at
    from ingest_files
    where kind in ('aws-authorization-details', 'inventory-csv')
      and status = 'loaded'
      and observed_at <= $as_of
),
auth_accounts as (
    select distinct
        regexp_extract(g.identity_id, '^arn:aws[a-z-]*:iam::([0-9]{12}):', 1) as account,
        f.file_id,
        f.observed_at
    from grants as g
    join snapshot_files as f
        on f.file_id = g.file_id
    where f.kind = 'aws-authorization-details'
),
auth_latest as (
    select
        account,
        file_id,
        observed_at
    from auth_accounts
    qualify row_number() over (
        partition by account order by observed_at desc, file_id desc
    ) = 1
),
auth as (
    select
        g.*,
        a.observed_at as snapshot_at
    from grants as g
    join auth_latest as a
        on a.file_id = g.file_id
       and regexp_extract(g.identity_id, '^arn:aws[a-z-]*:iam::([0-9]{12}):', 1) = a.account
),
inventory_file as (
    select
        f.file_id,
        f.observed_at
    from snapshot_files as f
    where f.kind = 'inventory-csv'
      and exists (select 1 from grants as g where g.file_id = f.file_id)
    order by f.observed_at desc, f.file_id desc
    limit 1
),
inventory as (
    select
        g.*,
        i.observed_at as snapshot_at
    from grants as g
    join inventory_file as i
        on i.file_id = g.file_id
    where g.grant_type = 'standing'
      and (g.granted_at is null or g.granted_at <= $as_of)
      and (g.expires_at is null or g.expires_at > $as_of)
      and (g.revoked_at is null or g.revoked_at > $as_of)
      and g.identity_id not in (select identity_id from auth)
)
select
    identity_id,
    lower(permission) as permission,
    resource,
    effect,
    negated,
    conditional,
    via,
    source_kind,
    file_id,
    snapshot_at
from (
    select * from auth
    union all by name
    select * from inventory
)
