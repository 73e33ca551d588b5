-- Each agent and credential pair of allowed tool calls, with the credential's owner: its
-- holder in the inventory, else the IAM user CloudTrail shows using that AWS key. What the
-- owner may do (privilege_granted) is the blast radius of the agent holding it. Reads
-- agent_calls and privilege_granted.
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
    o.agent_id,
    o.credential_id,
    o.calls,
    o.first_call,
    o.tools,
    o.owner,
    o.owner_class,
    coalesce(r.actions, 0) as owner_actions,
    coalesce(r.services, []) as owner_services
from owned as o
left join reach as r
    on r.identity_id = o.owner
