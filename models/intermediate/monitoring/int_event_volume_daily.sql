{#-
    On-time event volume: events per event name and UTC event date that arrived by the end
    of their own day (batch_date <= event_date). Late arrivals are left out on purpose, so a
    day's volume is what the monitors saw when the day's batch was published, it never
    changes afterwards, and a late batch shows up as a drop on its day.

    Incremental: only the event dates of this run's events (int_events_this_run) are counted
    again (delete+insert by event_date), so a daily run costs in proportion to the new data.
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

events as (

    select
        event_name,
        event_date,
        batch_date,
        load_id
    from {{ ref('fct_events') }}

),

{% if is_incremental() %}

changed_dates as (

    {{ changed_dates(this_run) }}

),

{% endif %}

final as (

    select
        event_name,
        event_date,
        count(case when batch_date <= event_date then 1 end) as event_count,
        max(batch_date) as max_batch_date,
        max(load_id) as max_load_id
    from events
    {% if is_incremental() %}
    where event_date in (select changed_dates.changed_date from changed_dates)
    {% endif %}
    group by event_name, event_date

)

select * from final
