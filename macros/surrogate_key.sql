{#- A stable string key from several columns (nulls kept distinct from empty strings). -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('||'
    {%- for column in columns %}, coalesce(cast({{ column }} as string), '_null_'){% endfor -%}
    ))
{%- endmacro %}
