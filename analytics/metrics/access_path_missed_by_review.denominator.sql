-- Grants and non-human credentials created between two access reviews.
select count(*)
from agent_access_paths
