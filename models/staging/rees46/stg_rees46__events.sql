-- Accepted REES46 events, typed, exact duplicates removed (counted in the audit model).
{% set event_columns = [
    'event_at',
    'event_type',
    'product_id',
    'category_id',
    'category_code',
    'brand',
    'price',
    'user_id',
    'session_id'
] %}
-- exact duplicates: the same value in every one of these columns
with

parsed as (

    select * from {{ ref('base_rees46__parsed_events') }}
    where reject_reason is null

),

deduplicated as (

    -- one row per distinct event: the copy of the first file by name is kept
    select
        {{ event_columns | join(',\n        ') }},
        min(source_file) as source_file,
        min_by(source_file_modified_at, source_file) as source_file_modified_at
    from parsed
    group by {{ event_columns | join(', ') }}

),

final as (

    select
        {{ surrogate_key(event_columns) }} as event_id,
        user_id,
        product_id,
        event_type,
        event_at,
        to_date(event_at) as event_date,
        session_id,
        price,
        category_id,
        category_code,
        brand,
        source_file,
        source_file_modified_at
    from deduplicated

)

select * from final
