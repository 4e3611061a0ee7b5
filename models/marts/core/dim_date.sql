-- A real calendar over the span of the data (whole years), with the holiday flag.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

holidays as (

    select * from {{ ref('holidays') }}

),

bounds as (

    select
        coalesce(make_date(year(min(event_date)), 1, 1), current_date()) as first_day,
        coalesce(make_date(year(max(event_date)), 12, 31), current_date()) as last_day
    from interactions

),

days as (

    select explode(sequence(first_day, last_day, interval 1 day)) as date_day
    from bounds

),

final as (

    select
        days.date_day,
        year(days.date_day) as year,  -- noqa: RF04
        quarter(days.date_day) as quarter,  -- noqa: RF04
        month(days.date_day) as month,  -- noqa: RF04
        date_format(days.date_day, 'MMMM') as month_name,
        weekofyear(days.date_day) as week_of_year,
        cast(extract(dayofweek_iso from days.date_day) as int) as day_of_week,  -- noqa: RF02
        date_format(days.date_day, 'EEEE') as day_name,
        extract(dayofweek_iso from days.date_day) >= 6 as is_weekend,  -- noqa: RF02
        holidays.holiday_date is not null as is_holiday,
        holidays.holiday_name,
        coalesce(holidays.is_peak_shopping, false) as is_peak_shopping_day
    from days
    left join holidays on days.date_day = holidays.holiday_date

)

select * from final
