{#-
    Sessions: one row per session of a person (stitched user, or a never-identified device).

    A session starts at a person's first event, after session_inactivity_minutes (30) without
    an event (a gap of exactly 30 minutes starts a new session), and, for uninterrupted
    activity longer than session_max_minutes (bots), every session_max_minutes from the
    start of that activity: such sessions are cut and flagged is_capped.

    Incremental, Snowplow-style. The bookkeeping CTEs (new_events .. recompute) find what a
    run changes; the sessionisation CTEs (events .. final) do not know whether the run is
    incremental. Changed people are the owners of this run's events (int_events_this_run,
    stitched; from their earliest new event on) and users whose device was identified by
    this run's loads (from the device's first_seen_at on, as its anonymous events move to
    them). For each, the stored
    session that the change could extend (starting before it, ending less than the inactivity
    gap before it) is recomputed together with everything after it; older sessions cannot
    change. The replace_from strategy (macros/marts/replace_from.sql) deletes each changed
    person's sessions from its earliest recomputed start on, so merged or split sessions
    leave nothing stale; the post-hook drops the anonymous sessions of devices identified
    since. Needs a full refresh when a device's first identification moves to another user
    (a late event on a shared device).
-#}
-- depends_on: {{ ref('int_anonymous_ids') }}
-- depends_on: {{ ref('int_identity_map') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_from',
        unique_key='session_owner_id',
        replace_from_column='session_start_at',
        on_schema_change='fail',
        post_hook="
            {% if is_incremental() %}
            delete from {{ this }}
            where
                is_anonymous
                and session_owner_id in (select anonymous_id from {{ ref('int_identity_map') }})
            {% endif %}",
    )
}}
{%- set inactivity_minutes = var('session_inactivity_minutes') | int -%}
{%- set max_minutes = var('session_max_minutes') | int -%}
{%- set this_run = events_this_run() %}

with

{% if is_incremental() %}

-- bookkeeping: the people this run changes, and from when on they are recomputed

new_events as (

    select
        stitched.owner_id,
        stitched.event_at
    from ({{ stitched_events(this_run) }}) as stitched

),

newly_identified as (

    select
        user_id as owner_id,
        first_seen_at as event_at
    from {{ ref('int_anonymous_ids') }}
    where
        user_id is not null
        and {{ in_run_limits('identified_load_id') }}

),

changes as (

    select
        owner_id,
        min(event_at) as changed_from
    from (
        select * from new_events
        union all
        select * from newly_identified
    ) as changed_events
    group by owner_id

),

extendable_sessions as (

    -- stored sessions a change can join: started before it, ended less than the gap before it
    select
        stored.session_owner_id as owner_id,
        min(stored.activity_started_at) as activity_started_at
    from {{ this }} as stored
    inner join changes
        on
            stored.session_owner_id = changes.owner_id
            and stored.session_start_at < changes.changed_from
            and stored.session_end_at
            >= {{ dbt.dateadd('minute', -inactivity_minutes, 'changes.changed_from') }}
    group by stored.session_owner_id

),

recompute as (

    select
        changes.owner_id,
        case
            when extendable_sessions.activity_started_at < changes.changed_from
                then extendable_sessions.activity_started_at
            else changes.changed_from
        end as recompute_from
    from changes
    left join extendable_sessions
        on changes.owner_id = extendable_sessions.owner_id

),

{% endif %}

-- sessionisation: the events of the recomputed people (everyone on a full build)

events as (

    select
        stitched.event_id,
        stitched.owner_id,
        stitched.user_id,
        stitched.is_anonymous,
        stitched.event_name,
        stitched.event_at,
        stitched.anonymous_id,
        stitched.platform,
        stitched.properties,
        stitched.load_id
    from {{ ref('int_stitched_events') }} as stitched
    {% if is_incremental() %}
        inner join recompute
            on
                stitched.owner_id = recompute.owner_id
                and stitched.event_at >= recompute.recompute_from
        where stitched.event_at >= (select min(recompute.recompute_from) from recompute)
    {% endif %}

),

gaps as (

    select
        events.*,
        case
            when
                lag(event_at) over (partition by owner_id order by event_at, event_id) is null
                or event_at >= {{ dbt.dateadd(
                    'minute', inactivity_minutes,
                    'lag(event_at) over (partition by owner_id order by event_at, event_id)'
                ) }}
                then 1
            else 0
        end as is_activity_start
    from events

),

