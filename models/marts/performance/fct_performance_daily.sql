{#-
    Client performance per UTC day, action, platform and app version: calls and the
    p50 / p90 / p99 of duration_ms (continuous percentiles), from the perf_timings log table
    (int_perf_timings, deduplicated across batches).

    Incremental by day (delete+insert on performance_date): the days of the timings of this
    run's loads are rebuilt whole, so late and duplicate events give the full-refresh rows.
    Percentiles of different days cannot be combined; reports over several days read
    int_perf_timings.
-#}
{{
    config(
        materialized='incremental',
        unique_key='performance_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- do get_run_limits() %}

with

timings as (

    select * from {{ ref('int_perf_timings') }}
    where
        duration_ms is not null
    {% if is_incremental() %}
            and {{ in_changed_dates('timed_date', ref('int_perf_timings'), 'timed_date') }}
    {% endif %}

),

final as (

    select
        timed_date as performance_date,
        action_name,
        platform,
        app_version,
        count(*) as calls,
        cast({{ percentile('duration_ms', 0.5) }} as double precision) as p50_duration_ms,
        cast({{ percentile('duration_ms', 0.9) }} as double precision) as p90_duration_ms,
        cast({{ percentile('duration_ms', 0.99) }} as double precision) as p99_duration_ms,
        max(load_id) as max_load_id
    from timings
    group by timed_date, action_name, platform, app_version

)

select * from final
