{#-
    One row per identified user, UTC day and platform with at least one activity event
    carrying that user_id on that platform (events without a platform count as 'unknown').
    Feeds the per-platform engagement report. int_user_activity_daily at one more grain
    (the user_activity_daily macro), incremental by day the same way.
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

    {{ user_activity_daily(by_platform=true) }}

)

select * from daily
