-- Per account: the UTC days from its first to its last event (up to the as-of), how many
-- of them have events, and how long the account has been silent before the as-of.
with days as (
    select
        coalesce(account_id, '(no account)') as account_id,
        (event_time at time zone 'UTC')::date as day,
        count(*) as events
    from events
    where event_time <= $as_of
    group by all
)
select
    account_id,
    min(day) as first_day,
    max(day) as last_day,
    max(day) - min(day) + 1 as days_in_period,
    count(*) as days_with_events,
    max(day) - min(day) + 1 - count(*) as days_without_events,
    sum(events)::bigint as events,
    ($as_of::timestamptz at time zone 'UTC')::date - max(day) as days_silent_before_as_of
from days
group by account_id
order by account_id
