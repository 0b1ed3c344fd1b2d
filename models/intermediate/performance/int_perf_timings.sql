{#-
    perf_timing events with action and duration_ms read from properties: the input of the
    performance marts. A view: models filter it on event_date / load_id and the filter
    reaches fct_events.
-#}
with

events as (

    select * from {{ ref('fct_events') }}
    where event_name = 'perf_timing'

),

final as (

    select
        event_id,
        event_at,
        event_date,
        {{ json_text('properties', 'action') }} as action_name,
        coalesce(platform, 'unknown') as platform,
        coalesce(app_version, 'unknown') as app_version,
        {{ json_number('properties', 'duration_ms') }} as duration_ms,
        load_id
    from events

)

select * from final
