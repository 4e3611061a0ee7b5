-- One row per category path seen in any source, with its top level and size.
with

products as (

    select * from {{ ref('dim_products') }}

),

final as (

    select
        coalesce(category_code, 'unknown') as category_code,
        min(category) as category,
        cast(size(split(coalesce(category_code, 'unknown'), '\\.')) as int) as category_depth,
        count(*) as n_products
    from products
    group by coalesce(category_code, 'unknown')

)

select * from final
