-- Sandbox policies in force at the as-of.
select count(*)
from agent_sandboxes
