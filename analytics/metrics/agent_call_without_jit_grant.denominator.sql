-- Agents' tool calls from a source that names the grant of each call (the gateway).
select count(*)
from agent_calls
where source_kind <> 'otel-genai'
