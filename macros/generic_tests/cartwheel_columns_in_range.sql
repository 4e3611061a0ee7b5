{#-
  Rows where any of `columns` lies outside its range, each with `out_of_range_columns`
  naming them: one scan checks every listed column (a `cartwheel_in_range` test per column
  would scan the table once per column). `columns` maps a column name to its
  `min_value` / `max_value` (either optional) and `inclusive` (default true; false makes
  both bounds strict), with the semantics of `cartwheel_in_range`: nulls pass.
-#}
{% test cartwheel_columns_in_range(model, columns) %}

with

checked as (

    select
        *,
        concat_ws(
            ', '
            {%- for column, bounds in columns.items() %}
            {%- set bounds = bounds or {} %}
            {%- set inclusive = bounds.get('inclusive', true) %}
            {%- set low = '<' if inclusive else '<=' %}
            {%- set high = '>' if inclusive else '>=' %},
            case
                when
                    {{ column }} is not null
                    and (
                        false
                        {%- if bounds.get('min_value') is not none %} or {{ column }} {{ low }} {{ bounds['min_value'] }}{% endif %}
                        {%- if bounds.get('max_value') is not none %} or {{ column }} {{ high }} {{ bounds['max_value'] }}{% endif %}
                    )
                    then '{{ column }}'
            end
            {%- endfor %}
        ) as out_of_range_columns
    from {{ model }}

)

select * from checked
where out_of_range_columns != ''

{% endtest %}
