-- Non-human identities that the audit log shows acting in the window.
select count(distinct identity_id)
from events
where event_time <= $as_of
  and event_time > $as_of - to_days(cast($window_days as integer))
  and identity_id in (select identity_id from nonhuman_identities)
