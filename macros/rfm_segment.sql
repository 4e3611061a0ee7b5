{#-
  RFM segment from 1-5 recency, frequency and monetary scores (5 = best), in the usual
  simplified grid; the first matching rule wins.
-#}
{% macro rfm_segment(r, f, m) -%}
    case
        when {{ r }} >= 4 and {{ f }} >= 4 and {{ m }} >= 4 then 'champions'
        when {{ f }} >= 4 then 'loyal'
        when {{ r }} >= 4 and {{ f }} <= 2 then 'new'
        when {{ r }} >= 3 and {{ m }} >= 3 then 'potential_loyalist'
        when {{ r }} <= 2 and {{ f }} >= 3 then 'at_risk'
        when {{ r }} <= 2 and {{ f }} <= 2 and {{ m }} <= 2 then 'lost'
        else 'needs_attention'
    end
{%- endmacro %}
