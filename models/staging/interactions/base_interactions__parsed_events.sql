-- Every line of the interaction log (CSV lines and Parquet rows), parsed, with the reason
-- it is rejected (if it is). Parquet rows keep a JSON rendering as their raw line.
with

csv_lines as (

    {{ raw_lines('interactions', 'events_csv') }}

),

csv_fields as (

    select
        line_id,
        raw_line,
        source_file,
        source_file_modified_at,
        {{ csv_field_count('raw_line') }} as field_count,
        from_csv(
            raw_line,
            'user_id string, item_id string, event_type string, event_time string, '
            || 'price string, category string, quantity string, order_id string'
        ) as f
    from csv_lines
    where raw_line not like 'user_id,%'

),

parquet_records as (

    select
        to_json(struct(*)) as raw_line,
        _metadata.file_path as source_file,
        _metadata.file_modification_time as source_file_modified_at,
        struct(*) as f
    from {{ source('interactions', 'events_parquet') }}

),

parquet_rows as (

    select
        {{ line_id('source_file', 'raw_line') }} as line_id,
        raw_line,
        source_file,
        source_file_modified_at,
        8 as field_count,
        f
    from parquet_records

),

unioned as (

    select * from csv_fields
    union all
    select * from parquet_rows

),

typed as (

    select
        unioned.line_id,
        unioned.raw_line,
        unioned.source_file,
        unioned.source_file_modified_at,
        unioned.field_count,
        {{ clean_string('f.user_id') }} as user_id,
        {{ clean_string('f.item_id') }} as product_id,
        lower({{ clean_string('f.event_type') }}) as event_type,
        try_cast({{ clean_string('f.event_time') }} as timestamp) as event_at,
        {{ clean_string('f.price') }} as price_text,
        try_cast({{ clean_string('f.price') }} as decimal(12, 2)) as price,
        lower({{ clean_string('f.category') }}) as category_path,
        {{ clean_string('f.quantity') }} as quantity_text,
        try_cast({{ clean_string('f.quantity') }} as int) as quantity,
        {{ clean_string('f.order_id') }} as order_id
    from unioned

),

final as (

    select
        *,
        case
            {{ event_reject_rules(8) }}
            when quantity_text is not null and (quantity is null or quantity <= 0)
                then 'bad_number'
        end as reject_reason
    from typed

)

select * from final
