{{ config(partition_by=['window_name']) }}

-- Holdout truth of every window (ml_split_windows): one row per user and product with a
-- positive-weight event in [cutoff_at, holdout_end_at), for products seen in the window's
-- training data (no model can recommend another). Flags say which evaluation each row
-- belongs to: `is_purchase` (the purchase target: a purchase event, or a verified-purchase
-- review), `is_repeat` (the pair is already in training: truth only under the
-- repeat_aware protocol) and `is_warm_user` (the user has training history).
-- A window with more holdout users than var ml_eval_max_users keeps that many, drawn by a
-- seeded hash of user_id (the same draw on every backend and run); null keeps them all.
{%- set max_users = var('ml_eval_max_users') %}
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

reviews as (

    select * from {{ ref('fct_reviews') }}

),

windows as (

    select * from {{ ref('ml_split_windows') }}

),

train as (

    select * from {{ ref('ml_split_train') }}

),

data_windows as (

    -- the test window and backtest fold 1 have the same truth: each window that names
    -- itself as its data window is computed, and its rows copied to the rest
    select
        window_name,
        cutoff_at,
        holdout_end_at
    from windows
    where window_name = data_window_name

),

data_window_train as (

    select *
    from train
    where window_name in (select data_windows.window_name from data_windows)

),

verified_reviews as (

    select distinct
        user_id,
        product_id,
        reviewed_at
    from reviews
    where is_verified_purchase

),

in_window as (

    select
        data_windows.window_name,
        interactions.user_id,
        interactions.product_id,
        interactions.event_at,
        interactions.event_type = 'purchase'
        or verified_reviews.user_id is not null as is_purchase_event
    from interactions
    inner join data_windows
        on
            interactions.event_at >= data_windows.cutoff_at
            and interactions.event_at < data_windows.holdout_end_at
    left join verified_reviews
        on
            interactions.event_type = 'review'
            and interactions.user_id = verified_reviews.user_id
            and interactions.product_id = verified_reviews.product_id
            and interactions.event_at = verified_reviews.reviewed_at
    where interactions.interaction_weight > 0

),

pairs as (

    select
        window_name,
        user_id,
        product_id,
        min(event_at) as first_event_at,
        bool_or(is_purchase_event) as is_purchase
    from in_window
    group by window_name, user_id, product_id

),

train_users as (

    select distinct
        window_name,
        user_id
    from data_window_train

),

train_products as (

    select distinct
        window_name,
        product_id
    from data_window_train

),

truth as (

    select
        pairs.user_id,
        pairs.product_id,
        pairs.first_event_at,
        pairs.is_purchase,
        train.user_id is not null as is_repeat,
        train_users.user_id is not null as is_warm_user,
        pairs.window_name
    from pairs
    inner join train_products
        on
            pairs.window_name = train_products.window_name
            and pairs.product_id = train_products.product_id
    left join data_window_train as train
        on
            pairs.window_name = train.window_name
            and pairs.user_id = train.user_id
            and pairs.product_id = train.product_id
    left join train_users
        on
            pairs.window_name = train_users.window_name
            and pairs.user_id = train_users.user_id

),

holdout_users as (

    select
        window_name,
        user_id,
        count(*) over (partition by window_name) as n_users_before_cap,
        row_number() over (
            partition by window_name
            order by xxhash64(user_id, {{ cartwheel_number_var('random_seed') }}), user_id
        ) as user_draw
    from (
        select distinct
            window_name,
            user_id
        from truth
    )

),

capped as (

    select
        truth.user_id,
        truth.product_id,
        truth.first_event_at,
        truth.is_purchase,
        truth.is_repeat,
        truth.is_warm_user,
        holdout_users.n_users_before_cap,
        truth.window_name
    from truth
    inner join holdout_users
        on
            truth.window_name = holdout_users.window_name
            and truth.user_id = holdout_users.user_id
    {%- if max_users is not none %}
        where holdout_users.user_draw <= {{ cartwheel_number_var('ml_eval_max_users') }}
    {%- endif %}

),

final as (

    -- every window, each with the rows of its data window
    select
        capped.user_id,
        capped.product_id,
        capped.first_event_at,
        capped.is_purchase,
        capped.is_repeat,
        capped.is_warm_user,
        capped.n_users_before_cap,
        windows.window_name
    from capped
    inner join windows
        on capped.window_name = windows.data_window_name

)

select * from final
