{#-
    Every read-out of every comparison, at slice grain: one row per experiment x slice
    (dimension x slice_value; the overall result is dimension = 'all', slice_value = 'all')
    x assigned metric x configured variant. rpt_experiment_results selects the overall rows,
    rpt_experiment_slice_results the others; both are computed here by the same SQL from
    int_experiment_comparisons (arm statistics, lifts, t and df, posterior and sequential
    inputs) and int_experiment_slice_health (the slice's SRM):

    - abs_lift = mean_t - mean_c; rel_lift = mean_t / mean_c - 1.
    - p_value: two-sided Welch t-test of the means (Welch-Satterthwaite df; the t
      distribution through student_t_z, see macros/stats/student_t.sql).
    - rel_lift_ci_low/high: rel_lift -/+ z * se, z = normal_inv(1 - alpha/2) for
      var('experiment_confidence_level'), se by the delta method:
      se^2 = var_t / (n_t mean_c^2) + mean_t^2 var_c / (n_c mean_c^4).
    - CUPED (theta pooled over the slice's users): cuped_rel_lift and cuped_p_value are
      rel_lift and the Welch p on y' = y - theta (x - mean_x).
    - p_value_adjusted: Benjamini-Hochberg over primary and secondary metrics x treatment
      variants with a p-value, the family chosen by the slice's correction
      (seeds/experiment_slices.csv): metrics (each slice apart; the overall slice is read
      this way, i.e. over the experiment's metrics x variants), slices (each metric apart,
      over the dimension's slices) or metrics_and_slices (all of the dimension's tests at
      once). Null on guardrail and control rows.
    - Sequential (always-valid) interval: sequential_ci_low/high = rel_lift -/+ the confidence
      sequence half-width, sequential_p_value = min(1, 1 / e-value) (int_experiment_comparisons);
      interval_method says which interval the experiment is read with (seeds/experiment_settings.csv).
    - Bayesian read-out on the relative lift, posterior N(mu, s^2) (flat or normal prior):
      chance_to_win = P(lift > 0) = Phi(mu / s); risk_control = E[max(lift, 0)] =
      mu Phi(mu/s) + s phi(mu/s) (expected loss of keeping control), risk_treatment =
      E[max(-lift, 0)] = s phi(mu/s) - mu Phi(-mu/s) (expected loss of shipping the treatment);
      credible_low/high = mu -/+ z s.
    - Guardrails (metric_role = guardrail), with the interval interval_method selects and the
      metric's direction and non_inferiority_margin (seeds/experiment_metrics.csv), as a
      deterioration d (= -rel_lift for an increase metric, rel_lift for a decrease one):
      ok = the interval's worst d <= margin (non-inferiority shown); breached = the interval
      excludes 0 on the worse side and the estimated d > margin; else inconclusive (the
      guardrail_status macro, shared with rpt_experiment_quantile_results).
    - SRM of the slice's users (int_experiment_slice_health).
    Control rows carry null lifts and p-values.

    A table, as the other intermediate steps (docs/experiments.md, Performance): computed
    once for both marts, which only select from it.
-#}
{{ config(materialized='table') }}
{%- set confidence = var('experiment_confidence_level') | float -%}

with

comparisons as (

    select * from {{ ref('int_experiment_comparisons') }}

),

slice_health as (

    select * from {{ ref('int_experiment_slice_health') }}

),

slice_settings as (

    select
        experiment_key,
        dimension,
        correction
    from {{ ref('experiment_slices') }}

),

normal_deviates as (

    select
        comparisons.*,
        -- the overall slice has no seed row: its family is the experiment's metrics x variants
        coalesce(slice_settings.correction, 'metrics') as correction,
        {{ student_t_z('comparisons.abs_t', 'comparisons.welch_df') }} as z_equivalent,
        {{ student_t_z('comparisons.cuped_abs_t', 'comparisons.cuped_welch_df') }} as cuped_z_equivalent,
        {{ normal_inv(1.0 - (1.0 - confidence) / 2.0) }} as z_critical,
        {{ normal_cdf('comparisons.posterior_z') }} as prob_positive,
        {{ normal_cdf('-comparisons.posterior_z') }} as prob_negative,
        case
            when abs(comparisons.posterior_z) > 37 then 0.0
            else exp(-comparisons.posterior_z * comparisons.posterior_z / 2.0) / 2.5066282746310002
        end as posterior_density
    from comparisons
    left join slice_settings
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

chosen_intervals as (

    select
        bh_adjusted.*,
        case
            when interval_method = 'sequential' then rel_lift - sequential_half_width
            else rel_lift - z_critical * rel_lift_se
        end as chosen_ci_low,
        case
            when interval_method = 'sequential' then rel_lift + sequential_half_width
            else rel_lift + z_critical * rel_lift_se
        end as chosen_ci_high
    from bh_adjusted

),

guardrails as (

    select
        chosen_intervals.*,
        case
            when metric_role = 'guardrail' then {{ guardrail_status(
                'rel_lift', 'chosen_ci_low', 'chosen_ci_high', 'metric_direction', 'non_inferiority_margin'
            ) }}
        end as guardrail_status
    from chosen_intervals

),

final as (

    select
        guardrails.experiment_key,
        guardrails.dimension,
        guardrails.slice_value,
        guardrails.metric_key,
        guardrails.variant,
        guardrails.metric_role,
        guardrails.metric_direction,
        guardrails.non_inferiority_margin,
        guardrails.guardrail_status,
        coalesce(guardrails.guardrail_status = 'breached', false) as guardrail_breached,
        guardrails.is_control,
        guardrails.users,
        guardrails.metric_mean,
        guardrails.metric_variance,
        guardrails.abs_lift,
        guardrails.rel_lift,
        guardrails.rel_lift - guardrails.z_critical * guardrails.rel_lift_se as rel_lift_ci_low,
        guardrails.rel_lift + guardrails.z_critical * guardrails.rel_lift_se as rel_lift_ci_high,
        guardrails.welch_df,
        guardrails.p_value,
        guardrails.correction,
        case
            when not guardrails.is_bh_test then null
            when guardrails.bh_step_up > 1.0 then 1.0
            else guardrails.bh_step_up
        end as p_value_adjusted,
        guardrails.cuped_rel_lift,
        guardrails.cuped_p_value,
        guardrails.cuped_variance,
        guardrails.interval_method,
        guardrails.rel_lift - guardrails.sequential_half_width as sequential_ci_low,
        guardrails.rel_lift + guardrails.sequential_half_width as sequential_ci_high,
        case
            when guardrails.sequential_log_evalue is null then null
            when guardrails.sequential_log_evalue <= 0 then 1.0
            when guardrails.sequential_log_evalue > 700 then 0.0
            else exp(-guardrails.sequential_log_evalue)
        end as sequential_p_value,
        guardrails.prior_lift_mean,
        guardrails.prior_lift_sd,
        guardrails.posterior_lift_mean,
        guardrails.prob_positive as chance_to_win,
        guardrails.posterior_lift_mean * guardrails.prob_positive
        + guardrails.posterior_lift_sd * guardrails.posterior_density as risk_control,
        guardrails.posterior_lift_sd * guardrails.posterior_density
        - guardrails.posterior_lift_mean * guardrails.prob_negative as risk_treatment,
        guardrails.posterior_lift_mean - guardrails.z_critical * guardrails.posterior_lift_sd as credible_low,
        guardrails.posterior_lift_mean + guardrails.z_critical * guardrails.posterior_lift_sd as credible_high,
        slice_health.slice_users,
        slice_health.srm_p_value,
        slice_health.has_srm
    from guardrails
    inner join slice_health
        on
            guardrails.experiment_key = slice_health.experiment_key
            and guardrails.dimension = slice_health.dimension
            and guardrails.slice_value = slice_health.slice_value

)

select * from final
