{#-
    The events marketing attribution needs, one row per event_id: touches (events with any
    utm_* property, i.e. campaign page views and signups) and conversions (signup,
    subscription_started). Identity is resolved at report time, so a device identified later
    still gets its touches attributed.

    Incremental at event grain (delete+insert on event_id, new fct_events loads by load_id):
    fct_events rows only appear or get replaced by an earlier arrival, so upserting them by
    event_id gives the full-refresh rows.
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

    select
        event_id,
        event_name,
        event_at,
        user_id,
        anonymous_id,
        {{ json_text('properties', 'utm_source') }} as utm_source,
        {{ json_text('properties', 'utm_medium') }} as utm_medium,
        {{ json_text('properties', 'utm_campaign') }} as utm_campaign,
        load_id
    from {{ ref('fct_events') }}
    {% if is_incremental() %}
        where load_id > {{ load_watermark('load_id') }}
    {% endif %}

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
