-- Secrets whose alert was resolved as revoked by $as_of and that match a credential:
-- the ones the check can judge.
select count(*)
from ttr_secrets
where resolution = 'revoked'
  and credential_id is not null
