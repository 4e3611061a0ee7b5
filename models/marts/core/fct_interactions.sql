{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=['category', 'event_year', 'event_month'],
    on_schema_change='fail',
) }}

-- Every accepted event of every source in one grain, with its implicit-feedback weight.
-- Incremental on the same partitions as the lake (see the touched_month_ctes macro).

with

events as (

    select * from {{ ref('int_events') }}

),

{% if is_incremental() %}
{{ touched_month_ctes('events') }}
{% endif %}

final as (

    select
        event_id,
        user_id,
        product_id,
        event_type,
        event_at,
        event_date,
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
    from events
    {% if is_incremental() %}
        where {{ in_touched_month('events') }}
    {% endif %}

)

select * from final
