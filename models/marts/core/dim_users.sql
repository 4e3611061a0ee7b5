-- One row per user: activity, revenue, RFM segment and the high-value flag.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

activity as (

    select
        user_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count_if(event_type = 'view') as n_views,
        count_if(event_type = 'cart') as n_carts,
        count_if(event_type = 'purchase') as n_purchases,
        count_if(event_type = 'review') as n_reviews
    from interactions
    group by user_id

),

order_totals as (

    select
        user_id,
        count(*) as n_orders,
        cast(sum(revenue) as decimal(18, 2)) as revenue,
        max(ordered_at) as last_ordered_at
    from orders
    group by user_id

),

as_of as (

    -- recency is measured against the end of the data, not the wall clock,
    -- so rebuilding old data gives the same segments
    select max(event_at) as as_of_at from interactions

),

joined as (

    select
        activity.*,
        coalesce(order_totals.n_orders, 0) as n_orders,
        coalesce(order_totals.revenue, cast(0 as decimal(18, 2))) as revenue,
        cast(datediff(
            as_of.as_of_at, coalesce(order_totals.last_ordered_at, activity.last_seen_at)
        ) as int) as recency_days
    from activity
    left join order_totals on activity.user_id = order_totals.user_id
    cross join as_of

),

scored as (

    select
        *,
        cast(ntile(5) over (order by recency_days desc, user_id asc) as int) as r_score,
        cast(ntile(5) over (order by n_orders, n_reviews, user_id) as int) as f_score,
        cast(ntile(5) over (order by revenue, user_id) as int) as m_score,
        percent_rank() over (order by revenue) as revenue_percentile
    from joined

),

final as (

    select
        user_id,
        first_seen_at,
        last_seen_at,
        n_views,
        n_carts,
        n_purchases,
        n_reviews,
        n_orders,
        revenue,
        recency_days,
        r_score,
        f_score,
        m_score,
        {{ rfm_segment('r_score', 'f_score', 'm_score') }} as rfm_segment,
        (
            (
                revenue > 0
                and revenue_percentile
                >= {{ cartwheel_number_var('high_value_revenue_percentile') }}
            )
            or n_reviews >= {{ cartwheel_number_var('high_value_min_reviews') }}
        ) as is_high_value
    from scored

)

select * from final
