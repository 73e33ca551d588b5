-- Grants and non-human credentials created between two access reviews ($reviews, review
-- times up to $as_of), each with the review before its creation, the next one, and whether
-- it was gone before that next review (missed: no review ever saw it).
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
    *,
    coalesce(gone_at < next_review and gone_at <= $as_of, false) as missed
from placed
