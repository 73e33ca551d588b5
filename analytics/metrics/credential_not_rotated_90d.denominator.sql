-- Active credentials whose creation or rotation time is known.
select count(*)
from credential_use
where active
  and not expired
  and rotated_at is not null
