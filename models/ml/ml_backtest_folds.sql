-- The backtest's figures per fold. Fold 1 (backtest_1 of ml_split_windows) has the test
-- window's cutoff and end, so its figures are the test window's own (ml_metrics): the
-- models are not fitted on that window a second time. The earlier folds are refitted and
-- evaluated in ml_backtest_earlier_folds.
{%- set metric_columns = [
    'model', 'target', 'protocol', 'population', 'k', 'precision_at_k', 'recall_at_k',
    'ndcg_at_k', 'map_at_k', 'hit_rate_at_k', 'catalog_coverage', 'intra_list_diversity',
    'n_users', 'n_users_with_recs', 'n_users_without_recs', 'note', 'params'
] %}

with

test_metrics as (

    select * from {{ ref('ml_metrics') }}

),

earlier_folds as (

    select * from {{ ref('ml_backtest_earlier_folds') }}

),

first_fold_metrics as (

    select
        'backtest_1' as window_name,
        1 as fold,
        {{ metric_columns | join(',\n        ') }}
    from test_metrics
    where {{ var('ml_backtest_folds') | int }} >= 1

),

final as (

    select * from first_fold_metrics
    union all
    select
        window_name,
        fold,
        {{ metric_columns | join(',\n        ') }}
    from earlier_folds

)

select * from final
