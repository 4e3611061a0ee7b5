-- Do verified-purchase reviews differ from unverified ones (rating, helpfulness, length)?
-- Always two rows, verified and unverified; each carries its difference to the other.
with

reviews as (

    select * from {{ ref('fct_reviews') }}

),

review_groups as (

    select explode(array(true, false)) as is_verified_purchase

),

group_stats as (

    select
        is_verified_purchase,
        count(*) as n_reviews,
        avg(cast(rating as double)) as avg_rating,
        avg(cast(helpful_votes as double)) as avg_helpful_votes,
        try_divide(
            cast(count_if(helpful_votes > 0) as double), count(*)
        ) as share_with_helpful_votes,
        avg(cast(review_length as double)) as avg_review_length
    from reviews
    group by is_verified_purchase

),

joined as (

    select
        review_groups.is_verified_purchase,
        case
            when review_groups.is_verified_purchase then 'verified' else 'unverified'
        end as review_group,
        coalesce(group_stats.n_reviews, 0) as n_reviews,
        group_stats.avg_rating,
        group_stats.avg_helpful_votes,
        group_stats.share_with_helpful_votes,
        group_stats.avg_review_length
    from review_groups
    left join group_stats
        on review_groups.is_verified_purchase = group_stats.is_verified_purchase

),

final as (

    select
        this_group.is_verified_purchase,
        this_group.review_group,
        this_group.n_reviews,
        try_divide(
            cast(this_group.n_reviews as double), this_group.n_reviews + other_group.n_reviews
        ) as review_share,
        this_group.avg_rating,
        this_group.avg_helpful_votes,
        this_group.share_with_helpful_votes,
        this_group.avg_review_length,
        this_group.avg_rating - other_group.avg_rating as avg_rating_diff,
        this_group.avg_helpful_votes - other_group.avg_helpful_votes as avg_helpful_votes_diff,
        this_group.share_with_helpful_votes - other_group.share_with_helpful_votes
            as share_with_helpful_votes_diff,
        this_group.avg_review_length - other_group.avg_review_length as avg_review_length_diff
    from joined as this_group
    inner join joined as other_group
        on this_group.is_verified_purchase != other_group.is_verified_purchase

)

select * from final
