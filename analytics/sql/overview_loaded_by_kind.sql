-- What the warehouse holds per source kind: files, records, and the times they cover.
-- Record times come from the records (events, findings); snapshot sources have none, and
-- observed_at is when the snapshot was taken (from the file, the ingest flag, or its mtime).
-- Not cut at the as-of: this is the load ledger, every file ever given to ingest.
select
    kind,
    count(*) filter (where status = 'loaded') as files_loaded,
    count(*) filter (where status = 'failed') as files_failed,
    coalesce(sum(records_read), 0)::bigint as records_read,
    coalesce(sum(records_loaded), 0)::bigint as records_loaded,
    coalesce(sum(records_rejected), 0)::bigint as records_rejected,
    coalesce(sum(records_duplicate), 0)::bigint as records_duplicate,
    min(first_record_at) as first_record_at,
    max(last_record_at) as last_record_at,
    min(observed_at) filter (where status = 'loaded') as first_observed_at,
    max(observed_at) filter (where status = 'loaded') as last_observed_at
from ingest_files
group by all
order by kind
