-- Runs of at least $gap_days consecutive UTC days with no audit event, inside each account's
-- covered period (its first to its last event day, up to the as-of).
with days as (
    select distinct
        coalesce(account_id, '(no account)') as account_id,
        (event_time at time zone 'UTC')::date as day
    from events
    where event_time <= $as_of
),
steps as (
    select
        account_id,
        lag(day) over (partition by account_id order by day) as previous_day,
        day
    from days
)
select
    account_id,
    previous_day + 1 as gap_start,
    day - 1 as gap_end,
    day - previous_day - 1 as gap_days
from steps
where day - previous_day - 1 >= $gap_days
order by
    account_id,
    gap_start
