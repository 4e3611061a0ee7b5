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

final as (

    select
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
        end) as last_purchase_at,
        windows.window_name
    from interactions
    inner join windows
        on interactions.event_at < windows.cutoff_at
    group by windows.window_name, interactions.user_id, interactions.product_id
    having sum(interactions.interaction_weight) > 0

)

select * from final
