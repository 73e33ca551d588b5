-- Audit events of one identity ($identity_id) per day and outcome, up to $as_of, with the
-- distinct actions and source addresses of the day.
select
    date_trunc('day', event_time) as day,
    outcome,
    count(*) as events,
    count(distinct action) as actions,
    count(distinct source_ip) as addresses
from events
where identity_id = $identity_id
  and event_time <= $as_of
group by all
order by day, outcome
