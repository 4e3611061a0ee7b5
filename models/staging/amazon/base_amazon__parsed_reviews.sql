-- Every line of the Amazon review files, parsed, with the reason it is rejected (if it is).
-- Fields are read as strings first and cast with try_cast, so one bad field rejects its
-- line with a named reason instead of failing the run or nulling the record.
with

lines as (

    {{ raw_lines('amazon', 'reviews') }}

),

parsed_json as (

    select
        *,
        json_object_keys(raw_line) is not null as is_json_object,
        from_json(
            raw_line,
            'rating string, title string, text string, images string, asin string, '
            || 'parent_asin string, user_id string, timestamp string, '
            || 'helpful_vote string, verified_purchase string'
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
        {{ clean_string('f.user_id') }} as user_id,
        {{ clean_string('f.parent_asin') }} as product_id,
        {{ clean_string('f.asin') }} as asin,
        f.rating as rating_text,
        try_cast(f.rating as double) as rating,
        f.title as review_title,
        f.text as review_text,
        coalesce(size(from_json(f.images, 'array<string>')), 0)
            as image_count,
        f.timestamp as timestamp_text,
        timestamp_millis(try_cast(f.timestamp as bigint)) as reviewed_at,
        f.helpful_vote as helpful_vote_text,
        try_cast(f.helpful_vote as int) as helpful_votes,
        f.verified_purchase as verified_text,
        try_cast(f.verified_purchase as boolean) as is_verified_purchase
    from parsed_json

),

final as (

    select
        *,
        case
            when trim(raw_line) = '' then 'empty_line'
            {{ not_utf8_rule() }}
            when not is_json_object then 'malformed_json'
            when user_id is null then 'missing_user_id'
            when product_id is null then 'missing_product_id'
            when
                reviewed_at is null
                or reviewed_at < timestamp '1995-01-01'
                or reviewed_at > timestamp '2100-01-01'
                then 'bad_timestamp'
            when rating is null or rating < 1 or rating > 5 then 'rating_out_of_range'
            when helpful_vote_text is not null and (helpful_votes is null or helpful_votes < 0)
                then 'bad_number'
            when verified_text is not null and is_verified_purchase is null then 'bad_boolean'
        end as reject_reason
    from typed

)

select * from final
