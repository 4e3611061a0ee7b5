-- Every line of the interaction log (CSV lines and Parquet rows), parsed, with the reason
-- it is rejected (if it is). CSV files are read by their header's column names (any
-- order, optional columns may be absent), as Parquet files by their schema. Parquet rows
-- keep a JSON rendering as their raw line.
with

csv_lines as (

    {{ raw_lines('interactions', 'events_csv') }}

),

csv_fields as {{ csv_by_header(
    'csv_lines',
    marker='user_id',
    columns=['user_id', 'item_id', 'event_type', 'event_time', 'price', 'category',
             'quantity', 'order_id'],
    required=['user_id', 'item_id', 'event_type', 'event_time'],
) }},

csv_rows as (

    select
        line_id,
        raw_line,
        source_file,
        source_file_modified_at,
        source_file_key,
        field_count,
        header_field_count,
        missing_columns,
        named_struct(
            'user_id', user_id, 'item_id', item_id, 'event_type', event_type,
            'event_time', event_time, 'price', price, 'category', category,
            'quantity', quantity, 'order_id', order_id
        ) as f
    from csv_fields

),

parquet_records as (

    select
        to_json(struct(*)) as raw_line,
        _metadata.file_path as source_file,
        _metadata.file_modification_time as source_file_modified_at,
        {{ source_file_key('_metadata.file_path', '_metadata.file_modification_time') }}
            as source_file_key,
        struct(*) as f
    from {{ source('interactions', 'events_parquet') }}
    {{ unparsed_files_only(source('interactions', 'events_parquet')) }}

),

parquet_rows as (

    select
        {{ line_id('source_file', 'raw_line') }} as line_id,
        raw_line,
        source_file,
        source_file_modified_at,
        source_file_key,
        8 as field_count,
        8 as header_field_count,
        '' as missing_columns,
        f
    from parquet_records

),

unioned as (

    select * from csv_rows
    union all
    select * from parquet_rows

),

typed as (

    select
        unioned.line_id,
        unioned.raw_line,
        unioned.source_file,
        unioned.source_file_modified_at,
        unioned.source_file_key,
        unioned.field_count,
        unioned.header_field_count,
        unioned.missing_columns,
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
            {{ csv_header_reject_rules() }}
            {{ event_reject_rules('header_field_count') }}
            when quantity_text is not null and (quantity is null or quantity <= 0)
                then 'bad_number'
        end as reject_reason
    from typed

)

select * from final
