{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=['event_year', 'event_month'],
    file_format='parquet',
    on_schema_change='fail',
) }}

-- The landing lake and the interaction fact in one table: every accepted event of every
-- enabled source in one grain, with its implicit-feedback weight, stored as Parquet
-- partitioned by year and month (large files; one partition per month). An incremental
-- run recomputes only the months touched by raw files newer than what the table has seen
-- (per source; see the touched_month_filter macro) and overwrites just those partitions, so
-- it gives the same table as --full-refresh.
-- depends_on: {{ ref('int_landed_file_months') }}

with

rees46_events as (

    select * from {{ ref('stg_rees46__events') }}

),

amazon_reviews as (

    select * from {{ ref('stg_amazon__reviews') }}

),

amazon_products as (

    select * from {{ ref('stg_amazon__products') }}

),

interaction_events as (

    select * from {{ ref('stg_interactions__events') }}

),

rees46 as (

    select
        'rees46' as source_system,
        event_id as source_event_id,
        user_id,
        product_id,
        event_type,
        event_at,
        session_id,
        price,
        1 as quantity,
        cast(null as string) as order_id,
        cast(null as decimal(2, 1)) as rating,
        category_code,
        brand,
        source_file_modified_at
    from rees46_events

),

amazon as (

    select
        'amazon' as source_system,
        reviews.review_id as source_event_id,
        reviews.user_id,
        reviews.product_id,
        'review' as event_type,
        reviews.reviewed_at as event_at,
        cast(null as string) as session_id,
        products.price,
        1 as quantity,
        cast(null as string) as order_id,
        reviews.rating,
        products.category_code,
        products.brand,
        reviews.source_file_modified_at
    from amazon_reviews as reviews
    left join amazon_products as products
        on reviews.product_id = products.product_id

),

interactions as (

    select
        'interactions' as source_system,
        event_id as source_event_id,
        user_id,
        product_id,
        event_type,
        event_at,
        cast(null as string) as session_id,
        price,
        quantity,
        order_id,
        cast(null as decimal(2, 1)) as rating,
        category_code,
        cast(null as string) as brand,
        source_file_modified_at
    from interaction_events

),

unioned as (

    select * from rees46
    union all
    select * from amazon
    union all
    select * from interactions

),

partitioned as (

    select
        *,
        {{ top_level_category('category_code') }} as category,
        year(event_at) as event_year,
        month(event_at) as event_month
    from unioned

),

final as (

    -- one task per month writes its partition: one large file per month
    select /*+ rebalance(event_year, event_month) */
        md5(concat(source_system, ':', source_event_id)) as event_id,
        user_id,
        product_id,
        event_type,
        event_at,
        to_date(event_at) as event_date,
        session_id,
        price,
        quantity,
        order_id,
        rating,
        {{ interaction_weight('event_type', 'rating') }} as interaction_weight,
        source_system,
        category_code,
        brand,
        source_file_modified_at,
        category,
        event_year,
        event_month
    from partitioned
    {% if is_incremental() %}
        where {{ touched_month_filter('partitioned') }}
    {% endif %}

)

select * from final
