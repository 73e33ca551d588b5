-- Records that could not be loaded, with where they sit and why; never their content.
select
    kind,
    path,
    position,
    record_index,
    field,
    reason
from rejected_records
order by
    path,
    record_index
limit $limit
