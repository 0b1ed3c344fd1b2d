{#-
    Version-over-version p90 of each action and platform over the trailing
    perf_regression_window_days (default 28) days: every app version (major.minor.patch)
    with its p90 duration_ms next to the previous version's on the same action and
    platform. is_regression flags a p90 at least perf_regression_ratio (default 1.2) times
    the previous version's, with at least perf_regression_min_calls (default 30) calls on
    both versions. Only the window's events are read.
-#}
{%- set window_days = var('perf_regression_window_days') | int -%}
{%- set min_ratio = var('perf_regression_ratio') | float -%}
{%- set min_calls = var('perf_regression_min_calls') | int -%}

with

timings as (

    select * from ({{ trailing_perf_timings(window_days) }}) as window_timings
    where app_version similar to '[0-9]+.[0-9]+.[0-9]+'

),

versions as (

    select
        window_start_date,
        window_end_date,
        is_window_complete,
        action_name,
        platform,
        app_version,
        cast({{ dbt.split_part('app_version', "'.'", 1) }} as integer) as version_major,
        cast({{ dbt.split_part('app_version', "'.'", 2) }} as integer) as version_minor,
        cast({{ dbt.split_part('app_version', "'.'", 3) }} as integer) as version_patch,
        count(*) as calls,
        cast({{ percentile('duration_ms', 0.9) }} as double precision) as p90_duration_ms
    from timings
    group by window_start_date, window_end_date, is_window_complete, action_name, platform, app_version

),

compared as (

    select
        versions.*,
        lag(app_version) over (
            partition by action_name, platform order by version_major, version_minor, version_patch
        ) as previous_app_version,
        lag(calls) over (
            partition by action_name, platform order by version_major, version_minor, version_patch
        ) as previous_calls,
        lag(p90_duration_ms) over (
            partition by action_name, platform order by version_major, version_minor, version_patch
        ) as previous_p90_duration_ms
    from versions

),

final as (

    select
        compared.window_start_date,
        compared.window_end_date,
        compared.is_window_complete,
        compared.action_name,
        compared.platform,
        compared.app_version,
        compared.calls,
        compared.p90_duration_ms,
        compared.previous_app_version,
        compared.previous_calls,
        compared.previous_p90_duration_ms,
        compared.p90_duration_ms / nullif(compared.previous_p90_duration_ms, 0) as p90_change_ratio,
        coalesce(
            compared.p90_duration_ms >= {{ min_ratio }} * compared.previous_p90_duration_ms
            and compared.calls >= {{ min_calls }}
            and compared.previous_calls >= {{ min_calls }},
            false
        ) as is_regression
    from compared

)

select * from final
