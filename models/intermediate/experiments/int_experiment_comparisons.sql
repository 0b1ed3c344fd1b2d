{#-
    The inputs of every experiment comparison, at slice grain: one row per experiment x slice
    (dimension x slice_value, int_experiment_slice_health; the overall result is the slice
    dimension = 'all', slice_value = 'all' of every analysed user) x assigned metric x
    configured variant, with the arm's users, mean and sample variance (n - 1), the same for
    the CUPED-adjusted values, and against the slice's control arm the lifts, the
    delta-method standard error of the relative lift, the Welch t statistic and its
    Welch-Satterthwaite df. The overall rows and the slices' are computed by the same SQL.

    CUPED: y' = y - theta (x - mean_x) with x the pre-exposure value and theta =
    cov(x, y) / var(x) pooled over the slice's analysed users of the experiment and metric
    (each slice has its own CUPED; 0 when x does not vary).

    A table so that int_experiment_read_outs applies the distribution macros to plain
    columns: inlined into one query, the nested expressions grow multiplicatively, and
    PostgreSQL spent 25 s JIT-compiling them at 10k users (0.2 s without).

    Also the inputs of the Bayesian read-out and the sequential interval (seeds/
    experiment_settings.csv; no row = fixed_horizon, flat prior), all on the relative lift
    with its delta-method variance V = rel_lift_se^2, as gbstats (GrowthBook) computes them:
    - posterior of the lift: flat prior -> N(rel_lift, V); normal prior N(m0, s0^2) ->
      precision 1/V + 1/s0^2, mean (rel_lift/V + m0/s0^2) / precision.
    - sequential: N = users + control users, rho^2 = (-2 ln a + ln(1 - 2 ln a)) / tuning,
      half-width = rel_lift_se * sqrt(2 (N rho^2 + 1) ln(sqrt(N rho^2 + 1) / a) / (N rho^2))
      (Waudby-Smith et al. 2023, eq. 9); log e-value = rho^2 N (rel_lift/se)^2 / (2 (N rho^2
      + 1)) - ln(N rho^2 + 1) / 2, p = min(1, 1 / e-value) (macros/stats/sequential.sql, shared
      with rpt_experiment_daily_results).
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

settings as (

    select
        experiment_key,
        interval_method,
        cast(prior_lift_mean as double precision) as prior_lift_mean,
        cast(prior_lift_sd as double precision) as prior_lift_sd
    from {{ ref('experiment_settings') }}

),

assignments as (

    select
        assignments.experiment_key,
        assignments.metric_key,
        assignments.role as metric_role,
        coalesce(metrics.direction, 'increase') as metric_direction,
        coalesce(cast(metrics.non_inferiority_margin as double precision), 0.0) as non_inferiority_margin
    from {{ ref('experiment_metric_assignments') }} as assignments
    inner join {{ ref('experiment_metrics') }} as metrics
        on assignments.metric_key = metrics.metric_key

),

slices as (

    select
        experiment_key,
        dimension,
        slice_value
    from {{ ref('int_experiment_slice_health') }}

),

members as (

    select * from {{ ref('int_experiment_slice_members') }}

),

user_metrics as (

    select * from {{ ref('int_experiment_user_metrics') }}

),

sliced_metrics as (

    select
        members.experiment_key,
        members.dimension,
        members.slice_value,
        user_metrics.metric_key,
        user_metrics.variant,
        user_metrics.metric_value,
        user_metrics.pre_exposure_value,
        user_metrics.denominator_value
    from user_metrics
    inner join members
        on
            user_metrics.experiment_key = members.experiment_key
            and user_metrics.user_id = members.user_id

),

arm_stats as (

    {{ experiment_arm_stats('sliced_metrics', ['experiment_key', 'dimension', 'slice_value', 'metric_key']) }}

),

arms as (

    -- every configured variant of every assigned metric in every slice, with or without users
    select
        slices.experiment_key,
        slices.dimension,
        slices.slice_value,
        assignments.metric_key,
        assignments.metric_role,
        assignments.metric_direction,
        assignments.non_inferiority_margin,
        variants.variant,
        variants.is_control,
        coalesce(arm_stats.users, 0) as users,  -- noqa: RF04
        cast(arm_stats.metric_mean as double precision) as metric_mean,
        cast(arm_stats.metric_variance as double precision) as metric_variance,
        cast(arm_stats.cuped_mean as double precision) as cuped_mean,
        cast(arm_stats.cuped_variance as double precision) as cuped_variance
    from slices
    inner join assignments
        on slices.experiment_key = assignments.experiment_key
    inner join variants
        on slices.experiment_key = variants.experiment_key
    left join arm_stats
        on
            slices.experiment_key = arm_stats.experiment_key
            and slices.dimension = arm_stats.dimension
            and slices.slice_value = arm_stats.slice_value
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
            and arms.dimension = control.dimension
            and arms.slice_value = control.slice_value
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
        {{ relative_lift_se('metric_mean', 'var_mean_t', 'control_mean', 'var_mean_c') }} as rel_lift_se,
        {{ welch_abs_t('metric_mean', 'var_mean_t', 'control_mean', 'var_mean_c') }} as abs_t,
        {{ welch_df('var_mean_t', 'users', 'var_mean_c', 'control_users') }} as welch_df,
        cuped_mean / nullif(control_cuped_mean, 0) - 1.0 as cuped_rel_lift,
        {{ welch_abs_t('cuped_mean', 'cuped_var_mean_t', 'control_cuped_mean', 'cuped_var_mean_c') }} as cuped_abs_t,
        {{ welch_df('cuped_var_mean_t', 'users', 'cuped_var_mean_c', 'control_users') }} as cuped_welch_df
    from standard_errors

),

read_out_inputs as (

    select
        test_statistics.*,
        coalesce(settings.interval_method, 'fixed_horizon') as interval_method,
        settings.prior_lift_mean,
        settings.prior_lift_sd,
        1.0 / nullif(test_statistics.rel_lift_se * test_statistics.rel_lift_se, 0)
        + coalesce(1.0 / nullif(settings.prior_lift_sd * settings.prior_lift_sd, 0), 0) as posterior_precision,
        {{ sequential_n_rho2('test_statistics.users + test_statistics.control_users') }} as n_rho2
    from test_statistics
    left join settings
        on test_statistics.experiment_key = settings.experiment_key

),

read_outs as (

    select
        read_out_inputs.*,
        case
            when prior_lift_sd is null then rel_lift
            else (
                rel_lift / nullif(rel_lift_se * rel_lift_se, 0)
                + prior_lift_mean / nullif(prior_lift_sd * prior_lift_sd, 0)
            ) / nullif(posterior_precision, 0)
        end as posterior_lift_mean,
        sqrt(1.0 / nullif(posterior_precision, 0)) as posterior_lift_sd,
        {{ sequential_half_width('rel_lift_se', 'n_rho2') }} as sequential_half_width,
        {{ sequential_log_evalue('rel_lift', 'rel_lift_se', 'n_rho2') }} as sequential_log_evalue
    from read_out_inputs

),

final as (

    select
        experiment_key,
        dimension,
        slice_value,
        metric_key,
        variant,
        metric_role,
        metric_direction,
        non_inferiority_margin,
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
        cuped_welch_df,
        interval_method,
        prior_lift_mean,
        prior_lift_sd,
        posterior_lift_mean,
        posterior_lift_sd,
        posterior_lift_mean / nullif(posterior_lift_sd, 0) as posterior_z,
        sequential_half_width,
        sequential_log_evalue
    from read_outs

)

select * from final
