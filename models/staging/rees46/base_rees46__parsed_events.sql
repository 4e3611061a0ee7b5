-- Every data line of the REES46 files, parsed by the header's column names (any order),
-- with the reason it is rejected (if it is).
with

lines as (

    {{ raw_lines('rees46', 'events') }}

),

split_fields as {{ csv_by_header(
    'lines',
    marker='event_time',
    columns=['event_time', 'event_type', 'product_id', 'category_id', 'category_code',
             'brand', 'price', 'user_id', 'user_session'],
    required=['event_time', 'event_type', 'product_id', 'user_id'],
) }},

typed as (

    select
        split_fields.line_id,
        split_fields.raw_line,
        split_fields.source_file,
        split_fields.source_file_modified_at,
        split_fields.field_count,
        split_fields.header_field_count,
        split_fields.missing_columns,
        try_cast({{ clean_string('split_fields.event_time') }} as timestamp) as event_at,
        lower({{ clean_string('split_fields.event_type') }}) as event_type,
        {{ clean_string('split_fields.product_id') }} as product_id,
        {{ clean_string('split_fields.category_id') }} as category_id,
        lower({{ clean_string('split_fields.category_code') }}) as category_code,
        lower({{ clean_string('split_fields.brand') }}) as brand,
        {{ clean_string('split_fields.price') }} as price_text,
        try_cast({{ clean_string('split_fields.price') }} as decimal(12, 2)) as price,
        {{ clean_string('split_fields.user_id') }} as user_id,
        {{ clean_string('split_fields.user_session') }} as session_id
    from split_fields

),

final as (

    select
        *,
        case
            {{ csv_header_reject_rules() }}
            {{ event_reject_rules('header_field_count') }}
        end as reject_reason
    from typed

)

select * from final
