-- identity_owner_offboarded: a non-human identity whose owner has left (a directory row of
-- the inventory with status "left", left by $as_of) while one of its credentials is still
-- active. Unknown when the owner is not in the directory. Reads credential_use.
with people as (
    select
        identity_id as person_id,
        name,
        status,
        left_at
    from identities_current
    where kind = 'human'
),
live as (
    select
        identity_id,
        count(*) as active_credentials,
        string_agg(credential_id, ' ' order by credential_id) as credential_ids
    from credential_use
    where active
      and not expired
    group by identity_id
),
owned as (
    select
        n.*,
        p.person_id,
        p.name as owner_name,
        p.status = 'left' and (p.left_at is null or p.left_at <= $as_of) as owner_left,
        p.left_at as owner_left_at
    from nonhuman_identities as n
    left join people as p
        on p.person_id = n.owner_id
    where n.owner_id is not null
)
select
    'identity_owner_offboarded' as check_id,
    o.identity_id as subject_id,
    case
        when o.person_id is null then 'unknown'
        when o.owner_left and coalesce(l.active_credentials, 0) > 0 then 'fail'
        else 'pass'
    end as status,
    coalesce(o.name, o.identity_id)
    || case
        when o.person_id is null then
            ' is owned by ' || o.owner_id || ', who is not in the loaded directory'
        when o.owner_left then
            ' belongs to ' || o.owner_id || ', who left'
            || coalesce(' on ' || strftime(o.owner_left_at, '%Y-%m-%d'), '') || ', and has '
            || coalesce(l.active_credentials, 0) || ' active credentials'
        else ' belongs to ' || o.owner_id || ', who has not left'
    end as reason,
    case
        when o.person_id is not null and o.owner_left and coalesce(l.active_credentials, 0) > 0
            then 'high'
        else 'info'
    end as severity,
    o.source_kind as source,
    null as secret_type,
    null as repository,
    o.identity_id,
    o.owner_id,
    o.team,
    coalesce(l.credential_ids, '') as evidence
from owned as o
left join live as l
    on l.identity_id = o.identity_id
order by status, o.identity_id
