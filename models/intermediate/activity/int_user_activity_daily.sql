{#-
    One row per identified user and UTC day with at least one activity event carrying that
    user_id (anonymous events are not counted here; see int_user_events for stitched history).
    Activity events: var activity_event_names (default: all events).

    Incremental by day: the days touched by new fct_events loads are deleted and rebuilt
    whole (delete+insert on activity_date), so late and duplicate events give the same rows
    as a full refresh.
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
        event_at,
        platform,
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
        count(*) as event_count,
        count(distinct platform) as platform_count,
        {{ string_agg_distinct('platform') }} as platforms,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(load_id) as max_load_id
    from identified_events
    group by user_id, event_date

)

select * from daily
