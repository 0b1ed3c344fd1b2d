{{ config(tags=['reconciliation']) }}
-- A person's sessions never overlap and are separated by the inactivity gap unless the
-- earlier one was cut at the cap; every fct_events event sits in exactly one session.
-- Scans all sessions and events (tag reconciliation, like the fct_events check).
with

ordered as (

    select
        session_owner_id,
        session_key,
        session_start_at,
        session_end_at,
        is_capped,
        lag(session_end_at) over (partition by session_owner_id order by session_start_at) as previous_end_at,
        lag(is_capped) over (partition by session_owner_id order by session_start_at) as previous_is_capped
    from {{ ref('fct_sessions') }}

),

session_events as (

    select sum(event_count) as session_events
    from {{ ref('fct_sessions') }}

),

all_events as (

    select count(*) as events
    from {{ ref('fct_events') }}

),

totals as (

    select
        session_events.session_events,
        all_events.events
    from session_events
    cross join all_events

)

select
    'overlap_or_short_gap' as problem,
    session_key
from ordered
where
    previous_end_at is not null
    and (
        session_start_at <= previous_end_at
        or (
            not previous_is_capped
            and session_start_at
            < {{ dbt.dateadd('minute', var('session_inactivity_minutes'), 'previous_end_at') }}
        )
    )

union all

select
    'event_count_mismatch' as problem,
    cast(totals.session_events as {{ dbt.type_string() }}) as session_key
from totals
where totals.session_events != totals.events
