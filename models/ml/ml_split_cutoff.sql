-- The one global time cutoff of the train/holdout split (var ml_cutoff_at, else the
-- start of the last ml_holdout_fraction of the time span).
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

final as (

    select
        first_event_at,
        last_event_at,
        {% if var('ml_cutoff_at') %}
            cast('{{ var("ml_cutoff_at") }}' as timestamp) as cutoff_at
        {% else %}
            timestamp_seconds(
                unix_seconds(first_event_at)
                + cast(
                    (unix_seconds(last_event_at) - unix_seconds(first_event_at))
                    * (1 - {{ var('ml_holdout_fraction') }}) as bigint
                )
            ) as cutoff_at
        {% endif %}
    from span

)

select * from final
