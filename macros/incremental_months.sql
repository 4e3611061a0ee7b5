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

  The file versions and months come from `int_landed_file_months` (the parsed models'
  accepted rows), not from the staged rows, so finding the months does not stage and
  de-duplicate every event again. Use inside `{% if is_incremental() %}`:
  `touched_month_ctes()` adds two CTEs, `in_touched_month('upstream_cte')` is the
  matching where-condition; the model declares `-- depends_on: {{ ref('int_landed_file_months') }}`.
-#}
{% macro touched_month_ctes() %}
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
        landed.event_year,
        landed.event_month
    from {{ ref('int_landed_file_months') }} as landed
    left anti join seen
        on
            landed.source_system = seen.source_system
            and landed.source_file_modified_at = seen.source_file_modified_at
            and landed.event_year = seen.event_year
            and landed.event_month = seen.event_month

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
