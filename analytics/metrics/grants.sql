-- Grants of the newest inventory grants file (a snapshot), counted by type.
with latest_file as (
    select g.file_id
    from grants as g
    join ingest_files as f
        on f.file_id = g.file_id
    where g.source_kind = 'inventory-csv'
    order by f.observed_at desc, g.file_id desc
    limit 1
)
select
    count(*) filter (where grant_type = 'jit') as jit_total,
    count(*) filter (
        where grant_type = 'jit'
          and expires_at is null
          and revoked_at is null
    ) as jit_never_expire,
    count(*) filter (where grant_type = 'standing') as standing_total
from grants
where file_id in (select file_id from latest_file)
