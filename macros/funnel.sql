{#-
  The shared funnel definitions of funnel_conversion and product_analytics_summary.
  A session is the source's session id, or the user's day where the source has none.
  Stages are counted from the events that happened: a session is a cart session only if
  it has a cart event (a purchase does not imply a cart, nor a cart a view).
-#}
{% macro funnel_session_key() -%}
    {{ surrogate_key([
        'source_system', 'user_id', 'coalesce(session_id, cast(event_date as string))'
    ]) }}
{%- endmacro %}

{#- Per session (group by the grain and the session key): which funnel events it has. -#}
{% macro funnel_session_flags(event_type='event_type') -%}
    bool_or({{ event_type }} = 'view') as has_view,
    bool_or({{ event_type }} = 'cart') as has_cart,
    bool_or({{ event_type }} = 'purchase') as has_purchase
{%- endmacro %}

{#-
  Per grain, over the sessions of funnel_session_flags: sessions with each event, with
  each pair of consecutive stages (the numerators of the rates), and purchases that
  skipped the cart.
-#}
{% macro funnel_session_counts() -%}
    count_if(has_view) as n_view_sessions,
    count_if(has_cart) as n_cart_sessions,
    count_if(has_purchase) as n_purchase_sessions,
    count_if(has_view and has_cart) as n_view_cart_sessions,
    count_if(has_cart and has_purchase) as n_cart_purchase_sessions,
    count_if(has_view and has_purchase) as n_view_purchase_sessions,
    count_if(has_purchase and not has_cart) as n_purchase_sessions_without_cart
{%- endmacro %}

{#-
  The conversion rates: of the sessions with the earlier stage's event, the share that
  also has the later stage's event (so in [0, 1]; null when the earlier stage is empty).
  `relation` prefixes the count columns, e.g. 'funnel.'.
-#}
{% macro funnel_rates(relation='') -%}
    try_divide(
        cast({{ relation }}n_view_cart_sessions as double), {{ relation }}n_view_sessions
    ) as view_to_cart_rate,
    try_divide(
        cast({{ relation }}n_cart_purchase_sessions as double), {{ relation }}n_cart_sessions
    ) as cart_to_purchase_rate,
    try_divide(
        cast({{ relation }}n_view_purchase_sessions as double), {{ relation }}n_view_sessions
    ) as view_to_purchase_rate
{%- endmacro %}
