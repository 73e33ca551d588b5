-- The successful calls up to $as_of made with the AWS access key of a leaked secret: what
-- the secret checks look for use in. Read from events once for both checks, which then join
-- this short table instead of the whole audit log. Reads the temporary table ttr_secrets.
select
    access_key_id as key_id,
    event_time,
    event_id
from events
where access_key_id in (
        select key_id
        from ttr_secrets
        where key_id is not null
    )
  and event_time <= $as_of
  and outcome = 'success'
