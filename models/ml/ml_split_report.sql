-- What the split kept and dropped: the numbers a reader of the metrics needs.
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

holdout as (

    select * from {{ ref('ml_holdout_interactions') }}

),

users_after_cutoff as (

    select distinct interactions.user_id
    from interactions
    cross join split
    where interactions.event_at >= split.cutoff_at and interactions.interaction_weight > 0

),

final as (

    select
        'global_time_cutoff' as split_name,
        split.first_event_at,
        split.cutoff_at,
        split.last_event_at,
        (select count(*) from train) as n_train_pairs,
        (select count(distinct train.user_id) from train) as n_train_users,
        (select count(distinct train.product_id) from train) as n_train_products,
        (select count(*) from holdout) as n_holdout_pairs,
        (select count(distinct holdout.user_id) from holdout) as n_holdout_users,
        (select count(*) from users_after_cutoff) as n_users_after_cutoff,
        (select count(*) from users_after_cutoff)
        - (select count(distinct holdout.user_id) from holdout) as n_users_dropped
    from split

)

select * from final
