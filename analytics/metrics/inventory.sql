-- Inventory headline counts, as of $as_of (the newest snapshot of each object).
with nonhuman as (
    -- Identities an inventory, the credential report or the authorization details list;
    -- agents seen only in tool-call logs are counted by the agent metrics (shadow apps).
    select *
    from nonhuman_identities
    where identity_id in (
        select identity_id
        from identity_observations_latest
        where source_kind in (
            'inventory-csv', 'aws-authorization-details', 'aws-credential-report'
        )
    )
),
humans as (
    select *
    from identities_current
    where kind = 'human'
),
creds as (
    select *
    from nonhuman_credentials
    where created_at is null or created_at <= $as_of
),
active_creds as (
    select *
    from creds
    where status = 'active'
      and (expires_at is null or expires_at > $as_of)
)
select
    (select count(*) from nonhuman) as identities_total,
    (select count(*) from nonhuman where kind = 'ai_agent') as ai_agents_total,
    (select count(*) from humans) as humans_total,
    (select count(*) from humans where status = 'left') as humans_left,
    (select count(*) from creds) as credentials_total,
    (select count(*) from active_creds) as credentials_active,
    (select count(*) from active_creds where expires_at is null) as credentials_never_expire,
    (select count(*) from active_creds where created_at is not null) as credentials_dated,
    (
        select count(*)
        from active_creds
        where created_at < $as_of - interval 90 day
    ) as credentials_older_than_90d,
    (
        select count(*) filter (where created_at < $as_of - interval 90 day)
            / nullif(count(*), 0)
        from active_creds
        where created_at is not null
    ) as credentials_older_than_90d_share,
    (
        select count(*)
        from active_creds
        where credential_type = 'access_key'
          and created_at < $as_of - interval 90 day
    ) as access_keys_older_than_90d,
    (
        select count(*)
        from active_creds
        where credential_type = 'access_key'
          and created_at < $as_of - interval 365 day
    ) as access_keys_older_than_365d,
    (
        select count(distinct n.identity_id)
        from nonhuman as n
        join humans as h
            on h.identity_id = n.owner_id
        join active_creds as c
            on c.identity_id = n.identity_id
        where h.status = 'left'
    ) as owner_left_with_active_credential,
    (
        select count(*)
        from nonhuman
        where owner_id is null
    ) as identities_without_owner
