{#-
  The implicit-feedback weight of an event, from the `event_weights` var; a review counts
  as a purchase-strength signal scaled by its rating (`review_rating_scale`).
-#}
{% macro interaction_weight(event_type, rating) -%}
    case {{ event_type }}
    {%- for name, weight in var('event_weights').items() %}
        when '{{ name }}' then cast({{ weight }} as double)
    {%- endfor %}
        when 'review' then cast(
            {{ var('event_weights')['purchase'] }} * {{ rating }}
            / {{ var('review_rating_scale') }} as double
        )
        else cast(0 as double)
    end
{%- endmacro %}
