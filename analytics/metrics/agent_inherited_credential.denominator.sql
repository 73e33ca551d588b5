-- Agent and credential pairs of allowed tool calls whose credential owner a source names.
with pairs as (
    select distinct
        agent_id,
        credential_id
    from agent_calls
    where credential_id is not null
      and outcome = 'success'
)
select count(*)
from pairs as p
where p.credential_id in (
    select credential_id
    from credentials_current
    where identity_id is not null
)
   or p.credential_id in (
       select access_key_id
       from events
       where source_kind = 'cloudtrail'
         and principal_type = 'IAMUser'
         and event_time <= $as_of
   )
