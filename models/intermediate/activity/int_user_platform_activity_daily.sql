{#-
    One row per identified user, UTC day and platform with at least one activity event
    carrying that user_id on that platform (events without a platform count as 'unknown').
    Feeds the per-platform engagement report. Incremental by day like int_user_activity_daily.
-#}
{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

{% if is_incremental() %}

changed_dates as (

    {{ changed_event_dates() }}

),

{% endif %}

identified_events as (

    select
        user_id,
        event_date,
        coalesce(platform, 'unknown') as platform,
        load_id
    from {{ ref('fct_events') }}
    where
        user_id is not null
        and {{ is_activity_event() }}
    {% if is_incremental() %}
            and event_date >= (select min(changed_dates.changed_date) from changed_dates)
            and event_date in (select changed_dates.changed_date from changed_dates)
    {% endif %}

),

daily as (

    select
        user_id,
        event_date as activity_date,
        platform,
        count(*) as event_count,
        max(load_id) as max_load_id
    from identified_events
    group by user_id, event_date, platform

)

select * from daily
