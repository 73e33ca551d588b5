-- Credentials with audit events in the window.
select count(*)
from credential_use
where window_events > 0
