-- The backtest summary: each metric's mean and spread over the rolling folds, per model,
-- target, protocol, population and K (same models and parameters on every fold).
with

folds as (

    select * from {{ ref('ml_backtest_folds') }}

),

long_metrics as (

    select
        model,
        target,
        protocol,
        population,
        k,
        fold,
        n_users,
        stack(
            5,
            'precision_at_k', precision_at_k,
            'recall_at_k', recall_at_k,
            'ndcg_at_k', ndcg_at_k,
            'map_at_k', map_at_k,
            'hit_rate_at_k', hit_rate_at_k
        ) as (metric, metric_value)
    from folds

),

final as (

    select
        model,
        target,
        protocol,
        population,
        k,
        metric,
        count(metric_value) as n_folds,
        avg(metric_value) as mean_value,
        stddev_samp(metric_value) as std_value,
        min(metric_value) as min_value,
        max(metric_value) as max_value,
        sum(case when metric_value is not null then n_users else 0 end) as n_users_total
    from long_metrics
    group by model, target, protocol, population, k, metric

)

select * from final
