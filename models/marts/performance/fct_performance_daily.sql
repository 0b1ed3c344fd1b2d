{#-
    Client performance per UTC day, action, platform and app version: calls and the
    p50 / p90 / p99 of duration_ms (continuous percentiles).

    Incremental by day (delete+insert on performance_date): the days touched by new
    fct_events loads are rebuilt whole from their perf_timing events, so late and duplicate
    events give the full-refresh rows. Percentiles of different days cannot be combined;
    reports over several days read int_perf_timings.
-#}
{{
    config(
        materialized='incremental',
        unique_key='performance_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('fct_events') }}

with

{% if is_incremental() %}

changed_dates as (

    {{ changed_event_dates() }}

),

{% endif %}

timings as (

    select * from {{ ref('int_perf_timings') }}
    where
        duration_ms is not null
    {% if is_incremental() %}
            and event_date >= (select min(changed_dates.changed_date) from changed_dates)
            and event_date in (select changed_dates.changed_date from changed_dates)
    {% endif %}

),

final as (

    select
        event_date as performance_date,
        action_name,
        platform,
        app_version,
        count(*) as calls,
        cast({{ percentile('duration_ms', 0.5) }} as double precision) as p50_duration_ms,
        cast({{ percentile('duration_ms', 0.9) }} as double precision) as p90_duration_ms,
        cast({{ percentile('duration_ms', 0.99) }} as double precision) as p99_duration_ms,
        max(load_id) as max_load_id
    from timings
    group by event_date, action_name, platform, app_version

)

select * from final
