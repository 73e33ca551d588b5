-- The canonical tables of the warehouse. Column meanings: docs/warehouse.md.
-- Every data row carries file_id (the ingest_files row it came from).

create sequence if not exists ingest_file_seq start 1;

create table if not exists ingest_files (
    file_id bigint primary key,
    content_sha256 varchar not null unique,
    path varchar not null,
    kind varchar not null,
    size_bytes bigint not null,
    status varchar not null,
    error varchar,
    observed_at timestamptz,
    loaded_at timestamptz not null,
    records_read bigint not null,
    records_loaded bigint not null,
    records_rejected bigint not null,
    records_duplicate bigint not null,
    first_record_at timestamptz,
    last_record_at timestamptz,
    toolkit_version varchar not null
);

create table if not exists rejected_records (
    file_id bigint not null,
    path varchar not null,
    kind varchar not null,
    position varchar not null,
    record_index bigint,
    field varchar,
    reason varchar not null,
    record_sha256 varchar
);

create table if not exists identities (
    identity_id varchar not null,
    name varchar,
    kind varchar not null,
    provider varchar,
    account varchar,
    environment varchar,
    owner_id varchar,
    team varchar,
    email varchar,
    status varchar,
    created_at timestamptz,
    left_at timestamptz,
    source_kind varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (identity_id, file_id)
);

create table if not exists credentials (
    credential_id varchar not null,
    identity_id varchar,
    credential_type varchar not null,
    provider varchar,
    status varchar not null,
    created_at timestamptz,
    expires_at timestamptz,
    last_rotated_at timestamptz,
    last_used_at timestamptz,
    last_used_service varchar,
    last_used_region varchar,
    source_kind varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (credential_id, file_id)
);

create table if not exists grants (
    grant_id varchar not null,
    identity_id varchar not null,
    permission varchar not null,
    resource varchar,
    effect varchar not null,
    negated boolean not null,
    conditional boolean not null,
    grant_type varchar not null,
    via varchar,
    granted_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz,
    task_id varchar,
    granted_by varchar,
    source_kind varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (grant_id, file_id)
);

create table if not exists events (
    event_id varchar not null,
    source_kind varchar not null,
    event_time timestamptz not null,
    service varchar,
    event_name varchar not null,
    action varchar not null,
    event_type varchar,
    read_only boolean,
    outcome varchar not null,
    error_code varchar,
    identity_id varchar,
    principal_type varchar,
    principal_arn varchar,
    session_name varchar,
    access_key_id varchar,
    mfa_authenticated boolean,
    account_id varchar,
    region varchar,
    source_ip varchar,
    user_agent varchar,
    target_host varchar,
    resource varchar,
    detail varchar,
    task_id varchar,
    content_sha256 varchar not null,
    file_id bigint not null,
    primary key (source_kind, event_id)
);

create table if not exists secret_findings (
    finding_id varchar not null,
    source_kind varchar not null,
    source_ref varchar,
    secret_type varchar,
    detector varchar,
    repository varchar,
    file_path varchar,
    line bigint,
    commit_sha varchar,
    committed_at timestamptz,
    author varchar,
    detected_at timestamptz,
    state varchar not null,
    resolution varchar,
    resolved_at timestamptz,
    resolved_by varchar,
    validity varchar not null,
    publicly_leaked boolean,
    push_protection_bypassed boolean,
    secret_fingerprint varchar,
    secret_preview varchar,
    credential_key_id varchar,
    row_sha256 varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (row_sha256)
);

create table if not exists breaches (
    breach_id varchar primary key,
    name varchar not null,
    organisation varchar,
    disclosed_on date,
    nhi_vector varchar,
    summary varchar,
    source_url varchar,
    file_id bigint
);

-- The newest observation of each inventory object, across snapshot files.
create or replace view identities_current as
select *
from identities
qualify row_number() over (
    partition by identity_id order by observed_at desc nulls last, file_id desc
) = 1;

create or replace view credentials_current as
select *
from credentials
qualify row_number() over (
    partition by credential_id order by observed_at desc nulls last, file_id desc
) = 1;

create or replace view secret_findings_current as
select *
from secret_findings
qualify row_number() over (
    partition by finding_id order by observed_at desc nulls last, file_id desc
) = 1;
