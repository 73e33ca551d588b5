-- agent_inherited_credential: an agent whose allowed tool calls used a credential that belongs
-- to someone else: a person, or another identity. The blast radius is what the owner may do,
-- not only what the agent did. Unknown when no loaded source names the owner. Reads
-- agent_credential_owners.
select
    'agent_inherited_credential' as check_id,
    agent_id || '|' || credential_id as subject_id,
    case
        when owner is null then 'unknown'
        when owner = agent_id then 'pass'
        else 'fail'
    end as status,
    'Agent ' || agent_id || ' made ' || calls || ' calls with credential ' || credential_id
    || case
        when owner is null then ', whose owner no loaded source names'
        when owner = agent_id then ', its own'
        when owner_actions = 0 then
            ', which belongs to ' || owner_class || ', ' || owner
            || '; no loaded grant says what that owner may do'
        else
            ', which belongs to ' || owner_class || ', ' || owner
            || '; through it the agent may do ' || owner_actions || ' known actions in '
            || len(owner_services) || ' services'
    end as reason,
    case
        when owner is null or owner = agent_id then 'info'
        when owner_class = 'a person' then 'critical'
        else 'high'
    end as severity,
    'agent-gateway' as source,
    null as secret_type,
    null as repository,
    agent_id as identity_id,
    null as owner_id,
    null as team,
    trim(coalesce(owner, '') || ' ' || array_to_string(owner_services, ' ')) as evidence
from agent_credential_owners
order by status, subject_id
