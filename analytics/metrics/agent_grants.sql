-- Just-in-time grants issued by $as_of, each from its newest observation. A grant row
-- carries its own times, so a later export describes earlier grants; a revocation dated
-- after the as-of has not happened yet. ended_at is when the grant stopped working: the
-- earlier of its expiry and its revocation (null: it never ends).
select
    grant_id,
    identity_id,
    permission,
    task_id,
    granted_at,
    expires_at,
    case when revoked_at <= $as_of then revoked_at end as revoked_at,
    least(expires_at, case when revoked_at <= $as_of then revoked_at end) as ended_at,
    source_kind
from grants
where grant_type = 'jit'
  and (granted_at is null or granted_at <= $as_of)
qualify row_number() over (
    partition by grant_id order by observed_at desc nulls last, file_id desc
) = 1
