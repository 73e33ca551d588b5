-- The actions each identity used: successful audit events in the $window_days before $as_of,
-- per identity and IAM action (iam_action_macro.sql: lower-cased, as IAM compares them).
select
    identity_id,
    iam_action(action) as action,
    split_part(iam_action(action), ':', 1) as service,
    count(*) as calls,
    min(event_time) as first_used,
    max(event_time) as last_used
from events
where event_time <= $as_of
  and event_time > $as_of - to_days(cast($window_days as integer))
  and outcome = 'success'
  and identity_id is not null
group by all
