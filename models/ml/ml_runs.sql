{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

-- The model history: one row per model per training run, appended by every build
-- (a run is identified by the run_id ml_recommendations stamps on its rows).

with

recommendations as (

    select * from {{ ref('ml_recommendations') }}

),

metrics as (

    select * from {{ ref('ml_metrics') }}
    where is_headline

),

split as (

    select * from {{ ref('ml_split_report') }}
    where window_name = 'test'

),

runs as (

    select
        run_id,
        model,
        min(trained_at) as trained_at,
        min(backend) as backend,
        min(train_seconds) as train_seconds,
        min(score_seconds) as score_seconds,
        count(distinct user_id) as n_users_scored
    from recommendations
    group by run_id, model

),

final as (

    select
        runs.run_id,
        runs.model,
        runs.trained_at,
        runs.backend,
        to_json(named_struct(
            'rank', {{ var('als_rank') }},
            'max_iter', {{ var('als_max_iter') }},
            'reg_param', {{ var('als_reg_param') }},
            'alpha', {{ var('als_alpha') }},
            'seed', {{ var('random_seed') }},
            'backend_setting', '{{ var("als_backend") }}',
            'top_k', {{ var('top_k') }}
        )) as params,
        split.first_event_at as train_start_at,
        split.cutoff_at,
        split.holdout_end_at,
        split.n_train_pairs,
        split.n_holdout_pairs,
        split.n_holdout_users,
        runs.n_users_scored,
        runs.train_seconds,
        runs.score_seconds,
        metrics.precision_at_k,
        metrics.recall_at_k,
        metrics.ndcg_at_k,
        metrics.map_at_k,
        metrics.hit_rate_at_k,
        metrics.catalog_coverage,
        metrics.target,
        metrics.protocol
    from runs
    inner join metrics on runs.model = metrics.model
    cross join split
    {% if is_incremental() %}
        where runs.run_id not in (select run_id from {{ this }})
    {% endif %}

)

select * from final
