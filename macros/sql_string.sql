{#- A Spark SQL string literal of `value`: quotes and backslashes escaped, so a var or
    a path can never end the literal early. -#}
{% macro cartwheel_sql_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
