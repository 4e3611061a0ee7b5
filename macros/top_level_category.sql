{#- The top-level category of a dotted category code, path-safe; 'unknown' when none. -#}
{% macro top_level_category(category_code) -%}
    coalesce(
        regexp_replace(lower(split({{ category_code }}, '\\.')[0]), '[^a-z0-9]+', '_'), 'unknown'
    )
{%- endmacro %}
