-- Non-human AWS users and roles older than the threshold, in accounts the logs cover (as
-- usage_daily shows them, as identity_dormant_90d.sql does).
select count(*)
from nonhuman_identities
where regexp_matches(identity_id, '^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/')
  and coalesce(status, 'active') = 'active'
  and account in (
      select account_id
      from usage_daily
      where first_seen <= $as_of
        and account_id is not null
  )
  and (created_at is null or created_at <= $as_of - to_days(cast($dormant_days as integer)))
