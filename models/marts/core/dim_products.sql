-- One row per product across every enabled source: what it is, what it costs, how it rates.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

amazon_products as (

    select * from {{ ref('stg_amazon__products') }}

),

event_facts as (

    select
        product_id,
        max(brand) as brand,
        max(category_code) as category_code,
        max_by(price, case when price is not null then event_at end) as current_price,
        cast(median(price) as decimal(12, 2)) as median_price,
        avg(case when event_type = 'review' then cast(rating as double) end) as average_rating,
        count_if(event_type = 'review') as rating_count,
        min(event_at) as first_seen_at
    from interactions
    group by product_id

),

all_products as (

    select product_id from event_facts
    union
    select product_id from amazon_products

),

joined as (

    select
        all_products.product_id,
        amazon_products.product_title,
        coalesce(amazon_products.brand, event_facts.brand) as brand,
        coalesce(event_facts.category_code, amazon_products.category_code) as category_code,
        coalesce(event_facts.current_price, amazon_products.price) as current_price,
        coalesce(event_facts.median_price, amazon_products.price) as median_price,
        coalesce(event_facts.average_rating, amazon_products.average_rating) as average_rating,
        case
            when coalesce(event_facts.rating_count, 0) > 0 then event_facts.rating_count
            else coalesce(cast(amazon_products.rating_count as bigint), 0)
        end as rating_count,
        event_facts.first_seen_at
    from all_products
    left join event_facts on all_products.product_id = event_facts.product_id
    left join amazon_products on all_products.product_id = amazon_products.product_id

),

final as (

    select
        product_id,
        product_title,
        brand,
        category_code,
        {{ top_level_category('category_code') }} as category,
        cast(current_price as decimal(12, 2)) as current_price,
        cast(median_price as decimal(12, 2)) as median_price,
        average_rating,
        cast(rating_count as bigint) as rating_count,
        first_seen_at
    from joined

)

select * from final
