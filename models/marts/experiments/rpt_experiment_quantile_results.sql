{#-
    Quantiles of an experiment metric per arm: one row per experiment x metric x quantile
    (seeds/experiment_quantiles.csv) x configured variant, from the users' values in
    int_experiment_user_metrics.

    - quantile_value: the order statistic x_(k), k = ceil(n q) (the inverted-CDF quantile).
    - quantile_ci_low/high: distribution-free interval [x_(l), x_(u)] with
      l = floor(n q - z sqrt(n q (1 - q))), u = ceil(n q + z sqrt(n q (1 - q))), z for
      var('experiment_confidence_level'): the number of values below the true quantile is
      binomial(n, q), so the interval covers it with the (normal-approximated) confidence,
      whatever the distribution. Null when l < 1 or u > n (too few users for the level).
    - rel_lift = q_t / q_c - 1 and its interval by the outer approach: each arm's interval at
      confidence 1 - alpha/2 (Bonferroni, so both hold together with >= 1 - alpha), then
      [low_t / high_c - 1, high_t / low_c - 1]. Conservative; null unless the control's
      bounds are positive.
    - Guardrail quantiles (is_guardrail in the seed): guardrail_status / guardrail_breached on
      their treatment rows, by the rule of the mean guardrails (the guardrail_status macro) on
      rel_lift and this outer interval, with the metric's direction and non_inferiority_margin
      (seeds/experiment_metrics.csv); null / false on control rows and other quantiles.
-#}
{%- set alpha = 1.0 - (var('experiment_confidence_level') | float) -%}

with

quantile_settings as (

    select
        experiment_key,
        metric_key,
        cast(quantile_level as double precision) as quantile_level,
        is_guardrail
    from {{ ref('experiment_quantiles') }}

),

metrics as (

    select
        metric_key,
        coalesce(direction, 'increase') as metric_direction,
        coalesce(cast(non_inferiority_margin as double precision), 0.0) as non_inferiority_margin
    from {{ ref('experiment_metrics') }}

),

variants as (

    select
        experiment_key,
        variant,
        is_control
    from {{ ref('experiments') }}

),

user_values as (

    select
        user_metrics.experiment_key,
        user_metrics.metric_key,
        quantile_settings.quantile_level,
        user_metrics.variant,
        user_metrics.metric_value,
        row_number() over (
            partition by
                user_metrics.experiment_key, user_metrics.metric_key,
                quantile_settings.quantile_level, user_metrics.variant
            order by user_metrics.metric_value
        ) as value_rank,
        count(*) over (
            partition by
                user_metrics.experiment_key, user_metrics.metric_key,
                quantile_settings.quantile_level, user_metrics.variant
        ) as users  -- noqa: RF04
    from {{ ref('int_experiment_user_metrics') }} as user_metrics
    inner join quantile_settings
        on
            user_metrics.experiment_key = quantile_settings.experiment_key
            and user_metrics.metric_key = quantile_settings.metric_key

),

rank_spreads as (

    select distinct
        experiment_key,
        metric_key,
        quantile_level,
        variant,
        users,  -- noqa: RF04
        users * quantile_level as expected_rank,
        sqrt(users * quantile_level * (1.0 - quantile_level)) as rank_sd
    from user_values

),

ranks as (

    select
        experiment_key,
        metric_key,
        quantile_level,
        variant,
        users,  -- noqa: RF04
        ceil(expected_rank) as estimate_rank,
        floor(expected_rank - {{ normal_inv(1.0 - alpha / 2.0) }} * rank_sd) as low_rank,
        ceil(expected_rank + {{ normal_inv(1.0 - alpha / 2.0) }} * rank_sd) as high_rank,
        floor(expected_rank - {{ normal_inv(1.0 - alpha / 4.0) }} * rank_sd) as outer_low_rank,
        ceil(expected_rank + {{ normal_inv(1.0 - alpha / 4.0) }} * rank_sd) as outer_high_rank
    from rank_spreads

),

arm_quantiles as (

    select
        ranks.experiment_key,
        ranks.metric_key,
        ranks.quantile_level,
        ranks.variant,
        ranks.users,
        max(case when user_values.value_rank = ranks.estimate_rank then user_values.metric_value end)
            as quantile_value,
        max(case when user_values.value_rank = ranks.low_rank then user_values.metric_value end)
            as quantile_ci_low,
        max(case when user_values.value_rank = ranks.high_rank then user_values.metric_value end)
            as quantile_ci_high,
        max(case when user_values.value_rank = ranks.outer_low_rank then user_values.metric_value end)
            as outer_low,
        max(case when user_values.value_rank = ranks.outer_high_rank then user_values.metric_value end)
            as outer_high
    from ranks
    inner join user_values
        on
            ranks.experiment_key = user_values.experiment_key
            and ranks.metric_key = user_values.metric_key
            and ranks.quantile_level = user_values.quantile_level
            and ranks.variant = user_values.variant
    group by ranks.experiment_key, ranks.metric_key, ranks.quantile_level, ranks.variant, ranks.users

),

arms as (

    -- every configured variant, with or without users
    select
        quantile_settings.experiment_key,
        quantile_settings.metric_key,
        quantile_settings.quantile_level,
        quantile_settings.is_guardrail,
        metrics.metric_direction,
        metrics.non_inferiority_margin,
        variants.variant,
        variants.is_control,
        coalesce(arm_quantiles.users, 0) as users,  -- noqa: RF04
        arm_quantiles.quantile_value,
        arm_quantiles.quantile_ci_low,
        arm_quantiles.quantile_ci_high,
        arm_quantiles.outer_low,
        arm_quantiles.outer_high
    from quantile_settings
    inner join variants
        on quantile_settings.experiment_key = variants.experiment_key
    inner join metrics
        on quantile_settings.metric_key = metrics.metric_key
    left join arm_quantiles
        on
            quantile_settings.experiment_key = arm_quantiles.experiment_key
            and quantile_settings.metric_key = arm_quantiles.metric_key
            and quantile_settings.quantile_level = arm_quantiles.quantile_level
            and variants.variant = arm_quantiles.variant

),

lifts as (

    select
        arms.experiment_key,
        arms.metric_key,
        arms.quantile_level,
        arms.variant,
        arms.is_control,
        arms.is_guardrail,
        arms.metric_direction,
        arms.non_inferiority_margin,
        arms.users,
        arms.quantile_value,
        arms.quantile_ci_low,
        arms.quantile_ci_high,
        arms.quantile_value / nullif(control.quantile_value, 0) - 1.0 as rel_lift,
        case
            when control.outer_high > 0 then arms.outer_low / control.outer_high - 1.0
        end as rel_lift_ci_low,
        case
            when control.outer_low > 0 then arms.outer_high / control.outer_low - 1.0
        end as rel_lift_ci_high
    from arms
    left join arms as control
        on
            arms.experiment_key = control.experiment_key
            and arms.metric_key = control.metric_key
            and arms.quantile_level = control.quantile_level
            and control.is_control
            and not arms.is_control

),

guardrails as (

    select
        lifts.*,
        case
            when is_guardrail and not is_control then {{ guardrail_status(
                'rel_lift', 'rel_lift_ci_low', 'rel_lift_ci_high', 'metric_direction', 'non_inferiority_margin'
            ) }}
        end as guardrail_status
    from lifts

),

final as (

    select
        experiment_key,
        metric_key,
        quantile_level,
        variant,
        is_control,
        is_guardrail,
        metric_direction,
        non_inferiority_margin,
        guardrail_status,
        coalesce(guardrail_status = 'breached', false) as guardrail_breached,
        users,
        quantile_value,
        quantile_ci_low,
        quantile_ci_high,
        rel_lift,
        rel_lift_ci_low,
        rel_lift_ci_high
    from guardrails

)

select * from final
