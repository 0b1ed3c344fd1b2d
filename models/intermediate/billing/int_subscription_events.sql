{#-
    Subscription events (subscription_started / _changed / _canceled), one row per event_id,
    with their billing properties typed. mrr_cents is the workspace's MRR after the event.

    Incremental at event grain (delete+insert on event_id, new fct_events loads by load_id),
    like int_attribution_events.
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
        event_date,
        workspace_id,
        user_id,
        properties,
        load_id
    from {{ ref('fct_events') }}
    where
        event_name in ('subscription_started', 'subscription_changed', 'subscription_canceled')
    {% if is_incremental() %}
            and load_id > {{ load_watermark('load_id') }}
    {% endif %}

),

final as (

    select
        event_id,
        event_name,
        event_at,
        event_date,
        workspace_id,
        user_id,
        {{ json_text('properties', 'plan') }} as plan,
        cast({{ json_number('properties', 'seats') }} as {{ dbt.type_bigint() }}) as seats,
        cast({{ json_number('properties', 'mrr_cents') }} as {{ dbt.type_bigint() }}) as mrr_cents,
        {{ json_text('properties', 'currency') }} as currency,
        load_id
    from events

)

select * from final
