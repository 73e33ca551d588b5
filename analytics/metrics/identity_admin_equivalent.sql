-- identity_admin_equivalent: a non-human identity granted every action on every resource
-- (an Allow of "*" or "*:*" on "*"), directly, through a group or a managed policy.
-- Reads privilege_identities.
select
    'identity_admin_equivalent' as check_id,
    identity_id as subject_id,
    case when admin_equivalent then 'fail' else 'pass' end as status,
    case
        when admin_equivalent then
            coalesce(name, identity_id) || ' may do anything in its account, through '
            || admin_via || '; it used ' || used_actions || ' distinct actions in '
            || $window_days || ' days'
        else coalesce(name, identity_id) || ' holds no grant of every action on every resource'
    end as reason,
    case when admin_equivalent then 'high' else 'info' end as severity,
    grant_source as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    coalesce(admin_via, '') as evidence
from privilege_identities
order by status, identity_id
