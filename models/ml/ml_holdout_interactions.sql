-- Holdout truth: user-product pairs with a positive-weight event at or after the cutoff,
-- for users and products seen in training, and not already interacted with in training
-- (recommendations exclude those, so they could never be hits).
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

split as (

    select * from {{ ref('ml_split_cutoff') }}

),

train as (

    select * from {{ ref('ml_train_interactions') }}

),

after_cutoff as (

    select
        interactions.user_id,
        interactions.product_id,
        max(interactions.interaction_weight) as max_weight,
        min(interactions.event_at) as first_event_at
    from interactions
    cross join split
    where
        interactions.event_at >= split.cutoff_at
        and interactions.interaction_weight > 0
    group by interactions.user_id, interactions.product_id

),

train_users as (

    select distinct user_id from train

),

train_products as (

    select distinct product_id from train

),

final as (

    select
        after_cutoff.user_id,
        after_cutoff.product_id,
        after_cutoff.first_event_at,
        after_cutoff.max_weight >= {{ var('event_weights')['purchase'] }} as is_purchase_strength
    from after_cutoff
    inner join train_users on after_cutoff.user_id = train_users.user_id
    inner join train_products on after_cutoff.product_id = train_products.product_id
    left anti join train  -- noqa: ST11
        on
            after_cutoff.user_id = train.user_id
            and after_cutoff.product_id = train.product_id

)

select * from final
