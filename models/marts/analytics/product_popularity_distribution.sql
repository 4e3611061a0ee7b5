-- How concentrated is demand: how much of all interactions do the most popular products
-- take (head vs long tail), per top-level category and over the whole shop ('all')?
with

products as (

    select * from {{ ref('dim_products') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

interactions_per_product as (

    select
        product_id,
        count(*) as n_interactions
    from interactions
    group by product_id

),

product_counts as (

    -- every product of the catalogue counts, those never interacted with as 0: they are
    -- the far end of the long tail
    select
        products.product_id,
        products.category,
        coalesce(interactions_per_product.n_interactions, 0) as n_interactions
    from products
    left join interactions_per_product
        on products.product_id = interactions_per_product.product_id

),

scoped as (

    select
        category,
        product_id,
        n_interactions
    from product_counts

    union all

    select
        'all' as category,
        product_id,
        n_interactions
    from product_counts

),

ranked as (

    select
        category,
        product_id,
        n_interactions,
        count(*) over (partition by category) as n_products,
        sum(n_interactions) over (partition by category) as total_interactions,
        row_number() over (
            partition by category order by n_interactions asc, product_id asc
        ) as ascending_rank,
        row_number() over (
            partition by category order by n_interactions desc, product_id asc
        ) as descending_rank,
        sum(n_interactions) over (
            partition by category
            order by n_interactions desc, product_id asc
            rows between unbounded preceding and current row
        ) as cumulative_interactions
    from scoped

),

flagged as (

    select
        *,
        descending_rank <= cast(
            ceil(n_products * {{ cartwheel_number_var('popularity_head_product_share') }}) as bigint
        ) as is_head_product,
        total_interactions > 0
        and cumulative_interactions >= (
            total_interactions * {{ cartwheel_number_var('popularity_target_interaction_share') }}
        ) as has_reached_target
    from ranked

),

aggregated as (

    select
        category,
        count(*) as n_products,
        count_if(n_interactions > 0) as n_products_interacted,
        sum(n_interactions) as n_interactions,
        count_if(is_head_product) as n_head_products,
        sum(case when is_head_product then n_interactions else 0 end) as head_interactions,
        min(case when has_reached_target then descending_rank end)
            as n_products_for_target_interactions,
        -- Gini over interactions per product, x sorted ascending, i = 1..n:
        -- sum_i (2i - n - 1) x_i / (n * sum x)
        sum((2 * ascending_rank - n_products - 1) * n_interactions) as gini_numerator
    from flagged
    group by category

),

final as (

    select
        category,
        n_products,
        n_products_interacted,
        n_interactions,
        n_head_products,
        try_divide(cast(head_interactions as double), n_interactions) as head_share,
        1 - try_divide(cast(head_interactions as double), n_interactions) as tail_share,
        n_products_for_target_interactions,
        try_divide(
            cast(n_products_for_target_interactions as double), n_products
        ) as product_share_for_target_interactions,
        try_divide(
            cast(gini_numerator as double), cast(n_products as double) * n_interactions
        ) as gini_coefficient
    from aggregated

)

select * from final
