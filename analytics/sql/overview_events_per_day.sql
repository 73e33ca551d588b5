-- Audit events per account and UTC day, up to the as-of, with the source kinds they came
-- from. Days with no event have no row.
select
    coalesce(account_id, '(no account)') as account_id,
    (event_time at time zone 'UTC')::date as day,
    count(*) as events,
    string_agg(distinct source_kind, ', ' order by source_kind) as sources
from events
where event_time <= $as_of
group by all
order by
    account_id,
    day
