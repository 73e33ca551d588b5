-- Just-in-time grants that never end, or whose task has a logged call.
select count(*)
from agent_grants as g
where g.ended_at is null
   or g.task_id in (select task_id from agent_calls)
