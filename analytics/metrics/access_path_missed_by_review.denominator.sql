-- Grants and non-human credentials created between two access reviews.
with reviews as (
    select
        review_at,
        lead(review_at) over (order by review_at) as next_review
    from (select distinct unnest($reviews::timestamptz[]) as review_at)
    where review_at <= $as_of
),
created as (
    select granted_at as created_at
    from grants
    qualify row_number() over (
        partition by grant_id order by observed_at desc nulls last, file_id desc
    ) = 1
    union all
    select created_at
    from nonhuman_credentials
)
select count(*)
from created as c
join reviews as r
    on c.created_at > r.review_at
   and c.created_at < r.next_review
