-- The session funnel of funnel_conversion (per category and brand) and of
-- product_analytics_summary (per product) equals a recount from fct_interactions that
-- shares no code with the marts: the distinct sessions having each event type, and the
-- sessions having both of two event types (or a purchase and no cart), found by joining
-- those session lists. A session is the source's session id, else the user's UTC day.
-- Returns each row whose counts differ (a row missing on either side included).
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

funnel_conversion as (

    select * from {{ ref('funnel_conversion') }}

),

product_analytics_summary as (

    select * from {{ ref('product_analytics_summary') }}

),

grain_session_events as (

    -- one row per grain (a category|brand row of funnel_conversion, a product of
    -- product_analytics_summary), session and funnel event type that happened in it
    select distinct
        'funnel_conversion' as model_name,
        concat_ws('|', category, coalesce(brand, 'unknown')) as row_key,
        concat_ws(
            '|', source_system, user_id, coalesce(session_id, cast(event_date as string))
        ) as session_key,
        event_type
    from interactions
    where event_type in ('view', 'cart', 'purchase')

    union all

    select distinct
        'product_analytics_summary' as model_name,
        product_id as row_key,
        concat_ws(
            '|', source_system, user_id, coalesce(session_id, cast(event_date as string))
        ) as session_key,
        event_type
    from interactions
    where event_type in ('view', 'cart', 'purchase')

),

views as (

    select
        model_name,
        row_key,
        session_key
    from grain_session_events
    where event_type = 'view'

),

carts as (

    select
        model_name,
        row_key,
        session_key
    from grain_session_events
    where event_type = 'cart'

),

purchases as (

    select
        model_name,
        row_key,
        session_key
    from grain_session_events
    where event_type = 'purchase'

),

stage_counts as (

    select
        model_name,
        row_key,
        'n_view_sessions' as count_name,
        count(*) as n_sessions
    from views
    group by model_name, row_key

    union all

    select
        model_name,
        row_key,
        'n_cart_sessions' as count_name,
        count(*) as n_sessions
    from carts
    group by model_name, row_key

    union all

    select
        model_name,
        row_key,
        'n_purchase_sessions' as count_name,
        count(*) as n_sessions
    from purchases
    group by model_name, row_key

    union all

    select
        views.model_name,
        views.row_key,
        'n_view_cart_sessions' as count_name,
        count(*) as n_sessions
    from views
    inner join carts
        on
            views.model_name = carts.model_name
            and views.row_key = carts.row_key
            and views.session_key = carts.session_key
    group by views.model_name, views.row_key

    union all

    select
        carts.model_name,
        carts.row_key,
        'n_cart_purchase_sessions' as count_name,
        count(*) as n_sessions
    from carts
    inner join purchases
        on
            carts.model_name = purchases.model_name
            and carts.row_key = purchases.row_key
            and carts.session_key = purchases.session_key
    group by carts.model_name, carts.row_key

    union all

    select
        views.model_name,
        views.row_key,
        'n_view_purchase_sessions' as count_name,
        count(*) as n_sessions
    from views
    inner join purchases
        on
            views.model_name = purchases.model_name
            and views.row_key = purchases.row_key
            and views.session_key = purchases.session_key
    group by views.model_name, views.row_key

    union all

    select
        purchases.model_name,
        purchases.row_key,
        'n_purchase_sessions_without_cart' as count_name,
        count(*) as n_sessions
    from purchases
    left join carts
        on
            purchases.model_name = carts.model_name
            and purchases.row_key = carts.row_key
            and purchases.session_key = carts.session_key
    where carts.session_key is null
    group by purchases.model_name, purchases.row_key

),

mart_rows as (

    select
        'funnel_conversion' as model_name,
        concat_ws('|', category, brand) as row_key,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        n_view_cart_sessions,
        n_cart_purchase_sessions,
        n_view_purchase_sessions,
        n_purchase_sessions_without_cart
    from funnel_conversion

    union all

    select
        'product_analytics_summary' as model_name,
        product_id as row_key,
        n_view_sessions,
        n_cart_sessions,
        n_purchase_sessions,
        n_view_cart_sessions,
        n_cart_purchase_sessions,
        n_view_purchase_sessions,
        n_purchase_sessions_without_cart
    from product_analytics_summary

),

mart_counts as (

    select
        model_name,
        row_key,
        stack(
            7,
            'n_view_sessions', n_view_sessions,
            'n_cart_sessions', n_cart_sessions,
            'n_purchase_sessions', n_purchase_sessions,
            'n_view_cart_sessions', n_view_cart_sessions,
            'n_cart_purchase_sessions', n_cart_purchase_sessions,
            'n_view_purchase_sessions', n_view_purchase_sessions,
            'n_purchase_sessions_without_cart', n_purchase_sessions_without_cart
        ) as (count_name, n_sessions)
    from mart_rows

),

compared as (

    -- a count absent from the recount is 0 (product_analytics_summary keeps products
    -- without funnel events); a funnel_conversion row must exist in the recount
    select
        coalesce(mart_counts.model_name, stage_counts.model_name) as model_name,
        coalesce(mart_counts.row_key, stage_counts.row_key) as row_key,
        coalesce(mart_counts.count_name, stage_counts.count_name) as count_name,
        mart_counts.n_sessions as mart_sessions,
        coalesce(stage_counts.n_sessions, 0) as recounted_sessions
    from mart_counts
    full outer join stage_counts
        on
            mart_counts.model_name = stage_counts.model_name
            and mart_counts.row_key = stage_counts.row_key
            and mart_counts.count_name = stage_counts.count_name

),

recounted_rows as (

    select distinct
        model_name,
        row_key
    from grain_session_events

),

missing_rows as (

    -- mart rows of funnel_conversion with no funnel event behind them
    select
        mart_rows.model_name,
        mart_rows.row_key,
        'row' as count_name,
        1 as mart_sessions,
        0 as recounted_sessions
    from mart_rows
    left join recounted_rows
        on
            mart_rows.model_name = recounted_rows.model_name
            and mart_rows.row_key = recounted_rows.row_key
    where
        mart_rows.model_name = 'funnel_conversion'
        and recounted_rows.row_key is null

),

final as (

    select * from compared
    where not mart_sessions <=> recounted_sessions

    union all

    select * from missing_rows

)

select * from final
