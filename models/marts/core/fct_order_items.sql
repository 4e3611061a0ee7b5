-- One row per purchased line: revenue at the price paid. Sources without order ids
-- (REES46) group a user's purchases in one session into one order.
{% set order_key = [
    'source_system', 'user_id', 'coalesce(session_id, cast(event_date as string))'
] %}

with

purchases as (

    select * from {{ ref('fct_interactions') }}
    where event_type = 'purchase'

),

final as (

    select
        event_id as order_item_id,
        coalesce(
            order_id,
            {{ surrogate_key(order_key) }}
        ) as order_id,
        user_id,
        product_id,
        event_at as ordered_at,
        event_date as ordered_date,
        quantity,
        price as unit_price,
        cast(coalesce(price, 0) * quantity as decimal(18, 2)) as revenue,
        category,
        brand,
        source_system
    from purchases

)

select * from final
