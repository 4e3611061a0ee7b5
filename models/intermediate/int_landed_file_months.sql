-- The months each raw file version landed accepted rows in, per source system: what the
-- lake (`fct_interactions`) compares with what it holds to find the months an incremental
-- run recomputes. Read from the parsed models' accepted rows (three columns of Parquet),
-- so finding them does not stage and de-duplicate every event again; a row later dropped
-- as a duplicate can only add a month to recompute, never miss one.
with

rees46_lines as (

    select * from {{ ref('base_rees46__parsed_events') }}

),

amazon_review_lines as (

    select * from {{ ref('base_amazon__parsed_reviews') }}

),

interaction_lines as (

    select * from {{ ref('base_interactions__parsed_events') }}

),

landed as (

    select
        'rees46' as source_system,
        source_file_modified_at,
        event_at
    from rees46_lines
    where reject_reason is null
    union all
    select
        'amazon' as source_system,
        source_file_modified_at,
        reviewed_at as event_at
    from amazon_review_lines
    where reject_reason is null
    union all
    select
        'interactions' as source_system,
        source_file_modified_at,
        event_at
    from interaction_lines
    where reject_reason is null

),

final as (

    select distinct
        source_system,
        source_file_modified_at,
        year(event_at) as event_year,
        month(event_at) as event_month
    from landed

)

select * from final
