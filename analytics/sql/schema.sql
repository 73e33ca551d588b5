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
    revoked_at timestamptz,
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
    file_id bigint not null,
    grant_id varchar
    -- (source_kind, event_id) is unique: the loaders keep it so (analytics/ingest/batch.py and
    -- cloudtrail_bulk.py). An index would hold every id in memory for no other use.
);

create table if not exists secret_findings (
    finding_id varchar not null,
    source_kind varchar not null,
    source_ref varchar,
    secret_type varchar,
    detector varchar,
    secret_family varchar,
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
    secret_hash_id varchar,
    credential_key_id varchar,
    row_sha256 varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (row_sha256)
);

create table if not exists sandboxes (
    sandbox_id varchar not null,
    agents varchar[] not null,
    owner_id varchar,
    environment varchar,
    reviewed_at timestamptz,
    egress_allow varchar[] not null,
    secrets_read varchar[] not null,
    credential_ids varchar[] not null,
    source_kind varchar not null,
    file_id bigint not null,
    observed_at timestamptz,
    primary key (sandbox_id, file_id)
);

create table if not exists breaches (
    breach_id varchar primary key,
    name varchar not null,
    organisation varchar,
    disclosed_on date,
    nhi_vector varchar,
    summary varchar,
    source_url varchar,
    file_id bigint,
    date_precision varchar,
    credential_type varchar,
    owasp_nhi varchar[],
    second_source_url varchar,
    source_kind varchar
);

-- One row per headline metric per report run, written by `nhi-risk report`: the trends of
-- the executive summary. Only numbers are kept; a metric with no value is NULL.
create table if not exists metric_history (
    run_id varchar not null,
    recorded_at timestamptz not null,
    as_of timestamptz not null,
    metric varchar not null,
    value double,
    title varchar not null,
    population varchar not null,
    source varchar not null,
    toolkit_version varchar not null,
    primary key (run_id, metric)
);

-- Audit-log usage per UTC day, source, account, identity, credential, action and outcome:
-- what the privilege checks consume. analytics/aggregate.py holds its one definition; rows of
-- origin 'warehouse' are recomputed from events by every ingest that loads events, other
-- origins are loaded by `nhi-risk aggregate` from an engine that read the logs elsewhere.
create table if not exists usage_daily (
    day date not null,
    source_kind varchar not null,
    account_id varchar,
    identity_id varchar,
    access_key_id varchar,
    action varchar not null,
    outcome varchar not null,
    calls bigint not null,
    first_seen timestamptz not null,
    last_seen timestamptz not null,
    origin varchar not null
);

-- One row per aggregation loaded into usage_daily from outside the warehouse.
create table if not exists aggregate_runs (
    origin varchar primary key,
    engine varchar not null,
    source varchar not null,
    loaded_at timestamptz not null,
    usage_rows bigint not null,
    events bigint not null,
    first_day date,
    last_day date,
    toolkit_version varchar not null
);

-- The newest observation of each identity from each source.
create or replace view identity_observations_latest as
select *
from identities
qualify row_number() over (
    partition by identity_id, source_kind order by observed_at desc nulls last, file_id desc
) = 1;

-- One row per identity, each attribute from the most descriptive source that states it:
-- the inventory (which knows owners, teams and what an identity is), then the IAM
-- authorization details, then the credential report.
create or replace view identities_current as
with ranked as (
    select
        *,
        case source_kind
            when 'inventory-csv' then 1
            when 'aws-authorization-details' then 2
            when 'aws-credential-report' then 3
            else 4
        end as source_rank
    from identity_observations_latest
)
select
    identity_id,
    arg_min(name, source_rank) filter (where name is not null) as name,
    arg_min(kind, source_rank) as kind,
    arg_min(provider, source_rank) filter (where provider is not null) as provider,
    arg_min(account, source_rank) filter (where account is not null) as account,
    arg_min(environment, source_rank) filter (where environment is not null) as environment,
    arg_min(owner_id, source_rank) filter (where owner_id is not null) as owner_id,
    arg_min(team, source_rank) filter (where team is not null) as team,
    arg_min(email, source_rank) filter (where email is not null) as email,
    arg_min(status, source_rank) filter (where status is not null) as status,
    min(created_at) as created_at,
    arg_min(left_at, source_rank) filter (where left_at is not null) as left_at,
    string_agg(distinct source_kind, ', ' order by source_kind) as source_kind,
    max(file_id) as file_id,
    max(observed_at) as observed_at,
    bool_or(source_kind = 'inventory-csv') as in_inventory
from ranked
group by identity_id;

create or replace view credentials_current as
select *
from credentials
qualify row_number() over (
    partition by credential_id order by observed_at desc nulls last, file_id desc
) = 1;

-- Non-human identities: all but people and account roots. An IAM user that only AWS
-- exports know of, and that signs in with a password, is taken for a person.
create or replace view nonhuman_identities as
select *
from identities_current
where kind not in ('human', 'root')
  and not (
      kind = 'iam_user'
      and not in_inventory
      and identity_id in (
          select identity_id
          from credentials_current
          where credential_type = 'password'
            and status = 'active'
      )
  );

-- Credentials of non-human identities, each once. The credential report names no key ids,
-- so its key slots are dropped where another source lists a key of the same identity
-- created within a minute of the slot's creation time: the same key, known by its id.
create or replace view nonhuman_credentials as
select c.*
from credentials_current as c
where c.identity_id in (select identity_id from nonhuman_identities)
  and not (
      c.source_kind = 'aws-credential-report'
      and c.credential_type = 'access_key'
      and exists (
          select 1
          from credentials_current as o
          where o.identity_id = c.identity_id
            and o.source_kind <> 'aws-credential-report'
            and o.credential_type = 'access_key'
            and abs(epoch(o.created_at) - epoch(c.created_at)) <= 60
      )
  );

create or replace view secret_findings_current as
select *
from secret_findings
qualify row_number() over (
    partition by finding_id order by observed_at desc nulls last, file_id desc
) = 1;
