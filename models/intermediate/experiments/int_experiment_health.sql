{#-
    One row per configured experiment: who was exposed, who is analysed, and the two checks
    that make its results untrustworthy.

    - Sample ratio mismatch (SRM): Pearson chi-square of the analysed (single-variant) users
      per variant against the configured weights, df = variants - 1, p from chi_square_sf:
      the overall slice (dimension = 'all') of int_experiment_slice_health.
    - Multi-variant users: share of exposed users logged in more than one variant.

    is_trustworthy is false when srm_p_value < var('experiment_srm_alpha') or
    multi_variant_share > var('experiment_max_multi_variant_share').
-#}
{{ config(materialized='table') }}

{%- set max_multi_variant_share = var('experiment_max_multi_variant_share') | float -%}

with

variants as (

    select
        experiment_key,
        variant
    from {{ ref('experiments') }}

),

exposures as (

    select * from {{ ref('int_experiment_exposures') }}

),

all_exposure_events as (

    select
        event_id,
        user_id,
        anonymous_id,
        experiment_key,
        variant
    from {{ ref('int_experiment_exposure_events') }}

),

slice_health as (

    select * from {{ ref('int_experiment_slice_health') }}

),

identity_map as (

    select anonymous_id from {{ ref('int_identity_map') }}

),

experiment_list as (

    select distinct experiment_key from variants

),

unattributed as (

    -- exposures of devices never identified as a user (what int_experiment_exposures leaves out)
    select
        all_exposure_events.experiment_key,
        count(*) as unattributed_exposures
    from all_exposure_events
    left join identity_map
        on all_exposure_events.anonymous_id = identity_map.anonymous_id
    where
        all_exposure_events.user_id is null
        and identity_map.anonymous_id is null
    group by all_exposure_events.experiment_key

),

unknown_variant as (

    select
        all_exposure_events.experiment_key,
        count(*) as unknown_variant_exposures
    from all_exposure_events
    left join variants
        on
            all_exposure_events.experiment_key = variants.experiment_key
            and all_exposure_events.variant = variants.variant
    where variants.variant is null
    group by all_exposure_events.experiment_key

),

user_counts as (

    select
        experiment_key,
        count(*) as exposed_users,
        sum(case when is_multi_variant then 1 else 0 end) as multi_variant_users
    from exposures
    group by experiment_key

),

srm as (

    -- the overall slice's sample-ratio check (the same computation as every slice's)
    select
        experiment_key,
        slice_users as analysed_users,
        srm_chi_square,
        srm_df,
        srm_p_value,
        has_srm
    from slice_health
    where dimension = 'all'

),

flags as (

    select
        experiment_list.experiment_key,
        coalesce(srm.has_srm, false) as has_srm,
        coalesce(
            cast(user_counts.multi_variant_users as double precision) / nullif(user_counts.exposed_users, 0)
            > {{ max_multi_variant_share }},
            false
        ) as has_excess_multi_variant_users
    from experiment_list
    left join srm
        on experiment_list.experiment_key = srm.experiment_key
    left join user_counts
        on experiment_list.experiment_key = user_counts.experiment_key

),

final as (

    select
        experiment_list.experiment_key,
        coalesce(user_counts.exposed_users, 0) as exposed_users,
        srm.analysed_users,
        coalesce(user_counts.multi_variant_users, 0) as multi_variant_users,
        cast(coalesce(user_counts.multi_variant_users, 0) as double precision)
        / nullif(user_counts.exposed_users, 0) as multi_variant_share,
        coalesce(unattributed.unattributed_exposures, 0) as unattributed_exposures,
        coalesce(unknown_variant.unknown_variant_exposures, 0) as unknown_variant_exposures,
        srm.srm_chi_square,
        srm.srm_df,
        srm.srm_p_value,
        flags.has_srm,
        not flags.has_srm and not flags.has_excess_multi_variant_users as is_trustworthy
    from experiment_list
    left join user_counts
        on experiment_list.experiment_key = user_counts.experiment_key
    left join srm
        on experiment_list.experiment_key = srm.experiment_key
    left join unattributed
        on experiment_list.experiment_key = unattributed.experiment_key
    left join unknown_variant
        on experiment_list.experiment_key = unknown_variant.experiment_key
    inner join flags
        on experiment_list.experiment_key = flags.experiment_key

)

select * from final
