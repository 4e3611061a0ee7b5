{#- One window of ml_split_train or ml_split_holdout (side = 'train' or 'holdout'), without
    the window_name column: the views ml_train_interactions, ml_holdout_interactions,
    ml_validation_train and ml_validation_holdout are each one call. -#}
{% macro ml_window(side, window_name) -%}
{%- set columns = {
    'train': ['user_id', 'product_id', 'weight', 'n_events', 'n_purchases',
              'n_purchase_days', 'last_event_at', 'last_purchase_at'],
    'holdout': ['user_id', 'product_id', 'first_event_at', 'is_purchase', 'is_repeat',
                'is_warm_user'],
}[side] -%}
with

split_{{ side }} as (

    select * from {{ ref('ml_split_' ~ side) }}

),

final as (

    select
        {{ columns | join(',\n        ') }}
    from split_{{ side }}
    where window_name = {{ cartwheel_sql_string(window_name) }}

)

select * from final
{%- endmacro %}
