-- Active credentials older than the dormancy threshold.
select count(*)
from credential_use
where active
  and not expired
  and (created_at is null or created_at <= $as_of - to_days(cast($dormant_days as integer)))
