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
  accepted rows), not from the staged rows, and the months are looked up when the run
  starts and written into the query as literals: Spark then filters the events by month
  before staging de-duplicates them, so an incremental run stages one month's events, not
  every event again. Use inside `{% if is_incremental() %}` as a where-condition,
  `touched_month_filter('upstream_cte')`; the model declares
  `-- depends_on: {{ ref('int_landed_file_months') }}`.
-#}
{% macro touched_month_filter(upstream) -%}
    {%- set months = [] -%}
    {%- if execute -%}
        {%- set sql -%}
            select distinct landed.event_year * 100 + landed.event_month as year_month
            from {{ ref('int_landed_file_months') }} as landed
            left anti join (
                select distinct source_system, source_file_modified_at, event_year, event_month
                from {{ this }}
            ) as seen
                on
                    landed.source_system = seen.source_system
                    and landed.source_file_modified_at = seen.source_file_modified_at
                    and landed.event_year = seen.event_year
                    and landed.event_month = seen.event_month
            order by year_month
        {%- endset -%}
        {%- for row in run_query(sql).rows -%}
            {%- do months.append(row[0] | int) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if months -%}
        {{ upstream }}.event_year * 100 + {{ upstream }}.event_month in ({{ months | join(', ') }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
