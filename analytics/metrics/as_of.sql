-- The newest time the data itself states: the default as-of. Modification times of log and
-- scanner files are left out (a log copied today is not news from today; a scanner report's
-- detection times are only its file's time). Snapshots of state (authorization details,
-- credential reports, inventories) count: they describe the state when they were taken, and
-- the newest state must be what a default report shows.
select greatest(
    (select max(event_time) from events),
    -- Usage counted elsewhere (nhi-risk aggregate) dates its logs as the events would.
    (select max(last_seen) from usage_daily),
    (
        select max(greatest(detected_at, resolved_at))
        from secret_findings
        where source_kind = 'github-secret-scanning'
    ),
    (select max(committed_at) from secret_findings),
    (
        select max(greatest(created_at, last_rotated_at, last_used_at))
        from credentials
    ),
    (select max(greatest(granted_at, revoked_at)) from grants),
    (select max(greatest(created_at, left_at)) from identities),
    (
        select max(observed_at)
        from ingest_files
        where status = 'loaded'
          and kind in ('aws-authorization-details', 'aws-credential-report', 'inventory-csv')
    )) as as_of
