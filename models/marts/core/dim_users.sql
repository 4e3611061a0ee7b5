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

keyed as (

    -- frequency orders by orders, then reviews: n_reviews / (n_reviews + 1) < 1
    select
        *,
        cast(n_orders as double) + n_reviews / (n_reviews + 1.0) as frequency_key
    from joined

),

cuts as (

    -- quintile cut points and the high-value revenue floor over all users, in one
    -- distributed aggregate (a window over all users would run on one partition)
    select
        percentile_approx(recency_days, array(0.2, 0.4, 0.6, 0.8)) as recency_cuts,
        percentile_approx(frequency_key, array(0.2, 0.4, 0.6, 0.8)) as frequency_cuts,
        percentile_approx(revenue, array(0.2, 0.4, 0.6, 0.8)) as revenue_cuts,
        percentile_approx(
            revenue, {{ cartwheel_number_var('high_value_revenue_percentile') }}
        ) as high_value_revenue_floor
    from keyed

),

scored as (

    select
        keyed.*,
        5 - size(filter(cuts.recency_cuts, cut -> cut < keyed.recency_days)) as r_score,
        1 + size(filter(cuts.frequency_cuts, cut -> cut < keyed.frequency_key)) as f_score,
        1 + size(filter(cuts.revenue_cuts, cut -> cut < keyed.revenue)) as m_score,
        keyed.revenue >= cuts.high_value_revenue_floor as is_top_revenue
    from keyed
    cross join cuts

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
                and is_top_revenue
            )
            or n_reviews >= {{ cartwheel_number_var('high_value_min_reviews') }}
        ) as is_high_value
    from scored

)

select * from final
