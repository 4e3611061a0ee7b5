-- Each conversion rate of funnel_conversion and product_analytics_summary is its count
-- ratio (sessions with both stages' events / sessions with the earlier stage's event),
-- null exactly when that denominator is 0, and within [0, 1]; and the counts fit
-- together: a pair of stages never outnumbers either stage, and purchase sessions split
-- into those with a cart and those without. Returns each offending check with its row.
with

funnel_conversion as (

    select * from {{ ref('funnel_conversion') }}

),

product_analytics_summary as (

    select * from {{ ref('product_analytics_summary') }}

),

funnels as (

    select
        'funnel_conversion' as model_name,
        concat_ws('|', category, brand) as row_key,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        n_view_cart_sessions,
        n_cart_purchase_sessions,
        n_view_purchase_sessions,
        n_purchase_sessions_without_cart,
        view_to_cart_rate,
        cart_to_purchase_rate,
        view_to_purchase_rate
    from funnel_conversion

    union all

    select
        'product_analytics_summary' as model_name,
        product_id as row_key,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        n_view_cart_sessions,
        n_cart_purchase_sessions,
        n_view_purchase_sessions,
        n_purchase_sessions_without_cart,
        view_to_cart_rate,
        cart_to_purchase_rate,
        view_to_purchase_rate
    from product_analytics_summary

),

rates as (

    select
        model_name,
        row_key,
        stack(
            3,
            'view_to_cart_rate', view_to_cart_rate, n_view_cart_sessions, n_view_sessions,
            'cart_to_purchase_rate', cart_to_purchase_rate,
            n_cart_purchase_sessions, n_cart_sessions,
            'view_to_purchase_rate', view_to_purchase_rate,
            n_view_purchase_sessions, n_view_sessions
        ) as (check_name, rate, numerator, denominator)
    from funnels

),

rate_problems as (

    select
        model_name,
        row_key,
        check_name,
        concat_ws(
            ' ', 'rate', cast(rate as string), 'for', cast(numerator as string), '/',
            cast(denominator as string)
        ) as observed
    from rates
    where
        case
            when denominator is null or numerator is null then true
            when denominator = 0 then rate is not null
            else
                rate is null
                or abs(rate - numerator / denominator) > 1e-9
                or rate < 0
                or rate > 1
        end

),

count_problems as (

    select
        model_name,
        row_key,
        'counts' as check_name,
        concat_ws(
            ' ', 'view', cast(n_view_sessions as string),
            'cart', cast(n_cart_sessions as string),
            'purchase', cast(n_purchase_sessions as string),
            'view+cart', cast(n_view_cart_sessions as string),
            'cart+purchase', cast(n_cart_purchase_sessions as string),
            'view+purchase', cast(n_view_purchase_sessions as string),
            'purchase without cart', cast(n_purchase_sessions_without_cart as string)
        ) as observed
    from funnels
    where
        not coalesce(
            n_view_cart_sessions <= least(n_view_sessions, n_cart_sessions)
            and n_cart_purchase_sessions <= least(n_cart_sessions, n_purchase_sessions)
            and n_view_purchase_sessions <= least(n_view_sessions, n_purchase_sessions)
            and n_purchase_sessions_without_cart >= 0
            and n_cart_purchase_sessions + n_purchase_sessions_without_cart
            = n_purchase_sessions,
            false
        )

),

final as (

    select * from rate_problems

    union all

    select * from count_problems

)

select * from final
