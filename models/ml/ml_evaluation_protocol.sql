-- The headline evaluation, one row: which protocol and target the demo, the docs and the
-- revenue figure report, and why. The protocol follows the data unless var
-- ml_headline_protocol names one: repeat_aware when the share of the training window's
-- purchased (user, product) pairs bought on two or more days reaches
-- ml_repeat_purchase_threshold, else new_items. The target is purchase when the test
-- holdout has any purchase, else interaction (and the purchase figures are null).
with

train as (

    select * from {{ ref('ml_train_interactions') }}

),

holdout as (

    select * from {{ ref('ml_holdout_interactions') }}

),

repeat_buying as (

    select
        count_if(n_purchases > 0) as n_purchased_pairs,
        count_if(n_purchase_days >= 2) as n_repeat_purchased_pairs
    from train

),

purchases as (

    select count_if(is_purchase) as n_holdout_purchase_pairs
    from holdout

),

measured as (

    select
        repeat_buying.n_purchased_pairs,
        repeat_buying.n_repeat_purchased_pairs,
        purchases.n_holdout_purchase_pairs,
        coalesce(
            repeat_buying.n_repeat_purchased_pairs
            / nullif(repeat_buying.n_purchased_pairs, 0),
            0
        ) as repeat_purchase_share,
        {{ cartwheel_number_var('ml_repeat_purchase_threshold') }} as repeat_purchase_threshold
    from repeat_buying
    cross join purchases

),

final as (

    select
        n_purchased_pairs,
        n_repeat_purchased_pairs,
        repeat_purchase_share,
        repeat_purchase_threshold,
        n_holdout_purchase_pairs,
        {% if var('ml_headline_protocol') %}
            {{ cartwheel_sql_string(var('ml_headline_protocol')) }} as headline_protocol,
            'set by var ml_headline_protocol' as headline_protocol_reason,
        {% else %}
            case
                when repeat_purchase_share >= repeat_purchase_threshold then 'repeat_aware'
                else 'new_items'
            end as headline_protocol,
            concat(
                format_number(100 * repeat_purchase_share, 1),
                '% of purchased pairs in training were bought on 2+ days (threshold ',
                format_number(100 * repeat_purchase_threshold, 1),
                '%)'
            ) as headline_protocol_reason,
        {% endif %}
        case
            when n_holdout_purchase_pairs > 0 then 'purchase' else 'interaction'
        end as headline_target
    from measured

)

select * from final
