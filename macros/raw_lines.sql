{#-
  Every line of a raw text source with its file, the file's modification time and a
  `line_id`: a hash of file and line, plus the occurrence number when the same line
  appears more than once in a file (text files carry no row numbers in Spark).
-#}
{% macro raw_lines(source_name, table_name) -%}
    select
        {{ line_id('_metadata.file_path', 'value') }} as line_id,
        value as raw_line,
        _metadata.file_path as source_file,
        _metadata.file_modification_time as source_file_modified_at
    from {{ source(source_name, table_name) }}
{%- endmacro %}

{% macro line_id(file_column, line_column) -%}
    md5(concat({{ file_column }}, '\n', {{ line_column }})) || '-' || row_number() over (
        partition by {{ file_column }}, {{ line_column }} order by {{ file_column }}
    )
{%- endmacro %}

{#- Number of comma-separated fields of a CSV line (double-quoted fields count once). -#}
{% macro csv_field_count(line) -%}
    size(split(regexp_replace({{ line }}, '"[^"]*"', ''), ',', -1))
{%- endmacro %}

{#- A trimmed string with empty strings turned to null. -#}
{% macro clean_string(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}

{#- The event types the shop logs understand. -#}
{% macro known_event_types() -%}
    ('view', 'cart', 'remove_from_cart', 'purchase')
{%- endmacro %}
