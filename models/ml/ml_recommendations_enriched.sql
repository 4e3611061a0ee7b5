-- The recommendations, readable: each recommended product with its title, brand,
-- category and price.
with

recommendations as (

    select * from {{ ref('ml_recommendations') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

final as (

    select
        recommendations.model,
        recommendations.protocol,
        recommendations.user_id,
        recommendations.rank,
        recommendations.product_id,
        products.product_title,
        products.brand,
        products.category,
        products.category_code,
        products.current_price,
        products.average_rating,
        recommendations.score,
        recommendations.run_id
    from recommendations
    left join products on recommendations.product_id = products.product_id

)

select * from final
