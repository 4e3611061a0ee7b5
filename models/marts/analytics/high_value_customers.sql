-- Who are the high-value customers, and how much of the shop's revenue and reviews
-- do they hold, one by one and as a group?
with

users as (

    select * from {{ ref('dim_users') }}

),

totals as (

    select
        cast(sum(revenue) as double) as total_revenue,
        cast(sum(n_reviews) as double) as total_reviews,
        count(*) as n_users
    from users

),

high_value as (

    select * from users
    where is_high_value

),

group_totals as (

    select
        count(*) as n_high_value_users,
        cast(sum(revenue) as double) as high_value_revenue,
        cast(sum(n_reviews) as double) as high_value_reviews
    from high_value

),

final as (

    select
        high_value.user_id,
        high_value.revenue,
        high_value.n_orders,
        high_value.n_purchases,
        high_value.n_reviews,
        high_value.rfm_segment,
        high_value.r_score,
        high_value.f_score,
        high_value.m_score,
        high_value.first_seen_at,
        high_value.last_seen_at,
        try_divide(cast(high_value.revenue as double), totals.total_revenue) as revenue_share,
        try_divide(cast(high_value.n_reviews as double), totals.total_reviews) as review_share,
        -- one rank over all high-value users: a global order, so Spark runs this window
        -- on one partition (and logs "No Partition Defined"); the set is the top few
        -- percent of users, already aggregated, so that one task stays small
        cast(rank() over (
            order by high_value.revenue desc, high_value.n_reviews desc
        ) as int) as value_rank,
        group_totals.n_high_value_users,
        totals.n_users,
        try_divide(
            cast(group_totals.n_high_value_users as double), totals.n_users
        ) as group_user_share,
        try_divide(group_totals.high_value_revenue, totals.total_revenue) as group_revenue_share,
        try_divide(group_totals.high_value_reviews, totals.total_reviews) as group_review_share
    from high_value
    cross join totals
    cross join group_totals

)

select * from final
