-- When in the year does each category sell: interactions, purchases and revenue per
-- calendar month and per ISO week, against the same period of the previous year.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

data_span as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from interactions

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
        last_day(activity_date) as period_end_date,
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
        date_add(to_date(date_trunc('week', activity_date)), 6) as period_end_date,
        n_interactions,
        n_purchases,
        revenue
    from daily

),

aggregated as (

    select
        period_grain,
        category,
        period_year,
        period_number,
        min(period_start_date) as period_start_date,
        max(period_end_date) as period_end_date,
        sum(n_interactions) as n_interactions,
        sum(n_purchases) as n_purchases,
        cast(sum(revenue) as decimal(18, 2)) as revenue
    from daily_periods
    group by period_grain, category, period_year, period_number

),

periods as (

    -- a period cut by the start or end of the data is partial: its year-over-year change
    -- would compare a few days with a whole period
    select
        aggregated.*,
        aggregated.period_start_date >= data_span.first_date
        and aggregated.period_end_date <= data_span.last_date as is_complete_period
    from aggregated
    cross join data_span

),

compared as (

    select
        periods.*,
        previous_year.n_interactions as n_interactions_prev_year,
        previous_year.n_purchases as n_purchases_prev_year,
        previous_year.revenue as revenue_prev_year,
        periods.is_complete_period and previous_year.is_complete_period as is_comparable
    from periods
    left join periods as previous_year
        on
            periods.period_grain = previous_year.period_grain
            and periods.category = previous_year.category
            and periods.period_year - 1 = previous_year.period_year
            and periods.period_number = previous_year.period_number

),

final as (

    select
        period_grain,
        category,
        period_year,
        period_number,
        period_start_date,
        period_end_date,
        is_complete_period,
        n_interactions,
        n_purchases,
        revenue,
        n_interactions_prev_year,
        n_purchases_prev_year,
        revenue_prev_year,
        case
            when is_comparable
                then try_divide(
                    cast(n_interactions - n_interactions_prev_year as double),
                    n_interactions_prev_year
                )
        end as n_interactions_yoy_change,
        case
            when is_comparable
                then try_divide(
                    cast(n_purchases - n_purchases_prev_year as double), n_purchases_prev_year
                )
        end as n_purchases_yoy_change,
        case
            when is_comparable
                then try_divide(
                    cast(revenue - revenue_prev_year as double),
                    cast(revenue_prev_year as double)
                )
        end as revenue_yoy_change
    from compared

)

select * from final
