{#-
    A select (no CTEs): the events attributed to a user, i.e. every event that carries a
    user_id, plus the anonymous events (no user_id) of devices later identified as a user
    (int_identity_map); the same rows as int_stitched_events where not is_anonymous.

    `users` (optional): a relation or CTE with a user_id column; only those users' events.
    Written as two branches on fct_events' own columns (user_id, anonymous_id), not as a
    filter on the stitched user, so that a warehouse with indexes (PostgreSQL) reads only
    those users' rows instead of stitching all of history first.
-#}
{% macro attributed_events(users=none) -%}
    {%- set columns = ['event_name', 'event_at', 'event_date', 'anonymous_id', 'workspace_id',
                       'platform', 'country', 'properties', 'load_id'] -%}
    select
        events.event_id,
        events.user_id,
        true as is_identified,
        {%- for column in columns %}
        events.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_events') }} as events
    where
        events.user_id is not null
        {% if users -%}
        and events.user_id in (select attributed_users.user_id from {{ users }} as attributed_users)
        {%- endif %}

    union all

    select
        events.event_id,
        identity_map.user_id,
        false as is_identified,
        {%- for column in columns %}
        events.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_events') }} as events
    inner join {{ ref('int_identity_map') }} as identity_map
        on events.anonymous_id = identity_map.anonymous_id
    where
        events.user_id is null
        {% if users -%}
        and identity_map.user_id in (select attributed_users.user_id from {{ users }} as attributed_users)
        {%- endif %}
{%- endmacro %}
