-- One row per review (Amazon), with the facts analysts ask of reviews.
with

reviews as (

    select * from {{ ref('stg_amazon__reviews') }}

),

final as (

    select
        review_id,
        user_id,
        product_id,
        rating,
        is_verified_purchase,
        helpful_votes,
        review_length,
        image_count,
        reviewed_at,
        reviewed_date
    from reviews

)

select * from final
