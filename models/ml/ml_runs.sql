{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

-- The model history: one row per model per training run, appended by every build
-- (a run is identified by the run_id ml_recommendations stamps on its rows). A model
-- that made no list in the headline slice (EASE above ease_max_items, buy_again under
-- new_items) still has its row, with the reason in note.

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

headline as (

    select first(metrics.protocol) as protocol
    from metrics

),

runs as (

    select
        recommendations.run_id,
        recommendations.model,
        min(recommendations.trained_at) as trained_at,
        min(recommendations.backend) as backend,
        min(recommendations.train_seconds) as train_seconds,
        min(recommendations.score_seconds) as score_seconds,
        count(distinct recommendations.user_id) as n_users_scored
    from recommendations
    inner join headline on recommendations.protocol = headline.protocol
    group by recommendations.run_id, recommendations.model

),

run as (

    select
        first(run_id) as run_id,
        min(trained_at) as trained_at
    from runs

),

final as (

    select
        run.run_id,
        metrics.model,
        coalesce(runs.trained_at, run.trained_at) as trained_at,
        runs.backend,
        coalesce(metrics.params, to_json(named_struct(
            'seed', {{ cartwheel_number_var('random_seed') }},
            'top_k', {{ cartwheel_number_var('top_k') }}
        ))) as params,
        split.first_event_at as train_start_at,
        split.cutoff_at,
        split.holdout_end_at,
        split.n_train_pairs,
        split.n_holdout_pairs,
        split.n_holdout_users,
        coalesce(runs.n_users_scored, 0) as n_users_scored,
        runs.train_seconds,
        runs.score_seconds,
        metrics.precision_at_k,
        metrics.recall_at_k,
        metrics.ndcg_at_k,
        metrics.map_at_k,
        metrics.hit_rate_at_k,
        metrics.catalog_coverage,
        metrics.target,
        metrics.protocol,
        metrics.note,
        metrics.mlflow_run_id
    from metrics
    cross join run
    cross join split
    left join runs on metrics.model = runs.model
    {% if is_incremental() %}
        where run.run_id not in (select run_id from {{ this }})
    {% endif %}

)

select * from final
