-- identity_permissions_unused: a non-human identity granted actions it did not use in the
-- $window_days before $as_of. Fails when a granted service saw no successful call, or when
-- the unused share of granted actions reaches $unused_share. Unknown when no audit log of
-- its account covers the window, or the identity is younger than the window.
-- Reads privilege_identities.
select
    'identity_permissions_unused' as check_id,
    identity_id as subject_id,
    case
        when not logs_cover or not older_than_window then 'unknown'
        when len(unused_services) > 0 or unused_share >= $unused_share then 'fail'
        else 'pass'
    end as status,
    case
        when not logs_cover then
            coalesce(name, identity_id) || ' holds ' || granted_actions
            || ' granted actions, but no loaded audit log covers its account '
            || coalesce(account, '(unknown)')
        when not older_than_window then
            coalesce(name, identity_id) || ' was created on '
            || strftime(created_at, '%Y-%m-%d') || ', less than ' || $window_days
            || ' days before the as-of: too new to call its grants unused'
        else
            coalesce(name, identity_id) || ' used ' || used_actions || ' of '
            || granted_actions || ' granted actions in ' || $window_days || ' days ('
            || round(100 * coalesce(unused_share, 0), 0)::integer || '% unused)'
            || case
                when len(unused_services) > 0 then
                    '; granted but never used: ' || array_to_string(unused_services, ', ')
                else ''
            end
            || case when admin_equivalent then '; its grants are admin-equivalent' else '' end
    end as reason,
    case
        when not logs_cover or not older_than_window then 'info'
        when admin_equivalent and (len(unused_services) > 0 or unused_share >= $unused_share)
            then 'high'
        when len(unused_services) > 0 then 'medium'
        when unused_share >= $unused_share then 'low'
        else 'info'
    end as severity,
    grant_source as source,
    null as secret_type,
    null as repository,
    identity_id,
    owner_id,
    team,
    array_to_string(unused_services, ' ') as evidence
from privilege_identities
order by status, unused_actions desc, identity_id
