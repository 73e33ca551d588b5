-- Files that could not be loaded at all (unknown format, unreadable), newest attempt first.
select
    path,
    kind,
    error,
    loaded_at as attempted_at
from ingest_files
where status = 'failed'
order by
    loaded_at desc,
    path
