{#-
    One row per anonymous_id (device/browser) ever seen: when it was first seen and, once it
    has been, the user it belongs to (the user_id of its first event that carried both ids).

    Incremental (delete+insert on anonymous_id): this run's fct_events rows (int_events_this_run)
    of the devices they mention are merged with the stored row of each such device. first_seen_at is a minimum and
    the identification is the first identified event by (event_at, event_id), both over a set
    that only grows, so merging gives what a full refresh gives, whatever the arrival order.
    first_seen_at lets fct_sessions find a newly identified device's anonymous history without
    scanning all events.
-#}
{{
    config(
        materialized='incremental',
        unique_key='anonymous_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set this_run = events_this_run() %}

with

new_events as (

    select
        anonymous_id,
        user_id,
        event_id,
        event_at,
        load_id
    from {{ this_run }}
    where anonymous_id is not null

),

{% if is_incremental() %}

stored as (

    select
        stored_ids.anonymous_id,
        stored_ids.first_seen_at,
        stored_ids.user_id,
        stored_ids.identified_at,
        stored_ids.identified_event_id,
        stored_ids.identified_load_id,
        stored_ids.max_load_id
    from {{ this }} as stored_ids
    where stored_ids.anonymous_id in (select new_events.anonymous_id from new_events)

),

{% endif %}

seen as (

    select
        anonymous_id,
        event_at as first_seen_at,
        load_id as max_load_id
    from new_events
    {% if is_incremental() %}
        union all
        select
            anonymous_id,
            first_seen_at,
            max_load_id
        from stored
    {% endif %}

),

identifications as (

    select
        anonymous_id,
        user_id,
        event_at as identified_at,
        event_id as identified_event_id,
        load_id as identified_load_id
    from new_events
    where user_id is not null
    {% if is_incremental() %}
        union all
        select
            anonymous_id,
            user_id,
            identified_at,
            identified_event_id,
            identified_load_id
        from stored
        where user_id is not null
    {% endif %}

),

first_identification as (

    select
        anonymous_id,
        user_id,
        identified_at,
        identified_event_id,
        identified_load_id
    from (
        select
            identifications.*,
            row_number() over (
                partition by anonymous_id
                order by identified_at asc, identified_event_id asc, identified_load_id desc
            ) as identification_rank
        from identifications
    ) as ranked
    where identification_rank = 1

),

devices as (

    select
        anonymous_id,
        min(first_seen_at) as first_seen_at,
        max(max_load_id) as max_load_id
    from seen
    group by anonymous_id

),

final as (

    select
        devices.anonymous_id,
        devices.first_seen_at,
        first_identification.user_id,
        first_identification.identified_at,
        first_identification.identified_event_id,
        first_identification.identified_load_id,
        devices.max_load_id
    from devices
    left join first_identification
        on devices.anonymous_id = first_identification.anonymous_id

)

select * from final
