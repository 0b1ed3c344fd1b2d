{#-
    Every event with the person it belongs to: its own user_id, else the user its device was
    identified as (int_identity_map), else the device itself (anonymous_id).

    A view: models filter it on event_at / load_id and the filter reaches fct_events.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

identity_map as (

    select * from {{ ref('int_identity_map') }}

),

stitched as (

    select
        events.event_id,
        coalesce(events.user_id, identity_map.user_id, events.anonymous_id) as owner_id,
        coalesce(events.user_id, identity_map.user_id) as user_id,
        coalesce(events.user_id, identity_map.user_id) is null as is_anonymous,
        events.user_id is not null as is_identified,
        events.event_name,
        events.event_at,
        events.event_date,
        events.anonymous_id,
        events.workspace_id,
        events.platform,
        events.app_version,
        events.country,
        events.properties,
        events.load_id
    from events
    left join identity_map
        on
            events.user_id is null
            and events.anonymous_id = identity_map.anonymous_id

)

select * from stitched
