-- Training data: per user and product, the summed implicit-feedback weight of events
-- strictly before the cutoff (pairs whose weight sums to 0 carry no signal and are left out).
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

split as (

    select * from {{ ref('ml_split_cutoff') }}

),

final as (

    select
        interactions.user_id,
        interactions.product_id,
        sum(interactions.interaction_weight) as weight,
        count(*) as n_events,
        max(interactions.event_at) as last_event_at
    from interactions
    cross join split
    where interactions.event_at < split.cutoff_at
    group by interactions.user_id, interactions.product_id
    having sum(interactions.interaction_weight) > 0

)

select * from final
