{#-
    One row per user_id ever seen. Built from int_user_events, i.e. the user's identified events
    plus the anonymous events of devices later identified as that user.

    Incremental (delete+insert on user_id): the users of this run's events (int_events_this_run,
    stitched), and the users of devices identified by this run's loads, are recomputed from all their events; nobody
    else is read (attributed_events for those users only: the events with their user_id and
    the anonymous events of their devices, found through indexes on PostgreSQL). Counts are recomputed, never added, so reading a load twice changes nothing.
-#}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_anonymous_ids') }}
-- depends_on: {{ ref('int_identity_map') }}
-- depends_on: {{ ref('int_user_events') }}
-- depends_on: {{ ref('fct_events') }}
{%- set this_run = events_this_run() %}

with

{% if is_incremental() %}

changed_users as (

    select stitched.user_id
    from ({{ stitched_events(this_run) }}) as stitched
    where stitched.user_id is not null

    union

    {{ users_identified_this_run() }}

),

{% endif %}

user_events as (

    {% if is_incremental() -%}
    {{ attributed_events('changed_users') }}
    {%- else -%}
    select * from {{ ref('int_user_events') }}
    {%- endif %}

),

totals as (

    select
        user_id,
        min(event_at) as first_seen_at,
        min(case when is_identified then event_at end) as first_identified_at,
        max(event_at) as last_seen_at,
        count(*) as event_count,
        count(distinct event_date) as active_days,
        max(load_id) as max_load_id
    from user_events
    group by user_id

),

signups as (

    select
        user_id,
        event_at as signed_up_at,
        {{ json_text('properties', 'utm_source') }} as utm_source,
        {{ json_text('properties', 'utm_medium') }} as utm_medium,
        {{ json_text('properties', 'utm_campaign') }} as utm_campaign,
        row_number() over (partition by user_id order by event_at, event_id) as signup_rank
    from user_events
    where event_name = 'signup'

),

platforms as (

    select
        user_id,
        platform,
        row_number() over (partition by user_id order by event_at, event_id) as platform_rank
    from user_events
    where platform is not null

),

countries as (

    select
        user_id,
        country,
        row_number() over (partition by user_id order by event_at desc, event_id desc) as country_rank
    from user_events
    where country is not null

),

workspaces as (

    select
        user_id,
        workspace_id,
        row_number() over (partition by user_id order by event_at, event_id) as workspace_rank
    from user_events
    where workspace_id is not null

),

final as (

    select
        totals.user_id,
        totals.first_seen_at,
        totals.first_identified_at,
        signups.signed_up_at,
        totals.last_seen_at,
        cast(signups.signed_up_at as date) as signup_date,
        platforms.platform as first_platform,
        countries.country,
        signups.utm_source,
        signups.utm_medium,
        signups.utm_campaign,
        workspaces.workspace_id,
        totals.event_count,
        totals.active_days,
        totals.max_load_id
    from totals
    left join signups
        on
            totals.user_id = signups.user_id
            and signups.signup_rank = 1
    left join platforms
        on
            totals.user_id = platforms.user_id
            and platforms.platform_rank = 1
    left join countries
        on
            totals.user_id = countries.user_id
            and countries.country_rank = 1
    left join workspaces
        on
            totals.user_id = workspaces.user_id
            and workspaces.workspace_rank = 1

)

select * from final
