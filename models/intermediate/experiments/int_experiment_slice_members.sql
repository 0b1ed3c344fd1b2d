{#-
    One row per experiment, slice and analysed (single-variant) user: the population of every
    slice the experiment is read in. The overall result is the slice dimension = 'all',
    slice_value = 'all' (every analysed user, int_experiment_exposures); the configured
    slices (seeds/experiment_slices.csv) come from int_experiment_user_slices. The
    comparisons and the sample-ratio checks are computed once over this relation, so the
    overall read-out and the slices' cannot drift apart.
-#}
{{ config(materialized='table') }}

with

exposures as (

    select
        experiment_key,
        user_id,
        variant
    from {{ ref('int_experiment_exposures') }}
    where not is_multi_variant

),

user_slices as (

    select
        experiment_key,
        dimension,
        slice_value,
        user_id,
        variant
    from {{ ref('int_experiment_user_slices') }}

),

final as (

    select
        experiment_key,
        cast('all' as {{ dbt.type_string() }}) as dimension,
        cast('all' as {{ dbt.type_string() }}) as slice_value,
        user_id,
        variant
    from exposures

    union all

    select
        experiment_key,
        dimension,
        slice_value,
        user_id,
        variant
    from user_slices

)

select * from final
