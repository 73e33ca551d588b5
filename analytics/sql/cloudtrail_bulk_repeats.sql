-- The records of a staged group (ct_rows: file_no, then rowid in file order) whose id is already held,
-- judged as analytics/ingest/batch.py judges them: a later record of the same id in the
-- group against the first one, a first one against the warehouse. Same content: a
-- duplicate; other content: a conflict, rejected with its reason.
create or replace temp table ct_set_aside as
with repeated as (
    select event_id
    from ct_rows
    group by event_id
    having count(*) > 1
),
ranked as (
    select
        r.rowid as seq,
        r.event_id,
        event_content_hash(r) as content,
        row_number() over (partition by r.event_id order by r.file_no, r.rowid) as n
    from ct_rows as r
    where r.event_id in (select event_id from repeated)
),
again as (
    select
        later.seq,
        later.content = earliest.content as same
    from ranked as later
    join ranked as earliest
        on earliest.event_id = later.event_id
       and earliest.n = 1
    where later.n > 1
),
held as (
    select
        r.rowid as seq,
        event_content_hash(r) = event_content_hash(e) as same
    from ct_rows as r
    join events as e
        on e.source_kind = 'cloudtrail'
       and e.event_id = r.event_id
    where r.rowid not in (select seq from again)
)
select
    seq,
    case when same then 'duplicate' else 'conflict' end as verdict
from (
    select * from again
    union all
    select * from held
)
