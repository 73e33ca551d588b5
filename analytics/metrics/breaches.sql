-- The public breach catalogue, as of $as_of: incidents disclosed by then.
select
    count(*) as total,
    count(distinct organisation) as organisations,
    min(disclosed_on) as first_disclosed,
    max(disclosed_on) as last_disclosed
from breaches
where disclosed_on <= cast($as_of as date)
