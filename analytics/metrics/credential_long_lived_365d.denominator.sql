-- Active credentials whose creation time is known.
select count(*)
from credential_use
where active
  and not expired
  and created_at is not null
