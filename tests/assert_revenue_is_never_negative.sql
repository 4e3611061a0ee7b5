-- Revenue is never negative, wherever it is stored: order lines, orders, and the marts
-- that report it. Returns each offending row with where it came from.
with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

revenue_proxy as (

    select * from {{ ref('revenue_proxy') }}

),

product_analytics_summary as (

    select * from {{ ref('product_analytics_summary') }}

),

seasonal_demand as (

    select * from {{ ref('seasonal_demand') }}

),

final as (

    select
        'fct_order_items' as model_name,
        order_item_id as row_key,
        'revenue' as measure_name,
        cast(revenue as double) as measure_value
    from order_items
    where revenue < 0

    union all

    select
        'fct_orders' as model_name,
        order_id as row_key,
        'revenue' as measure_name,
        cast(revenue as double) as measure_value
    from orders
    where revenue < 0

    union all

    select
        'revenue_proxy' as model_name,
        product_id as row_key,
        'revenue' as measure_name,
        cast(revenue as double) as measure_value
    from revenue_proxy
    where revenue < 0

    union all

    select
        'revenue_proxy' as model_name,
        product_id as row_key,
        'revenue_proxy' as measure_name,
        cast(revenue_proxy as double) as measure_value
    from revenue_proxy
    where revenue_proxy < 0

    union all

    select
        'product_analytics_summary' as model_name,
        product_id as row_key,
        'revenue' as measure_name,
        cast(revenue as double) as measure_value
    from product_analytics_summary
    where revenue < 0

    union all

    select
        'seasonal_demand' as model_name,
        concat_ws('|', period_grain, category, period_year, period_number) as row_key,
        'revenue' as measure_name,
        cast(revenue as double) as measure_value
    from seasonal_demand
    where revenue < 0

)

select * from final
