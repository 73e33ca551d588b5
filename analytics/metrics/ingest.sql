-- What has been loaded: files, and records read, loaded, rejected and skipped.
select
    count(*) filter (where status = 'loaded') as files_loaded,
    count(*) filter (where status = 'failed') as files_failed,
    coalesce(sum(records_read), 0) as records_read,
    coalesce(sum(records_loaded), 0) as records_loaded,
    coalesce(sum(records_rejected), 0) as records_rejected,
    coalesce(sum(records_duplicate), 0) as records_duplicate
from ingest_files
