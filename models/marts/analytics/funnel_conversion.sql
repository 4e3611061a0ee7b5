-- Where do shoppers drop out: view -> cart -> purchase conversion of sessions, per
-- top-level category and brand.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

session_events as (

    -- which funnel events each session has with the category and brand's products;
    -- a session without a source session id is the user's day
    select
        category,
        coalesce(brand, 'unknown') as brand,
        {{ funnel_session_key() }} as session_key,
        {{ funnel_session_flags() }}
    from interactions
    where event_type in ('view', 'cart', 'purchase')
    group by category, coalesce(brand, 'unknown'), session_key

),

funnel as (

    select
        category,
        brand,
        {{ funnel_session_counts() }}
    from session_events
    group by category, brand

),

final as (

    select
        category,
        brand,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        n_view_cart_sessions,
        n_cart_purchase_sessions,
        n_view_purchase_sessions,
        n_purchase_sessions_without_cart,
        {{ funnel_rates() }}
    from funnel

)

select * from final
