-- How well does review count x price (the revenue proxy used when a shop only has reviews)
-- stand in for real revenue? Per product, both side by side, with ranks for Spearman.
with

products as (

    select * from {{ ref('dim_products') }}

),

reviews as (

    select * from {{ ref('fct_reviews') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

review_counts as (

    select
        product_id,
        count(*) as review_count
    from reviews
    group by product_id

),

sales as (

    select
        product_id,
        count(*) as n_purchases,
        sum(quantity) as n_units_sold,
        sum(revenue) as revenue
    from order_items
    group by product_id

),

joined as (

    -- products with reviews, purchases or both
    select
        products.product_id,
        products.product_title,
        products.category,
        products.brand,
        products.median_price as price,
        coalesce(review_counts.review_count, 0) as review_count,
        cast(
            coalesce(review_counts.review_count, 0) * products.median_price as decimal(18, 2)
        ) as revenue_proxy,
        review_counts.product_id is not null as has_reviews,
        sales.product_id is not null as has_purchases,
        cast(coalesce(sales.n_units_sold, 0) as bigint) as n_units_sold,
        cast(sales.revenue as decimal(18, 2)) as revenue
    from products
    left join review_counts on products.product_id = review_counts.product_id
    left join sales on products.product_id = sales.product_id
    where review_counts.product_id is not null or sales.product_id is not null

),

comparable as (

    select
        *,
        has_reviews and has_purchases and price is not null as is_comparable
    from joined

),

ranked as (

    -- fractional ranks (ties share their average rank) over the comparable products only,
    -- so corr(proxy_rank, revenue_rank) is Spearman's rank correlation; a global rank runs
    -- on one partition, over one row per comparable product (already aggregated)
    select
        product_id,
        cast(rank() over (order by revenue_proxy desc) as double)
        + (count(*) over (partition by revenue_proxy) - 1) / 2.0 as proxy_rank,
        cast(rank() over (order by revenue desc) as double)
        + (count(*) over (partition by revenue) - 1) / 2.0 as revenue_rank
    from comparable
    where is_comparable

),

final as (

    select
        comparable.product_id,
        comparable.product_title,
        comparable.category,
        comparable.brand,
        comparable.price,
        comparable.review_count,
        comparable.revenue_proxy,
        comparable.has_reviews,
        comparable.has_purchases,
        comparable.n_units_sold,
        comparable.revenue,
        try_divide(
            cast(comparable.revenue_proxy as double), cast(comparable.revenue as double)
        ) as proxy_to_revenue_ratio,
        comparable.is_comparable,
        ranked.proxy_rank,
        ranked.revenue_rank
    from comparable
    left join ranked on comparable.product_id = ranked.product_id

)

select * from final
