-- The tool calls of agents in the $window_days before $as_of, from the sources that log
-- tool calls, with the sandbox the gateway named: every gateway line, and of a trace the
-- spans that call a tool or reach a host (not the agent's own or model-call spans).
select
    event_id,
    source_kind,
    event_time,
    identity_id as agent_id,
    case when action like 'tool:%' then substr(action, 6) else event_name end as tool,
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
  and (source_kind = 'agent-gateway' or action like 'tool:%' or target_host is not null)
