{#-
    Experiment results per slice: one row per experiment x slice dimension x slice value x
    assigned metric x configured variant (seeds/experiment_slices.csv names the dimensions,
    top_n and the multiple-testing correction; slices from int_experiment_user_slices).

    Within each slice, as in rpt_experiment_results (int_experiment_slice_comparisons):
    Welch p-value, delta-method interval of the relative lift, CUPED with the slice's own
    theta. Per slice:
    - SRM: Pearson chi-square of the slice's analysed users per variant against the
      configured weights (df = variants - 1), has_srm when p < var('experiment_srm_alpha').
      A slice can be out of balance when the treatment changes the dimension itself (e.g.
      moves users between platforms) even when the experiment is not.
    - p_value_adjusted: Benjamini-Hochberg over primary and secondary metrics x treatment
      variants, the family chosen by the seed's correction: metrics (each slice apart),
      slices (each metric apart, over the dimension's slices) or metrics_and_slices (all of
      the dimension's tests at once). Null on guardrail and control rows.
-#}
{%- set confidence = var('experiment_confidence_level') | float -%}
{%- set srm_alpha = var('experiment_srm_alpha') | float -%}

with

comparisons as (

    select * from {{ ref('int_experiment_slice_comparisons') }}

),

slice_settings as (

    select
        experiment_key,
        dimension,
        correction
    from {{ ref('experiment_slices') }}

),

variants as (

    select
        experiment_key,
        variant,
        weight
    from {{ ref('experiments') }}

),

user_slices as (

    select * from {{ ref('int_experiment_user_slices') }}

),

slices as (

    select distinct
        experiment_key,
        dimension,
        slice_value
    from user_slices

),

observed as (

    select
        slices.experiment_key,
        slices.dimension,
        slices.slice_value,
        variants.variant,
        variants.weight,
        count(user_slices.user_id) as observed_users
    from slices
    inner join variants
        on slices.experiment_key = variants.experiment_key
    left join user_slices
        on
            slices.experiment_key = user_slices.experiment_key
            and slices.dimension = user_slices.dimension
            and slices.slice_value = user_slices.slice_value
            and variants.variant = user_slices.variant
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
        {{ chi_square_sf('srm_chi_square', 'srm_df') }} as srm_p_value
    from chi_square

),

normal_deviates as (

    select
        comparisons.*,
        slice_settings.correction,
        {{ student_t_z('abs_t', 'welch_df') }} as z_equivalent,
        {{ student_t_z('cuped_abs_t', 'cuped_welch_df') }} as cuped_z_equivalent,
        {{ normal_inv(1.0 - (1.0 - confidence) / 2.0) }} as z_critical
    from comparisons
    inner join slice_settings
        on
            comparisons.experiment_key = slice_settings.experiment_key
            and comparisons.dimension = slice_settings.dimension

),

p_values as (

    select
        normal_deviates.*,
        2.0 * {{ normal_cdf('-z_equivalent') }} as p_value,
        2.0 * {{ normal_cdf('-cuped_z_equivalent') }} as cuped_p_value
    from normal_deviates

),

bh_tests as (

    -- the BH family: the slice (metrics), the metric (slices) or the whole dimension
    select
        p_values.*,
        metric_role != 'guardrail' and p_value is not null as is_bh_test,
        case when correction = 'metrics' then slice_value else '' end as bh_family_slice,
        case when correction = 'slices' then metric_key else '' end as bh_family_metric
    from p_values

),

bh_adjusted as (

    {{ benjamini_hochberg(
        'bh_tests',
        'experiment_key, dimension, bh_family_slice, bh_family_metric',
        'slice_value, metric_key, variant',
    ) }}

),

final as (

    select
        bh_adjusted.experiment_key,
        bh_adjusted.dimension,
        bh_adjusted.slice_value,
        bh_adjusted.metric_key,
        bh_adjusted.variant,
        bh_adjusted.metric_role,
        bh_adjusted.is_control,
        bh_adjusted.users,
        bh_adjusted.metric_mean,
        bh_adjusted.metric_variance,
        bh_adjusted.abs_lift,
        bh_adjusted.rel_lift,
        bh_adjusted.rel_lift - bh_adjusted.z_critical * bh_adjusted.rel_lift_se as rel_lift_ci_low,
        bh_adjusted.rel_lift + bh_adjusted.z_critical * bh_adjusted.rel_lift_se as rel_lift_ci_high,
        bh_adjusted.welch_df,
        bh_adjusted.p_value,
        bh_adjusted.correction,
        case
            when not bh_adjusted.is_bh_test then null
            when bh_adjusted.bh_step_up > 1.0 then 1.0
            else bh_adjusted.bh_step_up
        end as p_value_adjusted,
        bh_adjusted.cuped_rel_lift,
        bh_adjusted.cuped_p_value,
        srm.slice_users,
        srm.srm_p_value,
        coalesce(srm.srm_p_value < {{ srm_alpha }}, false) as has_srm
    from bh_adjusted
    inner join srm
        on
            bh_adjusted.experiment_key = srm.experiment_key
            and bh_adjusted.dimension = srm.dimension
            and bh_adjusted.slice_value = srm.slice_value

)

select * from final
