-- Non-human identities with standing grants at the as-of.
select count(*)
from privilege_identities
