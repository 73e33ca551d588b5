-- Non-human identities whose owner the loaded directory knows.
select count(*)
from nonhuman_identities as n
join identities_current as p
    on p.identity_id = n.owner_id
   and p.kind = 'human'
