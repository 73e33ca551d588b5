-- agent_inherited_credential: an agent whose allowed tool calls used a credential that belongs
-- to someone else: a person, or another identity. The owner is the credential's holder in
-- the inventory, else the IAM user CloudTrail shows using that key. The blast radius is what
-- the owner may do (privilege_granted), not only what the agent did. Unknown when no loaded
-- source names the owner. Reads agent_calls and the privilege tables.
with pairs as (
    select
        agent_id,
        credential_id,
        count(*) as calls,
        min(event_time) as first_call,
        list(distinct tool order by tool) as tools
    from agent_calls
    where credential_id is not null
      and outcome = 'success'
    group by agent_id, credential_id
),
trail_owner as (
    select
        access_key_id,
        arg_max(identity_id, event_time) as identity_id
    from events
    where source_kind = 'cloudtrail'
      and principal_type = 'IAMUser'
      and access_key_id in (select credential_id from pairs)
      and event_time <= $as_of
    group by access_key_id
),
owned as (
    select
        p.*,
        coalesce(c.identity_id, t.identity_id) as owner,
        case
            when i.identity_id is null then 'an identity no inventory describes'
            when i.identity_id in (select identity_id from nonhuman_identities)
                then 'another identity'
            else 'a person'
        end as owner_class
    from pairs as p
    left join credentials_current as c
        on c.credential_id = p.credential_id
    left join trail_owner as t
        on t.access_key_id = p.credential_id
    left join identities_current as i
        on i.identity_id = coalesce(c.identity_id, t.identity_id)
),
reach as (
    select
        identity_id,
        count(*) as actions,
        list(distinct service order by service) as services
    from privilege_granted
    group by identity_id
)
select
    'agent_inherited_credential' as check_id,
    o.agent_id || '|' || o.credential_id as subject_id,
    case
        when o.owner is null then 'unknown'
        when o.owner = o.agent_id then 'pass'
        else 'fail'
    end as status,
    'Agent ' || o.agent_id || ' made ' || o.calls || ' calls with credential '
    || o.credential_id
    || case
        when o.owner is null then ', whose owner no loaded source names'
        when o.owner = o.agent_id then ', its own'
        else
            ', which belongs to '
            || o.owner_class || ', ' || o.owner || '; through it the agent may do ' || coalesce(r.actions, 0)
            || ' known actions in ' || coalesce(len(r.services), 0) || ' services'
    end as reason,
    case
        when o.owner is null or o.owner = o.agent_id then 'info'
        when o.owner_class = 'a person' then 'critical'
        else 'high'
    end as severity,
    'agent-gateway' as source,
    null as secret_type,
    null as repository,
    o.agent_id as identity_id,
    null as owner_id,
    null as team,
    coalesce(o.owner, '') || coalesce(' ' || array_to_string(r.services, ' '), '') as evidence
from owned as o
left join reach as r
    on r.identity_id = o.owner
order by status, subject_id
