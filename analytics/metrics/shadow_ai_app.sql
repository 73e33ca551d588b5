-- shadow_ai_app: an AI agent or app that tool-call logs show but no inventory lists, or that
-- has no owner; with no owner and no expiry on any of its credentials it has no revocation
-- path at all. Subjects: identities of kind ai_agent or app from any source, and agents
-- seen in tool calls by $as_of. Reads agent_calls.
with seen as (
    select
        agent_id,
        count(*) as calls,
        max(event_time) as last_call
    from agent_calls
    group by agent_id
),
subjects as (
    select
        i.identity_id,
        i.name,
        i.kind,
        i.owner_id,
        i.team,
        i.in_inventory,
        i.source_kind
    from identities_current as i
    where i.kind in ('ai_agent', 'app')
    union all by name
    select
        s.agent_id as identity_id,
        null as name,
        'ai_agent' as kind,
        null as owner_id,
        null as team,
        false as in_inventory,
        'agent logs' as source_kind
    from seen as s
    where s.agent_id not in (select identity_id from identities_current)
),
expiring as (
    select
        identity_id,
        count(*) as active,
        count(*) filter (where expires_at is not null) as with_expiry
    from nonhuman_credentials
    where status = 'active'
    group by identity_id
)
select
    'shadow_ai_app' as check_id,
    s.identity_id as subject_id,
    case when not s.in_inventory or s.owner_id is null then 'fail' else 'pass' end as status,
    coalesce(s.name, s.identity_id) || ' (' || s.kind || ')'
    || case
        when not s.in_inventory then
            ' is seen in ' || s.source_kind || ' but no inventory lists it'
            || coalesce(', last call ' || strftime(w.last_call, '%Y-%m-%d'), '')
        when s.owner_id is null and coalesce(e.with_expiry, 0) = 0 then
            ' has no owner and none of its ' || coalesce(e.active, 0)
            || ' active credentials expires: no revocation path'
        when s.owner_id is null then ' has no owner'
        else ' is in the inventory, owned by ' || s.owner_id
    end as reason,
    case
        when not s.in_inventory then 'high'
        when s.owner_id is null and coalesce(e.with_expiry, 0) = 0 then 'high'
        when s.owner_id is null then 'medium'
        else 'info'
    end as severity,
    s.source_kind as source,
    null as secret_type,
    null as repository,
    s.identity_id,
    s.owner_id,
    s.team,
    coalesce(cast(w.calls as varchar) || ' tool calls', '') as evidence
from subjects as s
left join seen as w
    on w.agent_id = s.identity_id
left join expiring as e
    on e.identity_id = s.identity_id
order by status, s.identity_id
