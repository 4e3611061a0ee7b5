-- Where do shoppers drop out: view -> cart -> purchase conversion of sessions, per
-- top-level category and brand.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

session_stages as (

    -- the furthest stage each session reached within the category and brand
    -- (1 view, 2 cart, 3 purchase: a purchase implies a cart implies a view);
    -- a session without a source session id is the user's day
    select
        category,
        coalesce(brand, 'unknown') as brand,
        {{ funnel_session_key() }} as session_key,
        max({{ funnel_stage('event_type') }}) as max_stage
    from interactions
    where event_type in ('view', 'cart', 'purchase')
    group by category, coalesce(brand, 'unknown'), session_key

),

funnel as (

    select
        category,
        brand,
        count_if(max_stage >= 1) as n_view_sessions,
        count_if(max_stage >= 2) as n_cart_sessions,
        count_if(max_stage >= 3) as n_purchase_sessions
    from session_stages
    group by category, brand

),

final as (

    select
        category,
        brand,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        try_divide(cast(n_cart_sessions as double), n_view_sessions) as view_to_cart_rate,
        try_divide(
            cast(n_purchase_sessions as double), n_cart_sessions
        ) as cart_to_purchase_rate,
        try_divide(
            cast(n_purchase_sessions as double), n_view_sessions
        ) as view_to_purchase_rate
    from funnel

)

select * from final
