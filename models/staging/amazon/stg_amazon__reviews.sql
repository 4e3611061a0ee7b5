-- Accepted Amazon reviews, typed, exact duplicates removed (counted in the audit model).
with

parsed as (

    select * from {{ ref('base_amazon__parsed_reviews') }}
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id, product_id, reviewed_at
            order by source_file, line_id
        ) as occurrence
    from parsed

),

final as (

    select
        {{ surrogate_key(['user_id', 'product_id', 'reviewed_at']) }} as review_id,
        user_id,
        product_id,
        asin,
        cast(rating as decimal(2, 1)) as rating,
        {{ clean_string('review_title') }} as review_title,
        review_text,
        coalesce(length(review_text), 0) as review_length,
        image_count,
        coalesce(helpful_votes, 0) as helpful_votes,
        coalesce(is_verified_purchase, false) as is_verified_purchase,
        reviewed_at,
        to_date(reviewed_at) as reviewed_date,
        source_file,
        source_file_modified_at
    from ranked
    where occurrence = 1

)

select * from final
