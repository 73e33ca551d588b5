-- sandbox_secrets_and_open_egress: a sandbox that can read production secrets and can also
-- reach any host. Each half is reported, since each is its own decision. Reads
-- agent_sandboxes.
select
    'sandbox_secrets_and_open_egress' as check_id,
    sandbox_id as subject_id,
    case when reads_prod_secrets and open_egress then 'fail' else 'pass' end as status,
    'Sandbox ' || sandbox_id
    || case
        when reads_prod_secrets then ' can read production secrets ('
            || coalesce(nullif(array_to_string(secrets_read, ', '), ''), 'environment prod')
            || ')'
        else ' reads no production secret'
    end
    || case
        when open_egress then ' and may reach any host'
        else ' and may reach ' || len(egress_allow) || ' host patterns only'
    end as reason,
    case when reads_prod_secrets and open_egress then 'high' else 'info' end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    case when len(agents) = 1 then agents[1] end as identity_id,
    owner_id,
    null as team,
    array_to_string(egress_allow, ' ') as evidence
from agent_sandboxes
order by status, sandbox_id
