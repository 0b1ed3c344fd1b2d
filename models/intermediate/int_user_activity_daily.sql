{#-
    One row per identified user and UTC day with at least one event carrying that user_id
    (anonymous events are not counted here; see int_user_events for stitched history).
-#}
with

identified_events as (

    select
        user_id,
        event_date,
        event_at,
        platform
    from {{ ref('fct_events') }}
    where user_id is not null

),

daily as (

    select
        user_id,
        event_date as activity_date,
        count(*) as event_count,
        count(distinct platform) as platform_count,
        {{ string_agg_distinct('platform') }} as platforms,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from identified_events
    group by user_id, event_date

)

select * from daily
