{#-
    Experiment results: one row per experiment x assigned metric x configured variant.

    Per arm: users, mean and sample variance (n - 1) of the user-level metric
    (int_experiment_user_metrics). Each treatment arm is compared with the control arm:

    - abs_lift = mean_t - mean_c; rel_lift = mean_t / mean_c - 1.
    - p_value: two-sided Welch t-test of the means (Welch-Satterthwaite df; the t
      distribution through student_t_z, see macros/stats/student_t.sql).
    - rel_lift_ci_low/high: rel_lift -/+ z * se, z = normal_inv(1 - alpha/2) for
      var('experiment_confidence_level', 0.95), se by the delta method:
      se^2 = var_t / (n_t mean_c^2) + mean_t^2 var_c / (n_c mean_c^4).
    - CUPED: y' = y - theta (x - mean_x) with x the pre-exposure value and theta =
      cov(x, y) / var(x) pooled over all analysed users of the experiment and metric (0 when x
      does not vary); cuped_rel_lift and cuped_p_value are rel_lift and the Welch p on y'.
    - p_value_adjusted: Benjamini-Hochberg over the experiment's primary and secondary
      metrics x treatment variants with a p-value; null on guardrail and control rows.
    - SRM and multi-variant users come from int_experiment_health (same on every row of an
      experiment); is_trustworthy = false marks results nobody should act on.
    Control rows carry null lifts and p-values.
-#}
{%- set confidence = var('experiment_confidence_level', 0.95) | float -%}

with

variants as (

    select
        experiment_key,
        variant,
        is_control
    from {{ ref('experiments') }}

),

assignments as (

    select
        experiment_key,
        metric_key,
        role as metric_role
    from {{ ref('experiment_metric_assignments') }}

),

user_metrics as (

    select * from {{ ref('int_experiment_user_metrics') }}

),

health as (

    select * from {{ ref('int_experiment_health') }}

),

covariate_means as (

    select
        experiment_key,
        metric_key,
        avg(pre_exposure_value) as pre_mean,
        avg(metric_value) as post_mean
    from user_metrics
    group by experiment_key, metric_key

),

cuped_theta as (

    -- two-pass pooled covariance (no covar_samp on Redshift); theta = 0 when x is constant
    select
        user_metrics.experiment_key,
        user_metrics.metric_key,
        covariate_means.pre_mean,
        coalesce(
            sum(
                (user_metrics.pre_exposure_value - covariate_means.pre_mean)
                * (user_metrics.metric_value - covariate_means.post_mean)
            )
            / nullif(sum(
                (user_metrics.pre_exposure_value - covariate_means.pre_mean)
                * (user_metrics.pre_exposure_value - covariate_means.pre_mean)
            ), 0),
            0
        ) as theta
    from user_metrics
    inner join covariate_means
        on
            user_metrics.experiment_key = covariate_means.experiment_key
            and user_metrics.metric_key = covariate_means.metric_key
    group by user_metrics.experiment_key, user_metrics.metric_key, covariate_means.pre_mean

),

adjusted as (

    select
        user_metrics.experiment_key,
        user_metrics.metric_key,
        user_metrics.variant,
        user_metrics.metric_value,
        user_metrics.metric_value
        - cuped_theta.theta * (user_metrics.pre_exposure_value - cuped_theta.pre_mean) as cuped_value
    from user_metrics
    inner join cuped_theta
        on
            user_metrics.experiment_key = cuped_theta.experiment_key
            and user_metrics.metric_key = cuped_theta.metric_key

),

arm_stats as (

    select
        experiment_key,
        metric_key,
        variant,
        count(*) as users,  -- noqa: RF04
        avg(metric_value) as metric_mean,
        var_samp(metric_value) as metric_variance,
        avg(cuped_value) as cuped_mean,
        var_samp(cuped_value) as cuped_variance
    from adjusted
    group by experiment_key, metric_key, variant

),

arms as (

    -- every configured variant of every assigned metric, with or without users
    select
        assignments.experiment_key,
        assignments.metric_key,
        assignments.metric_role,
        variants.variant,
        variants.is_control,
        coalesce(arm_stats.users, 0) as users,  -- noqa: RF04
        cast(arm_stats.metric_mean as double precision) as metric_mean,
        cast(arm_stats.metric_variance as double precision) as metric_variance,
        cast(arm_stats.cuped_mean as double precision) as cuped_mean,
        cast(arm_stats.cuped_variance as double precision) as cuped_variance
    from assignments
    inner join variants
        on assignments.experiment_key = variants.experiment_key
    left join arm_stats
        on
            assignments.experiment_key = arm_stats.experiment_key
            and assignments.metric_key = arm_stats.metric_key
            and variants.variant = arm_stats.variant

),

compared as (

    select
        arms.*,
        control.users as control_users,
        control.metric_mean as control_mean,
        control.metric_variance as control_variance,
        control.cuped_mean as control_cuped_mean,
        control.cuped_variance as control_cuped_variance
    from arms
    left join arms as control
        on
            arms.experiment_key = control.experiment_key
            and arms.metric_key = control.metric_key
            and control.is_control
            and not arms.is_control

),

standard_errors as (

    select
        compared.*,
        compared.metric_variance / nullif(compared.users, 0) as var_mean_t,
        compared.control_variance / nullif(compared.control_users, 0) as var_mean_c,
        compared.cuped_variance / nullif(compared.users, 0) as cuped_var_mean_t,
        compared.control_cuped_variance / nullif(compared.control_users, 0) as cuped_var_mean_c
    from compared

),

test_statistics as (

    select
        standard_errors.*,
        metric_mean - control_mean as abs_lift,
        metric_mean / nullif(control_mean, 0) - 1.0 as rel_lift,
        sqrt(
            var_mean_t / (control_mean * control_mean)
            + metric_mean * metric_mean * var_mean_c / (control_mean * control_mean * control_mean * control_mean)
        ) as rel_lift_se,
        abs(metric_mean - control_mean) / nullif(sqrt(var_mean_t + var_mean_c), 0) as abs_t,
        (var_mean_t + var_mean_c) * (var_mean_t + var_mean_c)
        / nullif(
            var_mean_t * var_mean_t / nullif(users - 1, 0)
            + var_mean_c * var_mean_c / nullif(control_users - 1, 0),
            0
        ) as welch_df,
        cuped_mean / nullif(control_cuped_mean, 0) - 1.0 as cuped_rel_lift,
        abs(cuped_mean - control_cuped_mean) / nullif(sqrt(cuped_var_mean_t + cuped_var_mean_c), 0) as cuped_abs_t,
        (cuped_var_mean_t + cuped_var_mean_c) * (cuped_var_mean_t + cuped_var_mean_c)
        / nullif(
            cuped_var_mean_t * cuped_var_mean_t / nullif(users - 1, 0)
            + cuped_var_mean_c * cuped_var_mean_c / nullif(control_users - 1, 0),
            0
        ) as cuped_welch_df
    from standard_errors

),

normal_deviates as (

    select
        test_statistics.*,
        {{ student_t_z('abs_t', 'welch_df') }} as z_equivalent,
        {{ student_t_z('cuped_abs_t', 'cuped_welch_df') }} as cuped_z_equivalent,
        {{ normal_inv(1.0 - (1.0 - confidence) / 2.0) }} as z_critical
    from test_statistics

),

p_values as (

    select
        normal_deviates.*,
        2.0 * {{ normal_cdf('-z_equivalent') }} as p_value,
        2.0 * {{ normal_cdf('-cuped_z_equivalent') }} as cuped_p_value
    from normal_deviates

),

bh_tests as (

    select
        p_values.*,
        metric_role != 'guardrail' and p_value is not null as is_bh_test
    from p_values

),

bh_ranked as (

    select
        bh_tests.*,
        row_number() over (
            partition by experiment_key, is_bh_test
            order by p_value, metric_key, variant
        ) as bh_rank,
        sum(case when is_bh_test then 1 else 0 end) over (partition by experiment_key) as bh_test_count
    from bh_tests

),

bh_adjusted as (

    -- step-up: adjusted p of rank i = min over ranks j >= i of p_j * m / j
    select
        bh_ranked.*,
        min(p_value * bh_test_count / bh_rank) over (
            partition by experiment_key, is_bh_test
            order by bh_rank desc
            rows between unbounded preceding and current row
        ) as bh_step_up
    from bh_ranked

),

final as (

    select
        bh_adjusted.experiment_key,
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
        case
            when not bh_adjusted.is_bh_test then null
            when bh_adjusted.bh_step_up > 1.0 then 1.0
            else bh_adjusted.bh_step_up
        end as p_value_adjusted,
        bh_adjusted.cuped_rel_lift,
        bh_adjusted.cuped_p_value,
        health.srm_p_value,
        health.multi_variant_users,
        health.multi_variant_share,
        health.has_srm,
        health.is_trustworthy
    from bh_adjusted
    inner join health
        on bh_adjusted.experiment_key = health.experiment_key

)

select * from final
