-- agent_call_without_jit_grant: an agent's tool call that no task-scoped grant covered: no
-- grant (a standing credential), or a grant that is not a just-in-time grant of this agent
-- for this task, valid at the time of the call. Traces (otel-genai) state no grant: unknown.
-- Reads agent_calls and agent_grants.
with judged as (
    select
        c.*,
        g.grant_id as known_grant,
        g.identity_id as grant_holder,
        g.task_id as grant_task,
        g.granted_at,
        g.ended_at,
        coalesce(
            g.identity_id = c.agent_id
            and g.task_id = c.task_id
            and (g.granted_at is null or g.granted_at <= c.event_time)
            and (g.ended_at is null or c.event_time < g.ended_at),
            false
        ) as covered
    from agent_calls as c
    left join agent_grants as g
        on g.grant_id = c.grant_id
)
select
    'agent_call_without_jit_grant' as check_id,
    event_id as subject_id,
    case
        when source_kind = 'otel-genai' then 'unknown'
        when covered then 'pass'
        else 'fail'
    end as status,
    'Call ' || event_id || ' by ' || agent_id || ' to ' || tool || ' for task '
    || coalesce(task_id, '(none)')
    || case
        when source_kind = 'otel-genai' then ' is from a trace, which names no grant'
        when grant_id is null then
            ' ran with a standing credential ' || coalesce(credential_id, '(unnamed)')
            || ', under no grant'
        when known_grant is null then ' names grant ' || grant_id || ', which no inventory lists'
        when grant_holder <> agent_id then
            ' ran under grant ' || grant_id || ' of another identity, ' || grant_holder
        when grant_task is distinct from task_id then
            ' ran under grant ' || grant_id || ', issued for task ' || coalesce(grant_task, '(none)')
        when granted_at > event_time then
            ' ran before its grant ' || grant_id || ' was issued on '
            || strftime(granted_at, '%Y-%m-%d %H:%M')
        when ended_at <= event_time then
            ' ran after its grant ' || grant_id || ' ended on '
            || strftime(ended_at, '%Y-%m-%d %H:%M')
        else ' ran under just-in-time grant ' || grant_id
    end as reason,
    case when source_kind <> 'otel-genai' and not covered then 'medium' else 'info' end
        as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    agent_id as identity_id,
    null as owner_id,
    null as team,
    coalesce(grant_id, credential_id, '') as evidence
from judged
order by status, event_time, event_id
