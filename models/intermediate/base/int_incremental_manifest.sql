{#-
    The incremental manifest: one row per incremental model with the highest load_id it has
    processed (macros/marts/run_limits.sql). Written by the post-hook
    record_run_limits of every incremental model once built, read by int_run_limits. Building this model
    never changes its rows (it selects none); a full refresh empties it, after which the
    next run reads all loads again (lower limit 0).
-#}
{{
    config(
        materialized='incremental',
        unique_key='model_name',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_bigint() }}) as processed_load_id
    where 1 = 0

)

select * from final
