{#-
    Events attributed to a user: every event that carries a user_id, plus the anonymous
    events (no user_id) of devices that were later identified (int_identity_map), so a user's
    history starts with the pre-signup activity on the device they signed up from.
-#}
with

stitched as (

    select * from {{ ref('int_stitched_events') }}

),

attributed as (

    select
        event_id,
        user_id,
        is_identified,
        event_name,
        event_at,
        event_date,
        anonymous_id,
        workspace_id,
        platform,
        country,
        properties,
        load_id
    from stitched
    where not is_anonymous

)

select * from attributed
