{#-
    The events that count for an experiment metric, of users exposed to some experiment:
    one row per event and metric it matches. A matching event has the metric's event name
    and, when filter_property is set, that property equal to filter_value (as text); sum
    metrics also carry the numeric value of their property (null when it is not a number).

    A table, so the window joins of int_experiment_user_metrics read plain rows instead of
    re-evaluating the stitched-events view and the JSON parsing (PostgreSQL would otherwise
    pick nested loops over the views).
-#}
{{ config(materialized='table') }}

with

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

exposed_users as (

    select distinct user_id from {{ ref('int_experiment_exposures') }}

),

candidate_events as (

    select
        user_events.event_id,
        user_events.user_id,
        user_events.event_name,
        user_events.event_at,
        user_events.properties
    from {{ ref('int_user_events') }} as user_events
    inner join exposed_users
        on user_events.user_id = exposed_users.user_id
    where user_events.event_name in (select metrics.event from metrics)

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