activities as (

    select
        gaps.*,
        sum(is_activity_start) over (
            partition by owner_id
            order by event_at, event_id
            rows between unbounded preceding and current row
        ) as activity_number
    from gaps

),

activity_bounds as (

    select
        activities.*,
        min(event_at) over (partition by owner_id, activity_number) as activity_started_at,
        max(event_at) over (partition by owner_id, activity_number) as activity_ended_at
    from activities

),

chunked as (

    select
        activity_bounds.*,
        cast(
            floor({{ timestamp_diff_ms('activity_started_at', 'event_at') }} / {{ max_minutes * 60000 }})
            as integer
        ) as chunk_number,
        {{ timestamp_diff_ms('activity_started_at', 'activity_ended_at') }}
        >= {{ max_minutes * 60000 }} as is_capped
    from activity_bounds

),

sequenced as (

    select
        chunked.*,
        row_number() over (
            partition by owner_id, activity_number, chunk_number
            order by event_at, event_id
        ) as event_sequence
    from chunked

),

pages as (

    select
        owner_id,
        activity_number,
        chunk_number,
        {{ json_text('properties', 'path') }} as page_path,
        row_number() over (
            partition by owner_id, activity_number, chunk_number
            order by event_at, event_id
        ) as page_rank
    from sequenced
    where event_name = 'page_view'

),

touches as (

    select
        owner_id,
        activity_number,
        chunk_number,
        {{ json_text('properties', 'utm_source') }} as utm_source,
        {{ json_text('properties', 'utm_medium') }} as utm_medium,
        {{ json_text('properties', 'utm_campaign') }} as utm_campaign,
        row_number() over (
            partition by owner_id, activity_number, chunk_number
            order by event_at, event_id
        ) as touch_rank
    from sequenced
    where
        {{ json_text('properties', 'utm_source') }} is not null
        or {{ json_text('properties', 'utm_medium') }} is not null
        or {{ json_text('properties', 'utm_campaign') }} is not null

),

platforms as (

    select
        owner_id,
        activity_number,
        chunk_number,
        platform,
        row_number() over (
            partition by owner_id, activity_number, chunk_number
            order by event_at, event_id
        ) as platform_rank
    from sequenced
    where platform is not null

),

sessions as (

    select
        owner_id,
        activity_number,
        chunk_number,
        max(case when event_sequence = 1 then event_id end) as first_event_id,
        max(user_id) as user_id,
        max(case when event_sequence = 1 then anonymous_id end) as first_anonymous_id,
        min(activity_started_at) as activity_started_at,
        min(event_at) as session_start_at,
        max(event_at) as session_end_at,
        count(*) as event_count,
        max(case when is_capped then 1 else 0 end) = 1 as is_capped,
        max(load_id) as max_load_id
    from sequenced
    group by owner_id, activity_number, chunk_number

),

final as (

    select
        {{ dbt.hash(dbt.concat(['sessions.owner_id', "'|'", 'sessions.first_event_id'])) }} as session_key,
        sessions.owner_id as session_owner_id,
        sessions.user_id,
        sessions.user_id is null as is_anonymous,
        sessions.first_anonymous_id as anonymous_id,
        sessions.session_start_at,
        sessions.session_end_at,
        cast(sessions.session_start_at as date) as session_date,
        cast({{ timestamp_diff_ms('sessions.session_start_at', 'sessions.session_end_at') }} as double precision)
        / 1000 as duration_seconds,
        sessions.event_count,
        sessions.first_event_id,
        pages.page_path as first_page_path,
        touches.utm_source,
        touches.utm_medium,
        touches.utm_campaign,
        platforms.platform,
        sessions.is_capped,
        sessions.activity_started_at,
        sessions.max_load_id
    from sessions
    left join pages
        on
            sessions.owner_id = pages.owner_id
            and sessions.activity_number = pages.activity_number
            and sessions.chunk_number = pages.chunk_number
            and pages.page_rank = 1
    left join touches
        on
            sessions.owner_id = touches.owner_id
            and sessions.activity_number = touches.activity_number
            and sessions.chunk_number = touches.chunk_number
            and touches.touch_rank = 1
    left join platforms
        on
            sessions.owner_id = platforms.owner_id
            and sessions.activity_number = platforms.activity_number
            and sessions.chunk_number = platforms.chunk_number
            and platforms.platform_rank = 1

)

select * from final
