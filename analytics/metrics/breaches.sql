-- The public breach catalogue as of $as_of (incidents disclosed by then), and how many
-- incidents other sources (VERIS) added.
select
    count(*) filter (where source_kind = 'nhi-breach-catalogue') as total,
    count(distinct organisation) filter (where source_kind = 'nhi-breach-catalogue')
        as organisations,
    min(disclosed_on) filter (where source_kind = 'nhi-breach-catalogue') as first_disclosed,
    max(disclosed_on) filter (where source_kind = 'nhi-breach-catalogue') as last_disclosed,
    count(*) filter (where source_kind <> 'nhi-breach-catalogue') as other_sources
from breaches
where disclosed_on <= cast($as_of as date)
