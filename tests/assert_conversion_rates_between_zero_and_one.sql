-- Every conversion rate lies in [0, 1] (null, for an empty stage, is allowed).
-- Returns each offending rate with its model and row.
with

product_analytics_summary as (

    select * from {{ ref('product_analytics_summary') }}

),

funnel_conversion as (

    select * from {{ ref('funnel_conversion') }}

),

rates as (

    select
        'product_analytics_summary' as model_name,
        product_id as row_key,
        stack(
            3,
            'view_to_cart_rate', view_to_cart_rate,
            'cart_to_purchase_rate', cart_to_purchase_rate,
            'view_to_purchase_rate', view_to_purchase_rate
        ) as (rate_name, rate)
    from product_analytics_summary

    union all

    select
        'funnel_conversion' as model_name,
        concat_ws('|', category, brand) as row_key,
        stack(
            3,
            'view_to_cart_rate', view_to_cart_rate,
            'cart_to_purchase_rate', cart_to_purchase_rate,
            'view_to_purchase_rate', view_to_purchase_rate
        ) as (rate_name, rate)
    from funnel_conversion

),

final as (

    select * from rates
    where rate < 0 or rate > 1

)

select * from final
