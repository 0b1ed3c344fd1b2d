{#-
    One row per identified user and UTC day with at least one activity event carrying that
    user_id (var activity_event_names; default: all events). Built by the
    user_activity_daily macro, which also builds int_user_platform_activity_daily (the same
    at user x day x platform grain). Incremental by day: the days touched by this run's
    events are deleted and rebuilt whole (delete+insert on activity_date).
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

daily as (

    {{ user_activity_daily(by_platform=false) }}

)

select * from daily
