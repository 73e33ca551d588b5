-- Remediated secrets that are AWS access keys: the ones whose later use CloudTrail shows.
select count(*)
from ttr_secrets
where remediated
  and key_id is not null
  and not excluded
