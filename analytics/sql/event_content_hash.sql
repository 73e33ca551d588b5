-- The content hash of an `events` row (a struct with its columns): a record whose id is
-- already loaded is a duplicate when this is the same, a conflict when it differs. It is
-- computed when ids meet, never stored, so rows loaded by any release compare alike.
-- analytics/ingest/batch.py (content_hash) computes the same for rows still in Python.
create or replace temp macro event_content_hash(r) as sha256(
    concat_ws(
        chr(31),
        coalesce('=' || r.event_id, '-'),
        coalesce('=' || r.source_kind, '-'),
        coalesce('=' || epoch_us(r.event_time), '-'),
        coalesce('=' || r.service, '-'),
        coalesce('=' || r.event_name, '-'),
        coalesce('=' || r.action, '-'),
        coalesce('=' || r.event_type, '-'),
        coalesce('=' || r.read_only, '-'),
        coalesce('=' || r.outcome, '-'),
        coalesce('=' || r.error_code, '-'),
        coalesce('=' || r.identity_id, '-'),
        coalesce('=' || r.principal_type, '-'),
        coalesce('=' || r.principal_arn, '-'),
        coalesce('=' || r.session_name, '-'),
        coalesce('=' || r.access_key_id, '-'),
        coalesce('=' || r.mfa_authenticated, '-'),
        coalesce('=' || r.account_id, '-'),
        coalesce('=' || r.region, '-'),
        coalesce('=' || r.source_ip, '-'),
        coalesce('=' || r.user_agent, '-'),
        coalesce('=' || r.target_host, '-'),
        coalesce('=' || r.resource, '-'),
        coalesce('=' || r.detail, '-'),
        coalesce('=' || r.task_id, '-'),
        coalesce('=' || r.grant_id, '-')
    )
);
