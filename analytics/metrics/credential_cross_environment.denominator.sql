-- Credentials with audit events in the window (in an account the event names).
select count(*)
from credential_use
where window_events > 0
  and len(accounts) > 0
