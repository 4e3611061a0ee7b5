{#-
  Rows where any of `columns` is null, each with `null_columns` naming them: one scan
  checks every listed column (a `not_null` test per column would scan the table once
  per column). A single-column key keeps its own `not_null` next to `unique`; the columns
  of a `cartwheel_unique_combination` are listed here (the primary-key rule counts them).
-#}
{% test cartwheel_not_null_columns(model, columns) %}

with

checked as (

    select
        *,
        concat_ws(
            ', '
            {%- for column in columns %},
            case when {{ column }} is null then '{{ column }}' end
            {%- endfor %}
        ) as null_columns
    from {{ model }}

)

select * from checked
where null_columns != ''

{% endtest %}
