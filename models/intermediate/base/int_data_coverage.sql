{#-
    The data's real coverage, one row: the first and last UTC event date loaded into
    fct_events. The marts judge their windows and cohorts against it (is_..._complete
    flags): a window or cohort period is complete only when it lies within
    first_event_date .. last_event_date.

    last_event_date is the latest event date, but no later than the latest batch date: an
    event dated after every batch that has arrived (a client clock ahead) does not make a
    day covered. A table, rebuilt in every run (two aggregates over fct_events).
-#}
{{ config(materialized='table') }}

with

bounds as (

    select
        min(event_date) as first_event_date,
        max(event_date) as max_event_date,
        max(batch_date) as last_batch_date
    from {{ ref('fct_events') }}

),

final as (

    select
        first_event_date,
        case
            when last_batch_date < max_event_date then last_batch_date
            else max_event_date
        end as last_event_date,
        last_batch_date
    from bounds

)

select * from final
