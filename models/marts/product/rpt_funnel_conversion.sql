{#-
    Funnel conversion per funnel, start date and step (funnels: seed funnel_steps).

    An entry is a user's first step-1 event of a UTC day (start date). Step k is reached
    with the user's earliest step-k event at or after the event that reached step k - 1,
    not that same event, and no later than the entry time plus the funnel's
    conversion_window_hours (the edge itself counts). Steps are matched greedily in order,
    which finds the ordered sequence whenever one exists. Users are stitched users (their
    pre-signup anonymous events included); never-identified devices are left out.

    Incremental (delete+insert on funnel_start_date): a changed event on day E can only
    change entries from E - (longest window) on, so every start date from the earliest
    changed day minus the longest window is rebuilt; so is the history of devices identified
    since the last run. Steps are unrolled up to var funnel_max_steps (default 6).

    is_window_complete: every entry of the start date has had its whole conversion window
    (step 1's conversion_window_hours) within the data's coverage (int_data_coverage), i.e.
    start date + 1 day + the window <= the end of the last event date. Later start dates
    are understated. Start dates stored as incomplete are rebuilt by every incremental run,
    so the flag turns true once the data covers the window.
-#}
{{
    config(
        materialized='incremental',
        unique_key='funnel_start_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ prefer_hash_joins() }}",
    )
}}
{%- set max_steps = var('funnel_max_steps') | int %}
-- depends_on: {{ ref('int_anonymous_ids') }}
{%- set this_run = events_this_run() %}

with

steps as (

    select
        funnel_key,
        step_number,
        event_name,
        conversion_window_hours
    from {{ ref('funnel_steps') }}

),

coverage as (

    select last_event_date
    from {{ ref('int_data_coverage') }}

),

{% if is_incremental() %}

changed_dates as (

    {{ changed_dates(this_run) }}

    union all

    select cast(first_seen_at as date) as changed_date
    from {{ ref('int_anonymous_ids') }}
    where
        user_id is not null
        and {{ in_run_limits('identified_load_id') }}

),

rebuild_from as (

    select
        cast({{ dbt.dateadd(
            'day',
            '-1 * (select cast(ceiling(max(steps.conversion_window_hours) / 24.0) as integer) from steps)',
            'min(changed_dates.changed_date)'
        ) }} as date) as rebuild_from_date
    from (
        select changed_date from changed_dates
        union all
        -- start dates whose window was not yet covered: the flag may turn true
        select
            cast({{ dbt.dateadd(
                'day',
                '(select cast(ceiling(max(steps.conversion_window_hours) / 24.0) as integer) from steps)',
                'min(stored.funnel_start_date)'
            ) }} as date) as changed_date
        from {{ this }} as stored
        where not stored.is_window_complete
    ) as changed_dates

),

{% endif %}

funnel_events as (

    select
        steps.funnel_key,
        steps.step_number,
        steps.conversion_window_hours,
        events.user_id,
        events.event_id,
        events.event_at,
        events.event_date,
        events.load_id
    from {{ ref('int_stitched_events') }} as events
    inner join steps
        on events.event_name = steps.event_name
    where
        not events.is_anonymous
    {% if is_incremental() %}
            and events.event_date >= (select rebuild_from.rebuild_from_date from rebuild_from)
    {% endif %}

),

entries as (

    select
        funnel_key,
        user_id,
        event_date as funnel_start_date,
        event_id,
        event_at,
        conversion_window_hours,
        load_id
    from (
        select
            funnel_events.*,
            row_number() over (
                partition by funnel_key, user_id, event_date
                order by event_at, event_id
            ) as entry_rank
        from funnel_events
        where step_number = 1
    ) as ranked
    where entry_rank = 1

),

reached_1 as (

    select
        funnel_key,
        user_id,
        funnel_start_date,
        event_at as entered_at,
        conversion_window_hours,
        event_id,
        event_at,
        load_id
    from entries

),

{% for step in range(2, max_steps + 1) %}

reached_{{ step }} as (

    select
        funnel_key,
        user_id,
        funnel_start_date,
        entered_at,
        conversion_window_hours,
        event_id,
        event_at,
        load_id
    from (
        select
            previous.funnel_key,
            previous.user_id,
            previous.funnel_start_date,
            previous.entered_at,
            previous.conversion_window_hours,
            candidate.event_id,
            candidate.event_at,
            candidate.load_id,
            row_number() over (
                partition by previous.funnel_key, previous.user_id, previous.funnel_start_date
                order by candidate.event_at, candidate.event_id
            ) as candidate_rank
        from reached_{{ step - 1 }} as previous
        inner join funnel_events as candidate
            on
                previous.funnel_key = candidate.funnel_key
                and previous.user_id = candidate.user_id
                and candidate.step_number = {{ step }}
                and previous.event_at <= candidate.event_at
                and previous.event_id != candidate.event_id
                and candidate.event_at
                <= {{ dbt.dateadd('hour', 'previous.conversion_window_hours', 'previous.entered_at') }}
    ) as candidates
    where candidate_rank = 1

),

{% endfor %}

reached as (

    {% for step in range(1, max_steps + 1) %}
    select
        funnel_key,
        funnel_start_date,
        {{ step }} as step_number,
        count(*) as reached_users,
        max(load_id) as max_load_id
    from reached_{{ step }}
    group by funnel_key, funnel_start_date
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

grid as (

    select distinct
        entries.funnel_key,
        entries.funnel_start_date,
        steps.step_number,
        steps.event_name,
        entries.conversion_window_hours
    from entries
    inner join steps
        on entries.funnel_key = steps.funnel_key

),

counted as (

    select
        grid.funnel_key,
        grid.funnel_start_date,
        grid.step_number,
        grid.event_name,
        coalesce(reached.reached_users, 0) as reached_users,
        coalesce(
            cast({{ dbt.dateadd(
                'hour', 'grid.conversion_window_hours', dbt.dateadd('day', 1, 'grid.funnel_start_date')
            ) }} as {{ dbt.type_timestamp() }})
            <= cast({{ dbt.dateadd('day', 1, 'coverage.last_event_date') }} as {{ dbt.type_timestamp() }}),
            false
        ) as is_window_complete,
        reached.max_load_id
    from grid
    cross join coverage
    left join reached
        on
            grid.funnel_key = reached.funnel_key
            and grid.funnel_start_date = reached.funnel_start_date
            and grid.step_number = reached.step_number

),

final as (

    select
        funnel_key,
        funnel_start_date,
        step_number,
        event_name,
        reached_users,
        first_value(reached_users) over (
            partition by funnel_key, funnel_start_date order by step_number
        ) as started_users,
        cast(reached_users as double precision) / nullif(
            first_value(reached_users) over (partition by funnel_key, funnel_start_date order by step_number), 0
        ) as conversion_from_start,
        cast(reached_users as double precision) / nullif(
            lag(reached_users) over (partition by funnel_key, funnel_start_date order by step_number), 0
        ) as conversion_from_previous,
        is_window_complete,
        max_load_id
    from counted

)

select * from final
