{#-
    Schema drift: when each event name and each (event name, property key) was first seen,
    by arrival batch. `pulse monitor` reports the elements first seen in the monitored batch.

    Incremental: only the staged rows of this run's loads (int_run_limits) are read; an element seen again keeps
    its earliest batch (a reloaded older batch can move first_seen_batch_date back).
    Disabled on Redshift (no set-returning JSON key function; see json_object_key_rows).
-#}
{{
    config(
        materialized='incremental',
        unique_key='schema_element',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        enabled=target.type != 'redshift',
    )
}}
{%- set limits = get_run_limits() %}

with

new_events as (

    select
        event_name,
        batch_date,
        load_id,
        properties
    from {{ ref('stg_events') }}
    where
        load_id <= {{ limits.upper }}
    {% if is_incremental() %}
            and load_id > {{ limits.lower }}
    {% endif %}

),

event_names as (

    select
        event_name,
        min(batch_date) as batch_date,
        max(load_id) as load_id
    from new_events
    group by event_name

),

property_keys as (

    select
        event_name,
        {{ json_object_key_rows('properties') }} as property_key,
        batch_date,
        load_id
    from new_events

),

elements as (

    select
        event_name as schema_element,
        event_name,
        cast(null as {{ dbt.type_string() }}) as property_key,
        batch_date,
        load_id
    from event_names

    union all

    select
        {{ dbt.concat(['event_name', "'.'", 'property_key']) }} as schema_element,
        event_name,
        property_key,
        batch_date,
        load_id
    from property_keys

    {% if is_incremental() %}
    union all

    select
        schema_element,
        event_name,
        property_key,
        first_seen_batch_date as batch_date,
        max_load_id as load_id
    from {{ this }}
    {% endif %}

),

final as (

    select
        schema_element,
        event_name,
        property_key,
        min(batch_date) as first_seen_batch_date,
        max(load_id) as max_load_id
    from elements
    group by schema_element, event_name, property_key

)

select * from final
