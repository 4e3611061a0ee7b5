-- Training data of the validation window (see ml_split_train and ml_split_windows).
with

split_train as (

    select * from {{ ref('ml_split_train') }}

),

final as (

    select
        user_id,
        product_id,
        weight,
        n_events,
        n_purchases,
        n_purchase_days,
        last_event_at,
        last_purchase_at
    from split_train
    where window_name = 'validation'

)

select * from final
