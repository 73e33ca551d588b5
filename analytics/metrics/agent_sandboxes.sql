-- Each sandbox's newest policy taken by $as_of, and whether it can read production secrets
-- (its environment is prod, or a secret's first path segment is prod or production) and
-- reach any host (an egress pattern of "*").
select
    *,
    coalesce(lower(environment) in ('prod', 'production'), false)
    or exists (
        select 1
        from unnest(secrets_read) as secret(name)
        where lower(split_part(secret.name, '/', 1)) in ('prod', 'production')
    ) as reads_prod_secrets,
    list_contains(egress_allow, '*') as open_egress
from sandboxes
where observed_at <= $as_of
qualify row_number() over (
    partition by sandbox_id order by observed_at desc, file_id desc
) = 1
