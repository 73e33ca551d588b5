-- credential_shared: a credential used from $min_workloads or more distinct workloads
-- (network and client, see credential_use.sql) in the $window_days before $as_of: one key
-- behind several runtimes, so no call can be tied to one of them. Judged for credentials
-- that the audit log shows in use in the window. Reads credential_use.
select
    'credential_shared' as check_id,
    credential_id as subject_id,
    case when len(workloads) >= $min_workloads then 'fail' else 'pass' end as status,
    credential_type || ' ' || credential_id || ' of ' || coalesce(identity_id, '?')
    || ' made ' || window_events || ' calls in ' || $window_days || ' days from '
    || len(workloads) || case when len(workloads) = 1 then ' workload' else ' workloads' end
    || ' (' || array_to_string(workloads, '; ') || ')' as reason,
    case
        when len(workloads) >= $min_workloads + 2 then 'high'
        when len(workloads) >= $min_workloads then 'medium'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    array_to_string(workloads, '; ') as evidence
from credential_use
where window_events > 0
order by status, len(workloads) desc, credential_id
