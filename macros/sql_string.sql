{#- A Spark SQL string literal of `value`: quotes and backslashes escaped, so a var or
    a path can never end the literal early. -#}
{% macro cartwheel_sql_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- A numeric var as SQL text: anything but a number (a string, a list) fails the run with
    the var's name, so no var can paste SQL into a model. -#}
{% macro cartwheel_number(value, name) -%}
    {%- if value is number and value is not boolean -%}
        {{ return(value) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ name ~ " must be a number, got " ~ (value | string)[:80] ~ "") }}
{%- endmacro %}

{% macro cartwheel_number_var(name) -%}
    {{ return(cartwheel_number(var(name), name)) }}
{%- endmacro %}
