-- The session funnel of funnel_conversion (per category and brand) and of
-- product_analytics_summary (per product) equals a recount from fct_interactions that
-- shares no code with the marts: each session's set of funnel event types, the sessions
-- counted per set, and each stage (or pair of stages, or a purchase and no cart) summed
-- over the sets that hold it. A session is the source's session id, else the user's UTC
-- day. One scan of fct_interactions: each event counts at both grains (stack).
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

grain_events as (

    -- each funnel event twice: at its category|brand row of funnel_conversion and at its
    -- product's row of product_analytics_summary
    select
        stack(
            2,
            'funnel_conversion', concat_ws('|', category, coalesce(brand, 'unknown')),
            'product_analytics_summary', product_id
        ) as (model_name, row_key),
        concat_ws(
            '|', source_system, user_id, coalesce(session_id, cast(event_date as string))
        ) as session_key,
        event_type
    from interactions
    where event_type in ('view', 'cart', 'purchase')

),

session_event_sets as (

    -- per grain row and session: the set of funnel event types it has, as a bit mask
    -- (view 1, cart 2, purchase 4)
    select
        model_name,
        row_key,
        session_key,
        bit_or(
            case event_type when 'view' then 1 when 'cart' then 2 when 'purchase' then 4 end
        ) as event_set
    from grain_events
    group by model_name, row_key, session_key

),

event_set_sessions as (

    -- per grain row: how many sessions have each set (at most 7 sets)
    select
        model_name,
        row_key,
        event_set,
        count(*) as n_sessions
    from session_event_sets
    group by model_name, row_key, event_set

),

stage_sets as (

    -- the sets that hold each counted stage, written out in full (view 1, cart 2,
    -- purchase 4: 3 is view and cart, 7 all three)
    select
        count_name,
        event_set
    from
        values
        ('n_view_sessions', 1),
        ('n_view_sessions', 3),
        ('n_view_sessions', 5),
        ('n_view_sessions', 7),
        ('n_cart_sessions', 2),
        ('n_cart_sessions', 3),
        ('n_cart_sessions', 6),
        ('n_cart_sessions', 7),
        ('n_purchase_sessions', 4),
        ('n_purchase_sessions', 6),
        ('n_purchase_sessions', 5),
        ('n_purchase_sessions', 7),
        ('n_view_cart_sessions', 3),
        ('n_view_cart_sessions', 7),
        ('n_cart_purchase_sessions', 6),
        ('n_cart_purchase_sessions', 7),
        ('n_view_purchase_sessions', 5),
        ('n_view_purchase_sessions', 7),
        ('n_purchase_sessions_without_cart', 4),
        ('n_purchase_sessions_without_cart', 5)
            as stage_sets (count_name, event_set)

),

stage_counts as (

    select
        event_set_sessions.model_name,
        event_set_sessions.row_key,
        stage_sets.count_name,
        sum(event_set_sessions.n_sessions) as n_sessions
    from event_set_sessions
    inner join stage_sets
        on event_set_sessions.event_set = stage_sets.event_set
    group by
        event_set_sessions.model_name,
        event_set_sessions.row_key,
        stage_sets.count_name

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
    from event_set_sessions

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
