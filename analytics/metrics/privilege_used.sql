-- The actions each identity used: successful calls in the $window_days before $as_of, per
-- identity and IAM action (iam_action_macro.sql: lower-cased, as IAM compares them), from
-- usage_daily, so that usage aggregated elsewhere (nhi-risk aggregate) counts as the
-- warehouse's own.
--
-- A usage row holds the calls of one UTC day, first_seen to last_seen. "Used in the window
-- (start, as_of]" is tested as last_seen > start and first_seen <= as_of, which is exact
-- while the window is at least one day long: when the test holds, the row's first or last
-- call lies in the window, for otherwise the first is at or before the start and the last
-- after the as-of, and the row would span more than the window, while calls of one day span
-- less than a day. Counts and first or last times may include calls of the two edge days
-- (the start's and the as-of's) that fall outside the window: those days count whole.
with used as (
    -- Summed per action first: iam_action() then runs once per identity and action.
    select
        identity_id,
        action,
        sum(calls) as calls,
        min(first_seen) as first_used,
        max(last_seen) as last_used
    from usage_daily
    where first_seen <= $as_of
      and last_seen > $as_of - to_days(cast($window_days as integer))
      and outcome = 'success'
      and identity_id is not null
    group by identity_id, action
)
select
    identity_id,
    iam_action(action) as action,
    split_part(iam_action(action), ':', 1) as service,
    sum(calls) as calls,
    min(first_used) as first_used,
    max(last_used) as last_used
from used
group by all
