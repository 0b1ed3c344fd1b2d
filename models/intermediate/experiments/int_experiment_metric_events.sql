{#-
    The events that count for an experiment metric, of users exposed to some experiment:
    one row per event and metric it matches. A matching event has the metric's event name
    and, when filter_property is set, that property equal to filter_value (as text); sum
    metrics also carry the numeric value of their property (null when it is not a number).

    Stored, so the window joins of int_experiment_user_metrics read plain rows instead of
    re-evaluating the stitched-events view and the JSON parsing (PostgreSQL would otherwise
    pick nested loops over the views).

    Incremental (delete+insert on event_id): this run's events (int_events_this_run, stitched)
    of exposed users, plus every event of the users whose exposures or identification this
    run changed (experiment_users_this_run: a newly exposed user brings their whole history,
    read through attributed_events, so through indexes on PostgreSQL).
    Rows of an event are replaced whole, so late events and duplicates across batches give
    the rows of a full build. A change to seeds/experiment_metrics.csv needs a full refresh.
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_anonymous_ids') }}
-- depends_on: {{ ref('int_identity_map') }}
-- depends_on: {{ ref('int_experiment_exposure_events') }}
-- depends_on: {{ ref('fct_events') }}
{%- set this_run = events_this_run() %}
{%- set user_events_source = 'recomputed_user_events' if is_incremental() else ref('int_user_events') %}

with

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

exposed_users as (

    select distinct user_id from {{ ref('int_experiment_exposures') }}

),

{% if is_incremental() %}

recomputed_users as (

    -- users whose every event is read again: newly exposed, or their device identified
    {{ experiment_users_this_run() }}

),

recomputed_user_events as (

    -- only those users' events, read through fct_events' own user and device columns
    {{ attributed_events('recomputed_users') }}

),

{% endif %}

candidate_events as (

    select
        user_events.event_id,
        user_events.user_id,
        user_events.event_name,
        user_events.event_at,
        user_events.properties
    from {{ user_events_source }} as user_events
    inner join exposed_users
        on user_events.user_id = exposed_users.user_id
    where
        user_events.event_name in (select metrics.event from metrics)
    {% if is_incremental() %}

        union all

        -- everybody else: this run's events only
        select
            stitched.event_id,
            stitched.user_id,
            stitched.event_name,
            stitched.event_at,
            stitched.properties
        from ({{ stitched_events(this_run) }}) as stitched
        inner join exposed_users
            on stitched.user_id = exposed_users.user_id
        where
            stitched.event_name in (select metrics.event from metrics)
            and stitched.user_id not in (select recomputed_users.user_id from recomputed_users)

    {% endif %}

),

final as (

    select
        candidate_events.event_id,
        metrics.metric_key,
        candidate_events.user_id,
        candidate_events.event_at,
        case
            when metrics.metric_type in ('sum', 'ratio') and metrics.property is not null
                then {{ json_number_by_key('candidate_events.properties', 'metrics.property') }}
        end as property_value
    from candidate_events
    inner join metrics
        on candidate_events.event_name = metrics.event
    where
        metrics.filter_property is null
        or {{ json_text_by_key('candidate_events.properties', 'metrics.filter_property') }} = metrics.filter_value

)

select * from final
