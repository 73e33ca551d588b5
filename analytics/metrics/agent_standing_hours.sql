-- Hours each agent held just-in-time grants after its tasks' last logged call, up to
-- $as_of: per grant, from the task's last call to the grant's end (the as-of when it has
-- not ended), summed per agent. Reads agent_grants and agent_calls.
with tasks as (
    select
        task_id,
        max(event_time) as last_call
    from agent_calls
    where task_id is not null
    group by task_id
),
spans as (
    select
        g.identity_id,
        g.grant_id,
        greatest(
            epoch(least(coalesce(g.ended_at, $as_of::timestamptz), $as_of::timestamptz) - t.last_call),
            0
        ) / 3600.0 as hours
    from agent_grants as g
    join tasks as t
        on t.task_id = g.task_id
)
select
    identity_id as agent_id,
    count(*) as grants,
    sum(hours) as hours
from spans
group by identity_id
order by hours desc, agent_id
