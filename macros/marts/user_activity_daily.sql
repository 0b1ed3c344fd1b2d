{#-
    A complete select: one row per identified user and UTC day (and platform, when
    `by_platform`) with at least one activity event (is_activity_event) carrying that
    user_id. Anonymous events are not counted (see int_user_events for stitched history);
    per platform, events without a platform count as 'unknown'.

    For the incremental models int_user_activity_daily and
    int_user_platform_activity_daily (delete+insert on activity_date): on an incremental run
    only the days touched by this run's events are read, and rebuilt whole, so late and
    duplicate events give the same rows as a full refresh.
-#}
{% macro user_activity_daily(by_platform=false) -%}
    {%- set this_run = events_this_run() -%}
    with

    identified_events as (

        select
            user_id,
            event_date,
            event_at,
            {% if by_platform -%}
            coalesce(platform, 'unknown') as platform,
            {%- else -%}
            platform,
            {%- endif %}
            load_id
        from {{ ref('fct_events') }}
        where
            user_id is not null
            and {{ is_activity_event() }}
            {% if is_incremental() -%}
            and {{ in_changed_dates('event_date', this_run) }}
            {%- endif %}

    )

    select
        user_id,
        event_date as activity_date,
        {% if by_platform -%}
        platform,
        count(*) as event_count,
        {%- else -%}
        count(*) as event_count,
        count(distinct platform) as platform_count,
        {{ string_agg_distinct('platform') }} as platforms,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        {%- endif %}
        max(load_id) as max_load_id
    from identified_events
    group by user_id, event_date{{ ', platform' if by_platform }}
{%- endmacro %}
