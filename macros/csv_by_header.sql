{#-
  CSV lines read by their file's header, as Parquet is read by its schema: columns in any
  order, optional columns absent. `lines` is a relation or CTE of raw lines (`line_id`,
  `raw_line`, `source_file`, `source_file_modified_at`); every data line comes out with
  its file's header fields (`header`), its `field_count` and `header_field_count`, the
  required columns its header lacks (`missing_columns`, empty when none) and one string
  column per name in `columns` (null where the header has no such column).

  A file's header is the line holding `marker` as a field (case, spaces, quotes and a
  byte-order mark ignored); a file without one has null `header_field_count`.
-#}
{% macro csv_by_header(lines, marker, columns, required, max_fields=32) %}
    {%- set slots = [] -%}
    {%- for i in range(max_fields) -%}{%- do slots.append('_c' ~ i ~ ' string') -%}{%- endfor -%}
    (
        with

        headers as (

            select
                source_file,
                min({{ csv_header_fields('raw_line') }}) as header,
                min({{ csv_field_count('raw_line') }}) as header_field_count
            from {{ lines }}
            where {{ csv_is_header('raw_line', marker) }}
            group by source_file

        ),

        tokenised as (

            select
                lines.*,
                {{ csv_field_count('raw_line') }} as field_count,
                from_csv(
                    regexp_replace(raw_line, '^\ufeff', ''),
                    {{ cartwheel_sql_string(slots | join(', ')) }}
                ) as tokens
            from {{ lines }} as lines
            where not {{ csv_is_header('raw_line', marker) }}

        ),

        data_lines as (

            -- one header row per file: broadcast it, never shuffle the lines
            select /*+ broadcast(headers) */
                tokenised.line_id,
                tokenised.raw_line,
                tokenised.source_file,
                tokenised.source_file_modified_at,
                tokenised.source_file_key,
                tokenised.field_count,
                headers.header,
                headers.header_field_count,
                array({% for i in range(max_fields) %}tokenised.tokens._c{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}) as fields
            from tokenised
            left join headers
                on tokenised.source_file = headers.source_file

        )

        select
            line_id,
            raw_line,
            source_file,
            source_file_modified_at,
            source_file_key,
            field_count,
            header_field_count,
            concat_ws(',', filter(
                array({% for name in required %}{{ cartwheel_sql_string(name) }}{% if not loop.last %}, {% endif %}{% endfor %}),
                name -> not array_contains(coalesce(header, array()), name)
            )) as missing_columns,
            {%- for name in columns %}
            get(fields, cast(array_position(header, {{ cartwheel_sql_string(name) }}) as int) - 1)
                as {{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from data_lines
    )
{% endmacro %}

{#- The fields of a header line, normalised: lower case, no spaces, quotes or BOM. -#}
{% macro csv_header_fields(line) -%}
    split(lower(regexp_replace({{ line }}, '[\ufeff"\\s]', '')), ',')
{%- endmacro %}

{#- True for a header line: it holds `marker` as one of its fields (a cheap substring test
    first, so data lines are not split). -#}
{% macro csv_is_header(line, marker) -%}
    (
        instr(lower({{ line }}), {{ cartwheel_sql_string(marker) }}) > 0
        and array_contains({{ csv_header_fields(line) }}, {{ cartwheel_sql_string(marker) }})
    )
{%- endmacro %}

{#- The reject rules of a CSV read by header, before the event rules (first match wins). -#}
{% macro csv_header_reject_rules() -%}
    when header_field_count is null then 'no_header'
    when missing_columns != '' then 'missing_column:' || missing_columns
{%- endmacro %}
