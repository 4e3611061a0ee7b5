{#- Every line of a raw text source with its file and the file's modification time. -#}
{% macro raw_lines(source_name, table_name) -%}
    select
        value as raw_line,
        _metadata.file_path as source_file,
        _metadata.file_modification_time as source_file_modified_at
    from {{ source(source_name, table_name) }}
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
