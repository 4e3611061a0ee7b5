{#- Rows for which a boolean SQL expression is not true. -#}
{% test cartwheel_expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
