-- Holdout truth of the test window (see ml_split_holdout and ml_split_windows).
with

split_holdout as (

    select * from {{ ref('ml_split_holdout') }}

),

final as (

    select
        user_id,
        product_id,
        first_event_at,
        is_purchase,
        is_repeat,
        is_warm_user
    from split_holdout
    where window_name = 'test'

)

select * from final
