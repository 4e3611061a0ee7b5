-- One row per order: when, who, how many items and how much revenue.
with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

final as (

    select
        order_id,
        min(user_id) as user_id,
        min(ordered_at) as ordered_at,
        min(ordered_date) as ordered_date,
        count(*) as n_items,
        cast(sum(quantity) as bigint) as n_units,
        cast(sum(revenue) as decimal(18, 2)) as revenue,
        min(source_system) as source_system
    from order_items
    group by order_id

)

select * from final
