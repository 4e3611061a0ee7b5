-- Do the users we acquire come back: monthly acquisition cohorts and the share of each
-- cohort active in every month after its first.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

user_cohorts as (

    -- a user is acquired in the (UTC) month of their first event of any type
    select
        user_id,
        trunc(min(event_date), 'MM') as cohort_month
    from interactions
    group by user_id

),

user_activity as (

    select distinct
        user_id,
        trunc(event_date, 'MM') as activity_month
    from interactions

),

data_end as (

    select max(trunc(event_date, 'MM')) as last_month
    from interactions

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size
    from user_cohorts
    group by cohort_month

),

cohort_month_spine as (

    -- every month from the cohort's own to the last month of the data, active users or not
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        explode(
            sequence(cohort_sizes.cohort_month, data_end.last_month, interval 1 month)
        ) as activity_month
    from cohort_sizes
    cross join data_end

),

active_users as (

    select
        user_cohorts.cohort_month,
        user_activity.activity_month,
        count(*) as n_active_users
    from user_activity
    inner join user_cohorts on user_activity.user_id = user_cohorts.user_id
    group by user_cohorts.cohort_month, user_activity.activity_month

),

final as (

    select
        cohort_month_spine.cohort_month,
        cast(
            months_between(cohort_month_spine.activity_month, cohort_month_spine.cohort_month)
            as int
        ) as months_since_acquisition,
        cohort_month_spine.activity_month,
        cohort_month_spine.cohort_size,
        coalesce(active_users.n_active_users, 0) as n_active_users,
        try_divide(
            cast(coalesce(active_users.n_active_users, 0) as double),
            cohort_month_spine.cohort_size
        ) as retention_rate
    from cohort_month_spine
    left join active_users
        on
            cohort_month_spine.cohort_month = active_users.cohort_month
            and cohort_month_spine.activity_month = active_users.activity_month

)

select * from final
