-- Every train/holdout window the recommender is evaluated on, one row each:
-- `test` (the final figures), `validation` (where every choice is made) and the rolling
-- backtest folds (fold 1 is the test window, each further fold one holdout length earlier).
-- Train = events strictly before cutoff_at; holdout = events in [cutoff_at, holdout_end_at).
-- Windows with the same bounds have the same rows (the test window and backtest fold 1):
-- data_window_name names the one of them ml_split_train and ml_split_holdout compute.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

span as (

    select
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from interactions

),

test_cutoff as (

    select
        first_event_at,
        last_event_at,
        {% if var('ml_cutoff_at') %}
            cast({{ cartwheel_sql_string(var('ml_cutoff_at')) }} as timestamp) as cutoff_at,
        {% else %}
            timestamp_seconds(
                unix_seconds(first_event_at)
                + cast(
                    (unix_seconds(last_event_at) - unix_seconds(first_event_at))
                    * (1 - {{ cartwheel_number_var('ml_holdout_fraction') }}) as bigint
                )
            ) as cutoff_at,
        {% endif %}
        -- exclusive end: one second after the last event
        timestamp_seconds(unix_seconds(last_event_at) + 1) as holdout_end_at,
        unix_seconds(last_event_at) - unix_seconds(first_event_at) as span_seconds
    from span

),

windows as (

    select
        'test' as window_name,
        'test' as window_role,
        0 as fold,
        cutoff_at,
        holdout_end_at
    from test_cutoff

    union all

    select
        'validation' as window_name,
        'validation' as window_role,
        0 as fold,
        timestamp_seconds(
            unix_seconds(cutoff_at)
            - cast(span_seconds * {{ cartwheel_number_var('ml_validation_fraction') }} as bigint)
        ) as cutoff_at,
        cutoff_at as holdout_end_at
    from test_cutoff

    {% for fold in range(1, var('ml_backtest_folds') | int + 1) %}

        union all

        select
            'backtest_{{ fold }}' as window_name,
            'backtest' as window_role,
            {{ fold }} as fold,
            timestamp_seconds(
                unix_seconds(cutoff_at)
                - {{ fold - 1 }} * (unix_seconds(holdout_end_at) - unix_seconds(cutoff_at))
            ) as cutoff_at,
            timestamp_seconds(
                unix_seconds(holdout_end_at)
                - {{ fold - 1 }} * (unix_seconds(holdout_end_at) - unix_seconds(cutoff_at))
            ) as holdout_end_at
        from test_cutoff

    {% endfor %}

),

final as (

    select
        windows.window_name,
        windows.window_role,
        windows.fold,
        test_cutoff.first_event_at,
        windows.cutoff_at,
        windows.holdout_end_at,
        test_cutoff.last_event_at,
        min(windows.window_name) over (
            partition by windows.cutoff_at, windows.holdout_end_at
        ) as data_window_name
    from windows
    cross join test_cutoff

)

select * from final
