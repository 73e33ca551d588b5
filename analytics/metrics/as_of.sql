-- The newest time the data itself states: the default as-of. File modification times are
-- left out (a log copied today is not news from today), and so are detection times of
-- scanner reports, which are only their files' snapshot times.
select greatest(
    (select max(event_time) from events),
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
    (select max(greatest(created_at, left_at)) from identities)) as as_of
