{#-
    The inputs of every slice comparison: one row per experiment x slice dimension x slice
    value (int_experiment_user_slices) x assigned metric x configured variant, with the
    arm's users, mean and sample variance (n - 1), the same for the CUPED-adjusted values,
    and against the slice's control arm the lifts, the delta-method standard error of the
    relative lift, the Welch t statistic and its df. The formulas are those of
    int_experiment_comparisons (macros/stats/comparison.sql); CUPED's theta is pooled over
    the slice's analysed users (each slice has its own CUPED).

    A table for the reason int_experiment_comparisons is one (PostgreSQL JIT time of the
    nested distribution expressions).
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

sliced_metrics as (

    select
        user_metrics.experiment_key,
        user_slices.dimension,
        user_slices.slice_value,
        user_metrics.metric_key,
        user_metrics.variant,
        user_metrics.metric_value,
        user_metrics.pre_exposure_value,
        user_metrics.denominator_value
    from {{ ref('int_experiment_user_metrics') }} as user_metrics
    inner join user_slices
        on
            user_metrics.experiment_key = user_slices.experiment_key
            and user_metrics.user_id = user_slices.user_id

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

final as (

    select
        experiment_key,
        dimension,
        slice_value,
        metric_key,
        variant,
        metric_role,
        is_control,
        users,  -- noqa: RF04
        metric_mean,
        metric_variance,
        cuped_mean,
        cuped_variance,
        metric_mean - control_mean as abs_lift,
        metric_mean / nullif(control_mean, 0) - 1.0 as rel_lift,
        {{ relative_lift_se('metric_mean', 'var_mean_t', 'control_mean', 'var_mean_c') }} as rel_lift_se,
        {{ welch_abs_t('metric_mean', 'var_mean_t', 'control_mean', 'var_mean_c') }} as abs_t,
        {{ welch_df('var_mean_t', 'users', 'var_mean_c', 'control_users') }} as welch_df,
        cuped_mean / nullif(control_cuped_mean, 0) - 1.0 as cuped_rel_lift,
        {{ welch_abs_t('cuped_mean', 'cuped_var_mean_t', 'control_cuped_mean', 'cuped_var_mean_c') }} as cuped_abs_t,
        {{ welch_df('cuped_var_mean_t', 'users', 'cuped_var_mean_c', 'control_users') }} as cuped_welch_df
    from standard_errors

)

select * from final
