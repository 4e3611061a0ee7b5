{{ config(partition_by=['window_name']) }}

-- Training data of every window (ml_split_windows): per window, user and product, the
-- summed implicit-feedback weight of the events strictly before the window's cutoff.
-- Pairs whose weight sums to 0 carry no signal and are left out.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

windows as (

    select * from {{ ref('ml_split_windows') }}

),

data_windows as (

    -- the test window and backtest fold 1 have the same training data: each window
    -- that names itself as its data window is aggregated, and its rows copied to the rest
    select
        window_name,
        cutoff_at
    from windows
    where window_name = data_window_name

),

pairs as (

    select
        data_windows.window_name,
        interactions.user_id,
        interactions.product_id,
        sum(interactions.interaction_weight) as weight,
        count(*) as n_events,
        count_if(interactions.event_type = 'purchase') as n_purchases,
        count(distinct case
            when interactions.event_type = 'purchase' then interactions.event_date
        end) as n_purchase_days,
        max(interactions.event_at) as last_event_at,
        max(case
            when interactions.event_type = 'purchase' then interactions.event_at
        end) as last_purchase_at
    from interactions
    inner join data_windows
        on interactions.event_at < data_windows.cutoff_at
    group by data_windows.window_name, interactions.user_id, interactions.product_id
    having sum(interactions.interaction_weight) > 0

),

final as (

    select
        pairs.user_id,
        pairs.product_id,
        pairs.weight,
        pairs.n_events,
        pairs.n_purchases,
        pairs.n_purchase_days,
        pairs.last_event_at,
        pairs.last_purchase_at,
        windows.window_name
    from pairs
    inner join windows
        on pairs.window_name = windows.data_window_name

)

select * from final
