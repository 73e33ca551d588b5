-- grant_outlives_task: a just-in-time grant that never ends (no expiry, not revoked by
-- $as_of), or that ended more than $task_grace_minutes after the last tool call of its task.
-- Unknown when it has an end but no logged call of its task. Reads agent_grants and
-- agent_calls (tasks end at their last call in the window).
with tasks as (
    select
        task_id,
        count(*) as calls,
        max(event_time) as last_call
    from agent_calls
    where task_id is not null
    group by task_id
),
judged as (
    select
        g.*,
        t.calls,
        t.last_call,
        case
            when g.ended_at is null then 'never'
            when t.last_call is null then 'no_calls'
            when g.ended_at > t.last_call + to_minutes(cast($task_grace_minutes as integer))
                then 'late'
            else 'in_time'
        end as verdict
    from agent_grants as g
    left join tasks as t
        on t.task_id = g.task_id
)
select
    'grant_outlives_task' as check_id,
    grant_id as subject_id,
    case verdict
        when 'never' then 'fail'
        when 'late' then 'fail'
        when 'no_calls' then 'unknown'
        else 'pass'
    end as status,
    'Just-in-time grant ' || grant_id || ' of ' || identity_id || ' for task '
    || coalesce(task_id, '(none)')
    || case verdict
        when 'never' then ' has no expiry and was not revoked: standing access in all but name'
        when 'late' then
            ' ended ' || round(epoch(ended_at - last_call) / 3600.0, 1)
            || ' hours after the task''s last call'
        when 'no_calls' then ' has no logged call of its task to compare its end with'
        else ' ended within ' || $task_grace_minutes || ' minutes of the task''s last call'
    end as reason,
    case verdict
        when 'never' then 'high'
        when 'late' then 'medium'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    null as owner_id,
    null as team,
    coalesce(strftime(last_call, '%Y-%m-%dT%H:%M:%SZ'), '') as evidence
from judged
order by status, grant_id
