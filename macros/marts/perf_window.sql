{#-
    A complete select: the perf timings (int_perf_timings, with a duration) of the trailing
    `window_days` UTC days ending on the last day with performance data
    (fct_performance_daily), each with window_start_date and window_end_date. Only the
    window's rows are read. Shared by rpt_slowest_actions and rpt_perf_version_regression.
    is_window_complete: the window starts on or after the first day with performance data,
    so no day of it lies before the data.
-#}
{% macro trailing_perf_timings(window_days) -%}
    with

    bounds as (

        select
            max(performance_date) as window_end_date,
            cast({{ dbt.dateadd('day', 1 - (window_days | int), 'max(performance_date)') }} as date)
            as window_start_date,
            cast({{ dbt.dateadd('day', 1 - (window_days | int), 'max(performance_date)') }} as date)
            >= min(performance_date) as is_window_complete
        from {{ ref('fct_performance_daily') }}

    )

    select
        bounds.window_start_date,
        bounds.window_end_date,
        bounds.is_window_complete,
        timings.event_id,
        timings.timed_at,
        timings.timed_date,
        timings.action_name,
        timings.platform,
        timings.app_version,
        timings.duration_ms
    from {{ ref('int_perf_timings') }} as timings
    cross join bounds
    where
        timings.duration_ms is not null
        and timings.timed_date >= bounds.window_start_date
        and timings.timed_date <= bounds.window_end_date
{%- endmacro %}
