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

ranked as (

    select
        *,
        row_number() over (
            partition by {{ event_columns | join(', ') }}
            order by source_file
        ) as occurrence
    from parsed

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
    from ranked
    where occurrence = 1

)

select * from final
