-- The tool calls of agents in the $window_days before $as_of, from the sources that log
-- tool calls (agent-gateway, otel-genai), with the sandbox the gateway named.
select
    event_id,
    source_kind,
    event_time,
    identity_id as agent_id,
    event_name as tool,
    task_id,
    grant_id,
    access_key_id as credential_id,
    lower(target_host) as target_host,
    outcome,
    nullif(regexp_extract(coalesce(detail, ''), 'sandbox_id=([^;]+)', 1), '') as sandbox_id
from events
where source_kind in ('agent-gateway', 'otel-genai')
  and event_time <= $as_of
  and event_time > $as_of - to_days(cast($window_days as integer))
  and identity_id is not null
