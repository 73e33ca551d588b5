-- The mapped records of a staged group that are not set aside (ct_set_aside), into events,
-- each with the ingest_files id of its file ($ids, in the group's order).
insert into events by name
select
    event_id,
    source_kind,
    event_time,
    service,
    event_name,
    action,
    event_type,
    read_only,
    outcome,
    error_code,
    identity_id,
    principal_type,
    principal_arn,
    session_name,
    access_key_id,
    mfa_authenticated,
    account_id,
    region,
    source_ip,
    user_agent,
    target_host,
    resource,
    detail,
    task_id,
    grant_id,
    $ids[file_no + 1] as file_id
from ct_rows
where rowid not in (select seq from ct_set_aside)
