-- Sessions only narrow down the funnel: purchase sessions <= cart sessions <= view
-- sessions on every row of funnel_conversion (and of product_analytics_summary).
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
        n_purchase_sessions
    from funnel_conversion

    union all

    select
        'product_analytics_summary' as model_name,
        product_id as row_key,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions
    from product_analytics_summary

),

final as (

    select * from funnels
    where
        n_purchase_sessions > n_cart_sessions
        or n_cart_sessions > n_view_sessions
        or n_view_sessions < 0
        or n_purchase_sessions < 0

)

select * from final
