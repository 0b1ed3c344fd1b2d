{#-
    The fct_events rows of this run's loads (int_run_limits: lower_load_id < load_id <=
    upper_load_id), after Snowplow's base_events_this_run. A table, built once per run, so
    the incremental models that derive from events read a small table instead of each
    scanning fct_events; they select from it through events_this_run().
-#}
{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('fct_events') }}
    where {{ in_run_limits('load_id') }}

)

select * from events
