{#-
  Incremental by month, for the lake (`fct_interactions`):
  a run recomputes every (event_year, event_month) that holds a row of a raw file version
  (source, file modification time) that `this` does not hold in that month, and
  `insert_overwrite` replaces exactly those partitions. The result equals a full refresh.

  Keyed by month as well as by file version, so a run killed while Spark moved partitions
  into place (some months replaced, others not, or a partition missing from the metastore)
  is repaired by the next run: a month that lacks its rows of a file is recomputed. (A
  single per-source high-water mark would see the newest file as loaded and skip the
  missing months for good.)

  Use inside `{% if is_incremental() %}`: `touched_month_ctes('upstream_cte')` adds two
  CTEs, `in_touched_month('upstream_cte')` is the matching where-condition.
-#}
{% macro touched_month_ctes(upstream) %}
seen as (

    select distinct
        source_system,
        source_file_modified_at,
        event_year,
        event_month
    from {{ this }}

),

touched_months as (

    select distinct
        {{ upstream }}.event_year,
        {{ upstream }}.event_month
    from {{ upstream }}
    left anti join seen
        on
            {{ upstream }}.source_system = seen.source_system
            and {{ upstream }}.source_file_modified_at = seen.source_file_modified_at
            and {{ upstream }}.event_year = seen.event_year
            and {{ upstream }}.event_month = seen.event_month

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
