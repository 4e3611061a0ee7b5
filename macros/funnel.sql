{#-
  The shared funnel definitions of funnel_conversion and product_analytics_summary.
  A session is the source's session id, or the user's day where the source has none.
-#}
{% macro funnel_session_key() -%}
    {{ surrogate_key([
        'source_system', 'user_id', 'coalesce(session_id, cast(event_date as string))'
    ]) }}
{%- endmacro %}

{#- The funnel stage an event reaches: 1 view, 2 cart, 3 purchase (null otherwise). -#}
{% macro funnel_stage(event_type) -%}
    case {{ event_type }}
        when 'view' then 1
        when 'cart' then 2
        when 'purchase' then 3
    end
{%- endmacro %}
