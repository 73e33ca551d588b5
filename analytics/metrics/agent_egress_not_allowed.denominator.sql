-- Agents' calls with a target host, made by agents a sandbox policy covers.
with membership as (
    select distinct a.agent_id
    from agent_sandboxes as s
    cross join unnest(s.agents) as a(agent_id)
)
select count(*)
from agent_calls as c
where c.target_host is not null
  and (
      c.sandbox_id in (select sandbox_id from agent_sandboxes)
      or (c.sandbox_id is null and c.agent_id in (select agent_id from membership))
  )
