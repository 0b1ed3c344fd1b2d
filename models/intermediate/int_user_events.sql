{#-
    Events attributed to a user: every event that carries a user_id, plus the anonymous
    events (no user_id) of devices that were later identified (int_identity_map), so a user's
    history starts with the pre-signup activity on the device they signed up from.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

identity_map as (

    select * from {{ ref('int_identity_map') }}

),

attributed as (

    select
        events.event_id,
        coalesce(events.user_id, identity_map.user_id) as user_id,
        events.user_id is not null as is_identified,
        events.event_name,
        events.event_at,
        events.event_date,
        events.anonymous_id,
        events.workspace_id,
        events.platform,
        events.country,
        events.properties
    from events
    left join identity_map
        on
            events.user_id is null
            and events.anonymous_id = identity_map.anonymous_id
    where coalesce(events.user_id, identity_map.user_id) is not null

)

select * from attributed
