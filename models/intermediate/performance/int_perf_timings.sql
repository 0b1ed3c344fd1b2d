{#-
    One row per perf_timing event from the perf_timings log table (stg_perf_timings), its
    earliest arrival across batches (deduplicated_arrivals, the precedence of fct_events): the
    input of the performance marts. Events without a platform or app version count as
    'unknown'.

    Incremental (delete+insert on event_id): the rows of this run's loads are ranked with the
    stored rows of the same event_ids, like fct_events.
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

deduplicated as (

    {{ deduplicated_arrivals(
        ref('stg_perf_timings'),
        columns=['timed_at', 'user_id', 'platform', 'app_version', 'action_name', 'duration_ms'],
        timestamp_column='timed_at',
    ) }}

),

final as (

    select
        event_id,
        timed_at,
        cast(timed_at as date) as timed_date,
        user_id,
        action_name,
        coalesce(platform, 'unknown') as platform,
        coalesce(app_version, 'unknown') as app_version,
        duration_ms,
        batch_date,
        source_file,
        source_line,
        load_id
    from deduplicated

)

select * from final
