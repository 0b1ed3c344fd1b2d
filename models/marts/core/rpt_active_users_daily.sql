{#-
    Daily active identified users with rolling 7-day (wau) and 28-day (mau) windows.

    One row per UTC day from the first to the last event date in fct_events, including days
    without activity. Windows end on, and include, activity_date. Only events carrying a
    user_id count (anonymous visitors are not users yet).

    Each user-day is fanned out to the mau_window_days days whose window contains it, so the
    windows are counted with an equi-join (hash join everywhere, no range join on Redshift).
-#}
{%- set wau_days = var('wau_window_days') | int -%}
{%- set mau_days = var('mau_window_days') | int -%}

with

activity as (

    select
        user_id,
        activity_date
    from {{ ref('int_user_activity_daily') }}

),

bounds as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date,
        -- first day whose 28-day window lies entirely within the data
        cast({{ dbt.dateadd('day', mau_days - 1, 'min(event_date)') }} as date) as first_complete_mau_date
    from {{ ref('fct_events') }}

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date') }}

),

window_offsets as (

    {{ numbers(mau_days) }}

),

activity_in_windows as (

    -- user active on activity_date counts for the windows ending activity_date + 0 .. mau_days - 1
    select
        activity.user_id,
        window_offsets.generated_number as days_before_window_end,
        cast(
            {{ dbt.dateadd('day', 'window_offsets.generated_number', 'activity.activity_date') }} as date
        ) as window_end_date
    from activity
    cross join window_offsets

),

counted as (

    select
        spine.spine_date as activity_date,
        count(
            distinct case when activity_in_windows.days_before_window_end = 0 then activity_in_windows.user_id end
        ) as dau,
        count(
            distinct case
                when activity_in_windows.days_before_window_end < {{ wau_days }} then activity_in_windows.user_id
            end
        ) as wau,
        count(distinct activity_in_windows.user_id) as mau
    from spine
    left join activity_in_windows
        on spine.spine_date = activity_in_windows.window_end_date
    group by spine.spine_date

),

final as (

    select
        counted.activity_date,
        counted.dau,
        counted.wau,
        counted.mau,
        cast(counted.dau as double precision) / nullif(counted.mau, 0) as stickiness_dau_mau,
        counted.activity_date >= bounds.first_complete_mau_date as is_mau_window_complete
    from counted
    cross join bounds

)

select * from final
