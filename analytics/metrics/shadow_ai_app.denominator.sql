-- AI agents and apps of any source, and agents seen only in tool calls.
select count(*)
from (
    select identity_id
    from identities_current
    where kind in ('ai_agent', 'app')
    union
    select agent_id
    from agent_calls
)
