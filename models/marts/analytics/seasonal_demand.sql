-- When in the year does each category sell: interactions, purchases and revenue per
-- calendar month and per ISO week, against the same period of the previous year.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

daily_interactions as (

    select
        category,
        event_date as activity_date,
        count(*) as n_interactions,
        count_if(event_type = 'purchase') as n_purchases
    from interactions
    group by category, event_date

),

daily_revenue as (

    select
        category,
        ordered_date as activity_date,
        sum(revenue) as revenue
    from order_items
    group by category, ordered_date

),

daily as (

    select
        coalesce(daily_interactions.category, daily_revenue.category) as category,
        coalesce(
            daily_interactions.activity_date, daily_revenue.activity_date
        ) as activity_date,
        coalesce(daily_interactions.n_interactions, 0) as n_interactions,
        coalesce(daily_interactions.n_purchases, 0) as n_purchases,
        coalesce(daily_revenue.revenue, 0) as revenue
    from daily_interactions
    full outer join daily_revenue
        on
            daily_interactions.category = daily_revenue.category
            and daily_interactions.activity_date = daily_revenue.activity_date

),

daily_periods as (

    select
        'month' as period_grain,
        category,
        year(activity_date) as period_year,
        month(activity_date) as period_number,
        trunc(activity_date, 'MM') as period_start_date,
        n_interactions,
        n_purchases,
        revenue
    from daily

    union all

    -- ISO 8601 weeks: Monday to Sunday, week 1 holds the year's first Thursday, and the
    -- ISO year of a week can differ from the calendar year of its days
    select
        'week' as period_grain,
        category,
        cast(extract(yearofweek from activity_date) as int) as period_year,
        cast(weekofyear(activity_date) as int) as period_number,
        to_date(date_trunc('week', activity_date)) as period_start_date,
        n_interactions,
        n_purchases,
        revenue
    from daily

),

periods as (

    select
        period_grain,
        category,
        period_year,
        period_number,
        min(period_start_date) as period_start_date,
        sum(n_interactions) as n_interactions,
        sum(n_purchases) as n_purchases,
        cast(sum(revenue) as decimal(18, 2)) as revenue
    from daily_periods
    group by period_grain, category, period_year, period_number

),

final as (

    select
        periods.period_grain,
        periods.category,
        periods.period_year,
        periods.period_number,
        periods.period_start_date,
        periods.n_interactions,
        periods.n_purchases,
        periods.revenue,
        previous_year.n_interactions as n_interactions_prev_year,
        previous_year.n_purchases as n_purchases_prev_year,
        previous_year.revenue as revenue_prev_year,
        try_divide(
            cast(periods.n_interactions - previous_year.n_interactions as double),
            previous_year.n_interactions
        ) as n_interactions_yoy_change,
        try_divide(
            cast(periods.n_purchases - previous_year.n_purchases as double),
            previous_year.n_purchases
        ) as n_purchases_yoy_change,
        try_divide(
            cast(periods.revenue - previous_year.revenue as double),
            cast(previous_year.revenue as double)
        ) as revenue_yoy_change
    from periods
    left join periods as previous_year
        on
            periods.period_grain = previous_year.period_grain
            and periods.category = previous_year.category
            and periods.period_year - 1 = previous_year.period_year
            and periods.period_number = previous_year.period_number

)

select * from final
