-- Accepted Amazon item metadata: one row per product (parent_asin); repeated lines for
-- a product keep the one from the latest file (counted as duplicates in the audit model).
with

parsed as (

    select * from {{ ref('base_amazon__parsed_products') }}
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by product_id
            order by source_file_modified_at desc, source_file desc, raw_line asc
        ) as occurrence
    from parsed

),

final as (

    select
        product_id,
        product_title,
        main_category,
        category_levels,
        case
            when size(category_levels) > 0
                then lower(regexp_replace(array_join(category_levels, '.'), '[^A-Za-z0-9.]+', '_'))
        end as category_code,
        lower({{ clean_string('coalesce(store, get_json_object(details_json, \'$.Brand\'))') }})
            as brand,
        price,
        average_rating,
        rating_count,
        source_file,
        source_file_modified_at
    from ranked
    where occurrence = 1

)

select * from final
