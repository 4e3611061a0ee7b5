-- Accepted events of the interaction log, typed, exact duplicates removed.
{% set event_columns = [
    'user_id',
    'product_id',
    'event_type',
    'event_at',
    'price',
    'category_path',
    'quantity',
    'order_id'
] %}
-- exact duplicates: the same value in every one of these columns
with

parsed as (

    select * from {{ ref('base_interactions__parsed_events') }}
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
        price,
        regexp_replace(category_path, '\\s*[/>]\\s*', '.') as category_code,
        coalesce(quantity, 1) as quantity,
        order_id,
        source_file,
        source_file_modified_at
    from ranked
    where occurrence = 1

)

select * from final
