{#-
    On-time event volume: events per event name and UTC event date that arrived by the end
    of their own day (batch_date <= event_date). Late arrivals are left out on purpose, so a
    day's volume is what the monitors saw when the day's batch was published, it never
    changes afterwards, and a late batch shows up as a drop on its day.

    Incremental: only event dates touched by loads this table has not seen yet are counted
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

    select distinct event_date
    from events
    where load_id > (select coalesce(max(vol.max_load_id), 0) as max_load_id from {{ this }} as vol)

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
    where event_date in (select changed_dates.event_date from changed_dates)
    {% endif %}
    group by event_name, event_date

)

select * from final
