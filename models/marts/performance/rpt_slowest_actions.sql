{#-
    The slowest common actions over the trailing perf_window_days (7) days ending on
    the last day with performance data, per action and platform.

    Ranked by total_wait_seconds, the summed duration_ms of all calls: it grows with how
    often an action runs and with how slow it is, so a slow but rare action and a fast but
    constant one rank by the waiting they cause. p50/p90/p99 are exact over the window. Only
    the window's events are read (bounded by event_date), never the whole history.
-#}
{%- set window_days = var('perf_window_days') | int -%}

with

timings as (

    {{ trailing_perf_timings(window_days) }}

),

aggregated as (

    select
        window_start_date,
        window_end_date,
        is_window_complete,
        action_name,
        platform,
        count(*) as calls,
        sum(duration_ms) / 1000.0 as total_wait_seconds,
        cast({{ percentile('duration_ms', 0.5) }} as double precision) as p50_duration_ms,
        cast({{ percentile('duration_ms', 0.9) }} as double precision) as p90_duration_ms,
        cast({{ percentile('duration_ms', 0.99) }} as double precision) as p99_duration_ms
    from timings
    group by window_start_date, window_end_date, is_window_complete, action_name, platform

),

final as (

    select
        aggregated.window_start_date,
        aggregated.window_end_date,
        aggregated.is_window_complete,
        aggregated.action_name,
        aggregated.platform,
        aggregated.calls,
        cast(aggregated.total_wait_seconds as double precision) as total_wait_seconds,
        aggregated.p50_duration_ms,
        aggregated.p90_duration_ms,
        aggregated.p99_duration_ms,
        cast(
            row_number() over (
                order by aggregated.total_wait_seconds desc, aggregated.action_name asc, aggregated.platform asc
            ) as {{ dbt.type_bigint() }}
        ) as slowness_rank
    from aggregated

)

select * from final
