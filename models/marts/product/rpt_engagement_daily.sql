{#-
    DAU / WAU / MAU and stickiness per UTC day, overall (platform = 'all') and per platform.

    Same definitions as rpt_active_users_daily (windows end on and include the day; lengths
    from the vars wau_window_days and mau_window_days), from the spined user-activity table
    int_user_platform_activity_daily. A user active on two platforms counts once in 'all'
    and once in each platform. Every day from the first to the last activity date appears
    for every platform seen (zeros included).

    Incremental (delete+insert on activity_date): activity of a changed day D only enters
    the windows ending on D .. D + mau_window_days - 1, so every day from the earliest
    changed day on is rebuilt, reading activity from mau_window_days - 1 days before it. A
    platform never seen before, or activity before the first day, rebuilds everything.

    is_mau_window_complete: the day's mau window starts on or after the first event date
    loaded (int_data_coverage), so no activity before the data is missing from it.
-#}
{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set wau_days = var('wau_window_days') | int -%}
{%- set mau_days = var('mau_window_days') | int -%}
{%- do get_run_limits() %}

with

all_activity as (

    select
        user_id,
        activity_date,
        platform,
        max_load_id
    from {{ ref('int_user_platform_activity_daily') }}

),

{% if is_incremental() %}

changed as (

    select
        min(activity_date) as changed_from,
        max(case when platform not in (select stored.platform from {{ this }} as stored) then 1 else 0 end)
        as has_new_platform
    from all_activity
    where {{ in_run_limits('max_load_id') }}

),

stored_bounds as (

    select min(activity_date) as first_date
    from {{ this }}

),

rebuild as (

    select
        case
            when changed.has_new_platform = 1 or changed.changed_from < stored_bounds.first_date
                then (select min(all_activity.activity_date) from all_activity)
            else changed.changed_from
        end as rebuild_from
    from changed
    cross join stored_bounds

),

{% endif %}

platform_activity as (

    select
        user_id,
        activity_date,
        platform,
        max_load_id
    from all_activity
    {% if is_incremental() %}
        where activity_date >= (
            select cast({{ dbt.dateadd('day', 1 - mau_days, 'rebuild.rebuild_from') }} as date) from rebuild
        )
    {% endif %}

),

activity as (

    select
        user_id,
        activity_date,
        platform,
        max_load_id
    from platform_activity

    union all

    select
        user_id,
        activity_date,
        'all' as platform,
        max(max_load_id) as max_load_id
    from platform_activity
    group by user_id, activity_date

),

activity_bounds as (

    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from all_activity

),

bounds as (

    select
        activity_bounds.first_date,
        activity_bounds.last_date,
        {% if is_incremental() %}
        rebuild.rebuild_from as spine_start_date,
        {% else %}
        activity_bounds.first_date as spine_start_date,
        {% endif %}
        cast({{ dbt.dateadd('day', mau_days - 1, 'coverage.first_event_date') }} as date) as first_complete_mau_date
    from activity_bounds
    cross join {{ ref('int_data_coverage') }} as coverage
    {% if is_incremental() %}
        cross join rebuild
    {% endif %}

),

spine as (

    {{ day_spine('bounds', 'bounds.spine_start_date', 'bounds.last_date') }}

),

platforms as (

    select distinct platform from activity
    {% if is_incremental() %}
        union
        select stored.platform from {{ this }} as stored
    {% endif %}

),

window_offsets as (

    {{ numbers(mau_days) }}

),

activity_in_windows as (

    -- active on activity_date counts for the windows ending activity_date + 0 .. mau_days - 1
    select
        activity.user_id,
        activity.platform,
        activity.max_load_id,
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
        count(distinct activity_in_windows.user_id) as mau,
        max(activity_in_windows.max_load_id) as max_load_id
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
        counted.activity_date >= bounds.first_complete_mau_date as is_mau_window_complete,
        counted.max_load_id
    from counted
    cross join bounds

)

select * from final
