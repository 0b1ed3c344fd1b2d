{#-
    Every event with the person it belongs to: its own user_id, else the user its device was
    identified as (int_identity_map), else the device itself (anonymous_id); see the
    stitched_events macro.

    A view: models filter it on event_at / load_id and the filter reaches fct_events.
-#}
with

stitched as (

    {{ stitched_events(ref('fct_events')) }}

)

select * from stitched
