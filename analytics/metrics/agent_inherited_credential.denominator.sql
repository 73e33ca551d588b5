-- Agent and credential pairs of allowed tool calls whose owner a loaded source names.
select count(*)
from agent_credential_owners
where owner is not null
