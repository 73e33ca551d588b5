-- credential_cross_environment: a credential that acted in more than one cloud account
-- (the account each audit event was recorded for) in the $window_days before $as_of, e.g.
-- a dev key reaching into prod. Reads credential_use.
with account_environment as (
    select
        account,
        mode(environment) as environment
    from identities_current
    where account is not null
      and environment is not null
    group by account
),
named as (
    select
        u.credential_id,
        list(
            a.account_id || coalesce(' (' || e.environment || ')', '') order by a.account_id
        ) as accounts_named
    from credential_use as u
    cross join unnest(u.accounts) as a(account_id)
    left join account_environment as e
        on e.account = a.account_id
    group by u.credential_id
)
select
    'credential_cross_environment' as check_id,
    u.credential_id as subject_id,
    case when len(u.accounts) > 1 then 'fail' else 'pass' end as status,
    u.credential_type || ' ' || u.credential_id || ' of ' || coalesce(u.identity_id, '?')
    || ' acted in ' || array_to_string(n.accounts_named, ', ') || ' in ' || $window_days
    || ' days' as reason,
    case when len(u.accounts) > 1 then 'high' else 'info' end as severity,
    u.source_kind as source,
    null as secret_type,
    null as repository,
    u.identity_id,
    u.owner_id,
    u.team,
    array_to_string(u.accounts, ' ') as evidence
from credential_use as u
join named as n
    on n.credential_id = u.credential_id
where u.window_events > 0
order by status, u.credential_id
