{#-
    DAU / WAU / MAU and stickiness per UTC day, overall (platform = 'all') and per platform.

    Same definitions as rpt_active_users_daily (windows end on and include the day; lengths
    from the vars wau_window_days and mau_window_days), from the spined user-activity table
    int_user_platform_activity_daily. A user active on two platforms counts once in 'all'
    and once in each platform. Every day from the first to the last activity date appears
    for every platform seen (zeros included).
-#}
{%- set wau_days = var('wau_window_days') | int -%}
{%- set mau_days = var('mau_window_days') | int -%}

with

platform_activity as (

    select
        user_id,
        activity_date,
        platform
    from {{ ref('int_user_platform_activity_daily') }}

),

activity as (

    select
        user_id,
        activity_date,
        platform
    from platform_activity

    union all

    select distinct
        user_id,
        activity_date,
        'all' as platform
    from platform_activity

),

bounds as (

    select
        min(activity_date) as first_date,
        max(activity_date) as last_date,
        cast({{ dbt.dateadd('day', mau_days - 1, 'min(activity_date)') }} as date) as first_complete_mau_date
    from platform_activity

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date') }}

),

platforms as (

    select distinct platform from activity

),

window_offsets as (

    {{ numbers(mau_days) }}

),

activity_in_windows as (

    -- active on activity_date counts for the windows ending activity_date + 0 .. mau_days - 1
    select
        activity.user_id,
        activity.platform,
        window_offsets.generated_number as days_before_window_end,
        cast(
            {{ dbt.dateadd('day', 'window_offsets.generated_number', 'activity.activity_date') }} as date
        ) as window_end_date
    from activity
    cross join window_offsets

),

grid as (

    select
        spine.spine_date as activity_date,
        platforms.platform
    from spine
    cross join platforms

),

counted as (

    select
        grid.activity_date,
        grid.platform,
        count(
            distinct case when activity_in_windows.days_before_window_end = 0 then activity_in_windows.user_id end
        ) as dau,
        count(
            distinct case
                when activity_in_windows.days_before_window_end < {{ wau_days }} then activity_in_windows.user_id
            end
        ) as wau,
        count(distinct activity_in_windows.user_id) as mau
    from grid
    left join activity_in_windows
        on
            grid.activity_date = activity_in_windows.window_end_date
            and grid.platform = activity_in_windows.platform
    group by grid.activity_date, grid.platform

),

final as (

    select
        counted.activity_date,
        counted.platform,
        counted.dau,
        counted.wau,
        counted.mau,
        cast(counted.dau as double precision) / nullif(counted.wau, 0) as stickiness_dau_wau,
        cast(counted.dau as double precision) / nullif(counted.mau, 0) as stickiness_dau_mau,
        counted.activity_date >= bounds.first_complete_mau_date as is_mau_window_complete
    from counted
    cross join bounds

)

select * from final
