-- How does each product perform: traffic, funnel conversion, revenue and rating on one row.
with

products as (

    select * from {{ ref('dim_products') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

event_counts as (

    select
        product_id,
        count_if(event_type = 'view') as n_views,
        count_if(event_type = 'cart') as n_carts,
        count_if(event_type = 'purchase') as n_purchases,
        count_if(event_type = 'review') as n_reviews,
        count(distinct case when event_type = 'view' then user_id end) as n_viewers,
        count(distinct case when event_type = 'purchase' then user_id end) as n_buyers
    from interactions
    group by product_id

),

session_events as (

    -- which funnel events each session has with the product; a session without a
    -- source session id is the user's day
    select
        product_id,
        {{ funnel_session_key() }} as session_key,
        {{ funnel_session_flags() }}
    from interactions
    where event_type in ('view', 'cart', 'purchase')
    group by product_id, session_key

),

funnel as (

    select
        product_id,
        {{ funnel_session_counts() }}
    from session_events
    group by product_id

),

sales as (

    select
        product_id,
        sum(quantity) as n_units_sold,
        sum(revenue) as revenue
    from order_items
    group by product_id

),

final as (

    select
        products.product_id,
        products.product_title,
        products.category,
        products.category_code,
        products.brand,
        coalesce(event_counts.n_views, 0) as n_views,
        coalesce(event_counts.n_carts, 0) as n_carts,
        coalesce(event_counts.n_purchases, 0) as n_purchases,
        coalesce(event_counts.n_reviews, 0) as n_reviews,
        coalesce(event_counts.n_viewers, 0) as n_viewers,
        coalesce(event_counts.n_buyers, 0) as n_buyers,
        coalesce(funnel.n_view_sessions, 0) as n_view_sessions,
        coalesce(funnel.n_cart_sessions, 0) as n_cart_sessions,
        coalesce(funnel.n_purchase_sessions, 0) as n_purchase_sessions,
        coalesce(funnel.n_view_cart_sessions, 0) as n_view_cart_sessions,
        coalesce(funnel.n_cart_purchase_sessions, 0) as n_cart_purchase_sessions,
        coalesce(funnel.n_view_purchase_sessions, 0) as n_view_purchase_sessions,
        coalesce(
            funnel.n_purchase_sessions_without_cart, 0
        ) as n_purchase_sessions_without_cart,
        {{ funnel_rates('funnel.') }},
        cast(coalesce(sales.n_units_sold, 0) as bigint) as n_units_sold,
        cast(coalesce(sales.revenue, 0) as decimal(18, 2)) as revenue,
        products.average_rating,
        products.rating_count
    from products
    left join event_counts on products.product_id = event_counts.product_id
    left join funnel on products.product_id = funnel.product_id
    left join sales on products.product_id = sales.product_id

)

select * from final
