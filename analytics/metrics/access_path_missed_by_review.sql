-- access_path_missed_by_review: a grant or credential created after one access review and
-- gone before the next: a path that existed and vanished where no periodic recertification
-- could see it. Reads agent_access_paths.
select
    'access_path_missed_by_review' as check_id,
    path_id as subject_id,
    case when missed then 'fail' else 'pass' end as status,
    path_kind || ' ' || path_id || ' of ' || coalesce(identity_id, '?')
    || ' was created on ' || strftime(created_at, '%Y-%m-%d %H:%M')
    || case
        when missed then
            ' and gone on ' || strftime(gone_at, '%Y-%m-%d %H:%M')
            || ', between the reviews of ' || strftime(reviewed_before, '%Y-%m-%d')
            || ' and ' || strftime(next_review, '%Y-%m-%d')
        else ' and was still there at the review of ' || strftime(next_review, '%Y-%m-%d')
    end as reason,
    case when missed then 'low' else 'info' end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    null as owner_id,
    null as team,
    lower(path_kind) as evidence
from agent_access_paths
order by status, created_at, path_id
