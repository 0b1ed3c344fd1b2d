{#-
    On-time event volume per event name and UTC hour, in total and broken down by platform,
    app_version and country: the input of the hourly and dimension volume monitors
    (monitor/hourly.py), which pick the top values per dimension and score the hours.

    On time means as in int_event_volume_daily: the event arrived in a batch dated on or
    before its own UTC day, so an hour's count never changes after its day's batch is
    published. Hours without events have no row (the monitor counts them as 0).

    Incremental: only the event dates of this run's events are counted again (delete+insert
    by event_date), like int_event_volume_daily.
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set this_run = events_this_run() %}

with

{% if is_incremental() %}

changed_dates as (

    {{ changed_dates(this_run) }}

),

{% endif %}

events as (

    select
        event_name,
        event_date,
        {{ dbt.date_trunc('hour', 'event_at') }} as event_hour,
        coalesce(platform, '(none)') as platform,
        coalesce(app_version, '(none)') as app_version,
        coalesce(country, '(none)') as country,
        load_id
    from {{ ref('fct_events') }}
    where batch_date <= event_date
    {% if is_incremental() %}
        and event_date in (select changed_dates.changed_date from changed_dates)
    {% endif %}

),

by_total as (

    select
        event_name,
        event_date,
        event_hour,
        'all' as dimension,
        'all' as dimension_value,
        count(*) as event_count,
        max(load_id) as max_load_id
    from events
    group by event_name, event_date, event_hour

),

by_platform as (

    select
        event_name,
        event_date,
        event_hour,
        'platform' as dimension,
        platform as dimension_value,
        count(*) as event_count,
        max(load_id) as max_load_id
    from events
    group by event_name, event_date, event_hour, platform

),

by_app_version as (

    select
        event_name,
        event_date,
        event_hour,
        'app_version' as dimension,
        app_version as dimension_value,
        count(*) as event_count,
        max(load_id) as max_load_id
    from events
    group by event_name, event_date, event_hour, app_version

),

by_country as (

    select
        event_name,
        event_date,
        event_hour,
        'country' as dimension,
        country as dimension_value,
        count(*) as event_count,
        max(load_id) as max_load_id
    from events
    group by event_name, event_date, event_hour, country

),

final as (

    select * from by_total
    union all
    select * from by_platform
    union all
    select * from by_app_version
    union all
    select * from by_country

)

select * from final
