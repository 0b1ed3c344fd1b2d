{#-
    The inputs of every experiment comparison: one row per experiment x assigned metric x
    configured variant with the arm's users, mean and sample variance (n - 1), the same for
    the CUPED-adjusted values, and against the control arm the lifts, the delta-method standard
    error of the relative lift, the Welch t statistic and its Welch-Satterthwaite df.

    CUPED: y' = y - theta (x - mean_x) with x the pre-exposure value and theta =
    cov(x, y) / var(x) pooled over all analysed users of the experiment and metric (0 when x
    does not vary).

    A table so that rpt_experiment_results applies the distribution macros to plain columns:
    inlined into one query, the nested expressions grow multiplicatively, and PostgreSQL
    spent 25 s JIT-compiling them at 10k users (0.2 s without).
-#}
{{ config(materialized='table') }}

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
        -- no relative lift against a control mean of 0 (PostgreSQL raises on / 0)
        sqrt(
            var_mean_t / nullif(control_mean * control_mean, 0)
            + metric_mean * metric_mean * var_mean_c
            / nullif(control_mean * control_mean * control_mean * control_mean, 0)
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

final as (

    select
        experiment_key,
        metric_key,
        variant,
        metric_role,
        is_control,
        users,  -- noqa: RF04
        metric_mean,
        metric_variance,
        cuped_mean,
        cuped_variance,
        abs_lift,
        rel_lift,
        rel_lift_se,
        abs_t,
        welch_df,
        cuped_rel_lift,
        cuped_abs_t,
        cuped_welch_df
    from test_statistics

)

select * from final
