{#-
    The events marketing attribution needs, one row per event_id: touches (events with any
    utm_* property, i.e. campaign page views and signups) and conversions (signup,
    subscription_started). Identity is resolved at report time, so a device identified later
    still gets its touches attributed.

    Incremental at event grain (delete+insert on event_id) through the event_subset macro,
    shared with int_subscription_events: this run's fct_events rows are upserted by event_id.
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

events as (

    {{ event_subset(
        columns=[
            'event_id', 'event_name', 'event_at', 'user_id', 'anonymous_id',
            utm_columns('properties'), 'load_id',
        ],
        where='1 = 1',
    ) }}

),

final as (

    select
        event_id,
        event_name,
        event_at,
        user_id,
        anonymous_id,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_source is not null or utm_medium is not null or utm_campaign is not null as is_touch,
        event_name in ('signup', 'subscription_started') as is_conversion,
        load_id
    from events
    where
        event_name in ('signup', 'subscription_started')
        or utm_source is not null
        or utm_medium is not null
        or utm_campaign is not null

)

select * from final
