-- Non-human identities with standing grants whose account the audit logs cover, older
-- than the window: the ones whose unused grants can be judged.
select count(*)
from privilege_identities
where logs_cover
  and older_than_window
