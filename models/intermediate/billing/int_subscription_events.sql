{#-
    Subscription events (subscription_started / _changed / _canceled: the contract's list,
    var contract_subscription_events), one row per event_id, with their billing properties
    typed. mrr_cents is the workspace's MRR after the event.

    Incremental at event grain (delete+insert on event_id) through the event_subset macro,
    shared with int_attribution_events: this run's fct_events rows are upserted by event_id.
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

final as (

    {{ event_subset(
        columns=[
            'event_id', 'event_name', 'event_at', 'event_date', 'workspace_id', 'user_id',
            json_text('properties', 'plan') ~ ' as plan',
            json_integer('properties', 'seats') ~ ' as seats',
            json_integer('properties', 'mrr_cents') ~ ' as mrr_cents',
            json_text('properties', 'currency') ~ ' as currency',
            'load_id',
        ],
        where="event_name in ('" ~ var('contract_subscription_events') | join("', '") ~ "')",
    ) }}

)

select * from final
