{#- The implicit-feedback weight of an event type, from the `event_weights` var. -#}
{% macro event_weight(event_type_column) -%}
    case {{ event_type_column }}
    {%- for event_type, weight in var('event_weights').items() %}
        when '{{ event_type }}' then {{ weight }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}
