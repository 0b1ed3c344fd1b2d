{#-
    One row per experiment and slice it is read in (int_experiment_slice_members; the
    overall slice dimension = 'all', slice_value = 'all' exists for every configured
    experiment, with or without users): the slice's analysed users and its sample-ratio-
    mismatch test, Pearson chi-square of the users per variant against the configured
    weights, df = variants - 1, p from chi_square_sf; has_srm when p <
    var('experiment_srm_alpha'). A slice can be out of balance when the treatment changes
    the dimension itself (e.g. moves users between platforms) even when the experiment is not.
-#}
{{ config(materialized='table') }}

{%- set srm_alpha = var('experiment_srm_alpha') | float -%}

with

variants as (

    select
        experiment_key,
        variant,
        weight
    from {{ ref('experiments') }}

),

members as (

    select * from {{ ref('int_experiment_slice_members') }}

),

slices as (

    select distinct
        experiment_key,
        cast('all' as {{ dbt.type_string() }}) as dimension,
        cast('all' as {{ dbt.type_string() }}) as slice_value
    from variants

    union

    select distinct
        experiment_key,
        dimension,
        slice_value
    from members

),

observed as (

    select
        slices.experiment_key,
        slices.dimension,
        slices.slice_value,
        variants.variant,
        variants.weight,
        count(members.user_id) as observed_users
    from slices
    inner join variants
        on slices.experiment_key = variants.experiment_key
    left join members
        on
            slices.experiment_key = members.experiment_key
            and slices.dimension = members.dimension
            and slices.slice_value = members.slice_value
            and variants.variant = members.variant
    group by slices.experiment_key, slices.dimension, slices.slice_value, variants.variant, variants.weight

),

expected as (

    select
        experiment_key,
        dimension,
        slice_value,
        cast(observed_users as double precision) as observed_users,
        sum(observed_users) over (partition by experiment_key, dimension, slice_value)
        * weight / sum(weight) over (partition by experiment_key, dimension, slice_value) as expected_users,
        count(*) over (partition by experiment_key, dimension, slice_value) - 1 as srm_df
    from observed

),

chi_square as (

    select
        experiment_key,
        dimension,
        slice_value,
        cast(sum(observed_users) as {{ dbt.type_bigint() }}) as slice_users,
        max(srm_df) as srm_df,
        sum(
            (observed_users - expected_users) * (observed_users - expected_users)
            / nullif(expected_users, 0)
        ) as srm_chi_square
    from expected
    group by experiment_key, dimension, slice_value

),

srm as (

    select
        experiment_key,
        dimension,
        slice_value,
        slice_users,
        srm_chi_square,
        srm_df,
        {{ chi_square_sf('srm_chi_square', 'srm_df') }} as srm_p_value
    from chi_square

),

final as (

    select
        experiment_key,
        dimension,
        slice_value,
        slice_users,
        srm_chi_square,
        srm_df,
        srm_p_value,
        coalesce(srm_p_value < {{ srm_alpha }}, false) as has_srm
    from srm

)

select * from final
