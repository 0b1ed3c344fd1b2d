{#-
    One row per experiment_exposure event from the experiment_exposures log table
    (stg_experiment_exposures), its earliest arrival across batches (deduplicated_arrivals,
    the precedence of fct_events). Not yet stitched: int_experiment_exposures resolves the
    user of anonymous exposures.

    Incremental (delete+insert on event_id): the rows of this run's loads are ranked with the
    stored rows of the same event_ids, like fct_events.
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

deduplicated as (

    {{ deduplicated_arrivals(
        ref('stg_experiment_exposures'),
        columns=['exposed_at', 'user_id', 'anonymous_id', 'experiment_key', 'variant', 'platform'],
        timestamp_column='exposed_at',
    ) }}

),

final as (

    select
        event_id,
        exposed_at,
        user_id,
        anonymous_id,
        experiment_key,
        variant,
        platform,
        batch_date,
        source_file,
        source_line,
        load_id
    from deduplicated

)

select * from final
