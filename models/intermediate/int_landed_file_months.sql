{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=['source_file_key'],
    on_schema_change='fail',
    pre_hook="{{ forget_file_versions_not_upstream() }}",
) }}
{%- set new_file_versions = new_file_versions_only() %}

-- The months each raw file version landed accepted rows in: what the lake
-- (`fct_interactions`) compares with what it holds to find the months an incremental run
-- recomputes. Read from the parsed models' accepted rows (three columns of Parquet), so
-- finding them does not stage and de-duplicate every event again; a row later dropped as
-- a duplicate can only add a month to recompute, never miss one. Incremental by raw file
-- version like the parsed models (partitioned by `source_file_key`): a run reads the
-- parsed rows of the file versions it does not hold yet, not every event again, and
-- drops those no parsed model holds any more.
with

rees46_lines as (

    select * from {{ ref('base_rees46__parsed_events') }}
    {{ new_file_versions }}

),

amazon_review_lines as (

    select * from {{ ref('base_amazon__parsed_reviews') }}
    {{ new_file_versions }}

),

interaction_lines as (

    select * from {{ ref('base_interactions__parsed_events') }}
    {{ new_file_versions }}

),

landed as (

    select
        'rees46' as source_system,
        source_file_modified_at,
        event_at,
        source_file_key
    from rees46_lines
    where reject_reason is null
    union all
    select
        'amazon' as source_system,
        source_file_modified_at,
        reviewed_at as event_at,
        source_file_key
    from amazon_review_lines
    where reject_reason is null
    union all
    select
        'interactions' as source_system,
        source_file_modified_at,
        event_at,
        source_file_key
    from interaction_lines
    where reject_reason is null

),

final as (

    select distinct
        source_system,
        source_file_modified_at,
        year(event_at) as event_year,
        month(event_at) as event_month,
        source_file_key
    from landed

)

select * from final
