{#-
    Events attributed to a user: every event that carries a user_id, plus the anonymous
    events (no user_id) of devices that were later identified (int_identity_map), so a user's
    history starts with the pre-signup activity on the device they signed up from. The
    attributed_events macro, which incremental models also use for only some users (dim_users).
-#}
with

attributed as (

    {{ attributed_events() }}

)

select * from attributed
