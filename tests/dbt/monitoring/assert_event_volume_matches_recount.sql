{#-
    int_event_volume_daily is incremental (recounts only the event dates of new loads); this
    recounts everything from fct_events and returns every event name and date where the two
    differ, so an incremental slip fails the build instead of skewing the anomaly monitor.
-#}
with

stored as (

    select
        event_name,
        event_date,
        event_count,
        max_batch_date
    from {{ ref('int_event_volume_daily') }}

),

recounted as (

    select
        event_name,
        event_date,
        count(case when batch_date <= event_date then 1 end) as event_count,
        max(batch_date) as max_batch_date
    from {{ ref('fct_events') }}
    group by event_name, event_date

),

final as (

    select
        coalesce(stored.event_name, recounted.event_name) as event_name,
        coalesce(stored.event_date, recounted.event_date) as event_date,
        stored.event_count as stored_count,
        recounted.event_count as recounted_count
    from stored
    full outer join recounted
        on
            stored.event_name = recounted.event_name
            and stored.event_date = recounted.event_date
    where
        stored.event_name is null
        or recounted.event_name is null
        or stored.event_count != recounted.event_count
        or stored.max_batch_date != recounted.max_batch_date

)

select * from final
