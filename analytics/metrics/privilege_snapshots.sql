-- Every authorization-details snapshot taken by $as_of, as the Allow action patterns
-- (lower-cased, NotAction aside) of each identity it lists, numbered per account from the
-- oldest (1). Each file is one snapshot, at its observed time.
with snapshot_rows as (
    select
        g.identity_id,
        regexp_extract(g.identity_id, '^arn:aws[a-z-]*:iam::([0-9]{12}):', 1) as account,
        g.file_id,
        f.observed_at as snapshot_at,
        lower(g.permission) as permission,
        g.effect,
        g.negated
    from grants as g
    join ingest_files as f
        on f.file_id = g.file_id
    where f.kind = 'aws-authorization-details'
      and f.status = 'loaded'
      and f.observed_at <= $as_of
      and g.identity_id in (select identity_id from nonhuman_identities)
),
numbered as (
    select
        account,
        file_id,
        snapshot_at,
        row_number() over (partition by account order by snapshot_at, file_id) as snapshot_no,
        count(*) over (partition by account) as snapshots
    from (select distinct account, file_id, snapshot_at from snapshot_rows)
)
select distinct
    r.identity_id,
    r.account,
    n.file_id,
    n.snapshot_at,
    n.snapshot_no,
    n.snapshots,
    case when r.effect = 'Allow' and not r.negated then r.permission end as permission
from snapshot_rows as r
join numbered as n
    on n.file_id = r.file_id
   and n.account = r.account
