-- What each split window kept and dropped: the numbers a reader of the metrics needs.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

windows as (

    select * from {{ ref('ml_split_windows') }}

),

train as (

    select * from {{ ref('ml_split_train') }}

),

holdout as (

    select * from {{ ref('ml_split_holdout') }}

),

train_sizes as (

    select
        window_name,
        count(*) as n_train_pairs,
        count(distinct user_id) as n_train_users,
        count(distinct product_id) as n_train_products
    from train
    group by window_name

),

holdout_sizes as (

    select
        window_name,
        count(*) as n_holdout_pairs,
        count_if(is_purchase) as n_holdout_purchase_pairs,
        count_if(is_repeat) as n_holdout_repeat_pairs,
        count(distinct user_id) as n_holdout_users,
        max(n_users_before_cap) as n_holdout_users_before_cap,
        count(distinct case when is_warm_user then user_id end) as n_holdout_warm_users,
        count(distinct case when not is_warm_user then user_id end) as n_holdout_cold_users
    from holdout
    group by window_name

),

users_in_window as (

    select
        windows.window_name,
        count(distinct interactions.user_id) as n_users_in_window
    from interactions
    inner join windows
        on
            interactions.event_at >= windows.cutoff_at
            and interactions.event_at < windows.holdout_end_at
    where interactions.interaction_weight > 0
    group by windows.window_name

),

final as (

    select
        windows.window_name,
        windows.window_role,
        windows.fold,
        windows.first_event_at,
        windows.cutoff_at,
        windows.holdout_end_at,
        coalesce(train_sizes.n_train_pairs, 0) as n_train_pairs,
        coalesce(train_sizes.n_train_users, 0) as n_train_users,
        coalesce(train_sizes.n_train_products, 0) as n_train_products,
        coalesce(holdout_sizes.n_holdout_pairs, 0) as n_holdout_pairs,
        coalesce(holdout_sizes.n_holdout_purchase_pairs, 0) as n_holdout_purchase_pairs,
        coalesce(holdout_sizes.n_holdout_repeat_pairs, 0) as n_holdout_repeat_pairs,
        coalesce(holdout_sizes.n_holdout_users, 0) as n_holdout_users,
        coalesce(holdout_sizes.n_holdout_users_before_cap, 0)
        - coalesce(holdout_sizes.n_holdout_users, 0) as n_users_over_cap,
        coalesce(holdout_sizes.n_holdout_warm_users, 0) as n_holdout_warm_users,
        coalesce(holdout_sizes.n_holdout_cold_users, 0) as n_holdout_cold_users,
        coalesce(users_in_window.n_users_in_window, 0) as n_users_in_window,
        coalesce(users_in_window.n_users_in_window, 0)
        - coalesce(holdout_sizes.n_holdout_users_before_cap, 0) as n_users_dropped
    from windows
    left join train_sizes on windows.window_name = train_sizes.window_name
    left join holdout_sizes on windows.window_name = holdout_sizes.window_name
    left join users_in_window on windows.window_name = users_in_window.window_name

)

select * from final
