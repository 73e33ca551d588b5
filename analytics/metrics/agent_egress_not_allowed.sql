-- agent_egress_not_allowed: an allowed tool call to a host that the agent's sandbox does not
-- allow (the sandbox the call names, else the one whose policy lists the agent). A call the
-- gateway denied did not leave: it passes. Unknown when no sandbox policy covers the agent.
-- Reads agent_calls and agent_sandboxes.
with membership as (
    select
        a.agent_id,
        min(s.sandbox_id) as sandbox_id
    from agent_sandboxes as s
    cross join unnest(s.agents) as a(agent_id)
    group by a.agent_id
),
placed as (
    select
        c.*,
        coalesce(c.sandbox_id, m.sandbox_id) as in_sandbox
    from agent_calls as c
    left join membership as m
        on m.agent_id = c.agent_id
    where c.target_host is not null
),
judged as (
    select
        p.*,
        s.sandbox_id as policy,
        s.egress_allow,
        exists (
            select 1
            from unnest(s.egress_allow) as e(pattern)
            where p.target_host like replace(
                replace(replace(replace(e.pattern, '_', '\_'), '%', '\%'), '*', '%'), '?', '_'
            ) escape '\'
        ) as allowed_host
    from placed as p
    left join agent_sandboxes as s
        on s.sandbox_id = p.in_sandbox
)
select
    'agent_egress_not_allowed' as check_id,
    event_id as subject_id,
    case
        when policy is null then 'unknown'
        when allowed_host then 'pass'
        when outcome = 'failure' then 'pass'
        else 'fail'
    end as status,
    'Call ' || event_id || ' by ' || agent_id || ' reached ' || target_host
    || case
        when policy is null then ', and no loaded sandbox policy covers the agent'
        when allowed_host then ', which sandbox ' || policy || ' allows'
        when outcome = 'failure' then
            ', outside sandbox ' || policy || '''s allowlist, but the gateway denied it'
        else
            ', outside sandbox ' || policy || '''s allowlist ('
            || array_to_string(egress_allow, ', ') || ')'
    end as reason,
    case
        when policy is not null and not allowed_host and outcome <> 'failure' then 'high'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    agent_id as identity_id,
    null as owner_id,
    null as team,
    coalesce(policy, '') as evidence
from judged
order by status, event_time, event_id
