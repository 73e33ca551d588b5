-- access_path_missed_by_review: a grant or credential created after one access review and
-- gone before the next ($reviews, a list of review times up to $as_of): a path that existed
-- and vanished where no periodic recertification could see it. Subjects: grants and
-- non-human credentials created between the first and the last review.
with reviews as (
    select
        review_at,
        lead(review_at) over (order by review_at) as next_review
    from (select distinct unnest($reviews::timestamptz[]) as review_at)
    where review_at <= $as_of
),
paths as (
    select
        'Grant' as path_kind,
        grant_id as path_id,
        identity_id,
        granted_at as created_at,
        least(expires_at, case when revoked_at <= $as_of then revoked_at end) as gone_at,
        source_kind
    from grants
    qualify row_number() over (
        partition by grant_id order by observed_at desc nulls last, file_id desc
    ) = 1
    union all
    select
        'Credential' as path_kind,
        credential_id as path_id,
        identity_id,
        created_at,
        least(expires_at, case when revoked_at <= $as_of then revoked_at end) as gone_at,
        source_kind
    from nonhuman_credentials
),
placed as (
    select
        p.*,
        r.review_at as reviewed_before,
        r.next_review
    from paths as p
    join reviews as r
        on p.created_at > r.review_at
       and p.created_at < r.next_review
)
select
    'access_path_missed_by_review' as check_id,
    path_id as subject_id,
    case
        when gone_at is not null and gone_at < next_review and gone_at <= $as_of then 'fail'
        else 'pass'
    end as status,
    path_kind || ' ' || path_id || ' of ' || coalesce(identity_id, '?')
    || ' was created on ' || strftime(created_at, '%Y-%m-%d %H:%M')
    || case
        when gone_at is not null and gone_at < next_review and gone_at <= $as_of then
            ' and gone on ' || strftime(gone_at, '%Y-%m-%d %H:%M')
            || ', between the reviews of ' || strftime(reviewed_before, '%Y-%m-%d')
            || ' and ' || strftime(next_review, '%Y-%m-%d')
        else ' and was still there at the review of ' || strftime(next_review, '%Y-%m-%d')
    end as reason,
    case
        when gone_at is not null and gone_at < next_review and gone_at <= $as_of then 'low'
        else 'info'
    end as severity,
    source_kind as source,
    null as secret_type,
    null as repository,
    identity_id,
    null as owner_id,
    null as team,
    lower(path_kind) as evidence
from placed
order by status, created_at, path_id
