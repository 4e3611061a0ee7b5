-- Every line of the Amazon item-metadata files, parsed, with the reason it is rejected.
with

lines as (

    {{ raw_lines('amazon', 'meta') }}

),

parsed_json as (

    select
        *,
        json_object_keys(raw_line) is not null as is_json_object,
        from_json(
            raw_line,
            'main_category string, title string, average_rating string, '
            || 'rating_number string, price string, store string, categories string, '
            || 'parent_asin string, details string'
        ) as f
    from lines

),

typed as (

    select
        parsed_json.line_id,
        parsed_json.raw_line,
        parsed_json.source_file,
        parsed_json.source_file_modified_at,
        parsed_json.source_file_key,
        parsed_json.is_json_object,
        {{ clean_string('f.parent_asin') }} as product_id,
        {{ clean_string('f.title') }} as product_title,
        {{ clean_string('f.main_category') }} as main_category,
        from_json(f.categories, 'array<string>') as category_levels,
        {{ clean_string('f.store') }} as store,
        try_cast(f.average_rating as double) as average_rating,
        try_cast(f.rating_number as int) as rating_count,
        -- price: a number, null, "None", or text such as "$12.99"
        case
            when f.price is null or trim(f.price) in ('', 'None', 'null') then null
            else regexp_replace(trim(f.price), '^\\$|,', '')
        end as price_text,
        f.details as details_json
    from parsed_json

),

final as (

    select
        *,
        try_cast(price_text as decimal(12, 2)) as price,
        case
            when trim(raw_line) = '' then 'empty_line'
            {{ not_utf8_rule() }}
            when not is_json_object then 'malformed_json'
            when product_id is null then 'missing_product_id'
            when price_text is not null and try_cast(price_text as decimal(12, 2)) is null
                then 'non_numeric_price'
            when try_cast(price_text as decimal(12, 2)) < 0 then 'negative_price'
        end as reject_reason
    from typed

)

select * from final
