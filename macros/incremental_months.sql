{#-
  Incremental by month, for the lake (`fct_interactions`):
  a run recomputes every (event_year, event_month) that holds a row from a raw file
  newer than what `this` has seen for that source, and `insert_overwrite` replaces
  exactly those partitions. The result equals a full refresh.

  Use inside `{% if is_incremental() %}`: `touched_month_ctes('upstream_cte')` adds two
  CTEs, `in_touched_month('upstream_cte')` is the matching where-condition.
-#}
{% macro touched_month_ctes(upstream) %}
seen as (

    select
        source_system,
        max(source_file_modified_at) as seen_until
    from {{ this }}
    group by source_system

),

touched_months as (

    select distinct
        {{ upstream }}.event_year,
        {{ upstream }}.event_month
    from {{ upstream }}
    left join seen
        on {{ upstream }}.source_system = seen.source_system
    where
        seen.seen_until is null
        or {{ upstream }}.source_file_modified_at > seen.seen_until

),
{% endmacro %}

{% macro in_touched_month(upstream) -%}
    exists (
        select 1 from touched_months
        where
            touched_months.event_year = {{ upstream }}.event_year
            and touched_months.event_month = {{ upstream }}.event_month
    )
{%- endmacro %}
