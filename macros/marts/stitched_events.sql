{#-
    A select (no CTEs): every row of `events` (fct_events or a subset of it, e.g.
    int_events_this_run) with the person it belongs to: its own user_id, else the user its
    device was identified as (int_identity_map), else the device itself (anonymous_id).
    int_stitched_events is this over all of fct_events; incremental models use it over the
    rows of this run to find the people a run changes.
-#}
{% macro stitched_events(events) -%}
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
    from {{ events }} as events
    left join {{ ref('int_identity_map') }} as identity_map
        on
            events.user_id is null
            and events.anonymous_id = identity_map.anonymous_id
{%- endmacro %}
