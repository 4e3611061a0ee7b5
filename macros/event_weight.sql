{#-
  The implicit-feedback weight of an event, from the `event_weights` var; a review counts
  as a purchase-strength signal scaled by its rating (`review_rating_scale`).
-#}
{% macro interaction_weight(event_type, rating) -%}
    case {{ event_type }}
    {%- for name, weight in var('event_weights').items() %}
        when {{ cartwheel_sql_string(name) }}
            then cast({{ cartwheel_number(weight, 'event_weights.' ~ name) }} as double)
    {%- endfor %}
        when 'review' then cast(
            {{ cartwheel_number(var('event_weights')['purchase'], 'event_weights.purchase') }}
            * {{ rating }} / {{ cartwheel_number_var('review_rating_scale') }} as double
        )
        else cast(0 as double)
    end
{%- endmacro %}
