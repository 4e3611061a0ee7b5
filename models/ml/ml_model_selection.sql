-- The choice, made on the validation window only: per target and protocol, the model
-- with the best NDCG at the headline K (var top_k) over all validation holdout users
-- (ties: higher precision, then model name). The test window never enters it.
with

validation as (

    select * from {{ ref('ml_validation_metrics') }}

),

ranked as (

    select
        target,
        protocol,
        model,
        ndcg_at_k,
        precision_at_k,
        n_users,
        row_number() over (
            partition by target, protocol
            order by ndcg_at_k desc, precision_at_k desc, model asc
        ) as selection_rank
    from validation
    where
        population = 'all'
        and k = {{ cartwheel_number_var('top_k') }}
        and ndcg_at_k is not null

),

final as (

    select
        target,
        protocol,
        model as chosen_model,
        ndcg_at_k as validation_ndcg_at_k,
        precision_at_k as validation_precision_at_k,
        n_users as validation_users,
        {{ cartwheel_number_var('top_k') }} as k
    from ranked
    where selection_rank = 1

)

select * from final
