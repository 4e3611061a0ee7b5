-- Every data line of the REES46 files, parsed, with the reason it is rejected (if it is).
-- REES46 files have one layout, read by position (the fast path for large drops); a file
-- with its columns in another order is rejected line by line (its header line as
-- `unexpected_header`), never loaded into the wrong columns. Bring-your-own logs in
-- `interactions/` are read by header name instead.
with

lines as (

    {{ raw_lines('rees46', 'events') }}

),

data_lines as (

    select * from lines
    where raw_line not like '{{ rees46_header() }}%'

),

split_fields as (

    select
        line_id,
        raw_line,
        source_file,
        source_file_modified_at,
        source_file_key,
        {{ csv_field_count('raw_line') }} as field_count,
        from_csv(
            raw_line,
            'event_time string, event_type string, product_id string, category_id string, '
            || 'category_code string, brand string, price string, user_id string, '
            || 'user_session string'
        ) as f
    from data_lines

),

typed as (

    select
        split_fields.line_id,
        split_fields.raw_line,
        split_fields.source_file,
        split_fields.source_file_modified_at,
        split_fields.source_file_key,
        split_fields.field_count,
        try_cast({{ clean_string('f.event_time') }} as timestamp) as event_at,
        lower({{ clean_string('f.event_type') }}) as event_type,
        {{ clean_string('f.product_id') }} as product_id,
        {{ clean_string('f.category_id') }} as category_id,
        lower({{ clean_string('f.category_code') }}) as category_code,
        lower({{ clean_string('f.brand') }}) as brand,
        {{ clean_string('f.price') }} as price_text,
        try_cast({{ clean_string('f.price') }} as decimal(12, 2)) as price,
        {{ clean_string('f.user_id') }} as user_id,
        {{ clean_string('f.user_session') }} as session_id
    from split_fields

),

final as (

    select
        *,
        case
            when raw_line like '%event_time%' and raw_line like '%user_session%'
                then 'unexpected_header'
            {{ event_reject_rules(9) }}
        end as reject_reason
    from typed

)

select * from final
