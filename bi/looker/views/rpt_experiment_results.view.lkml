view: rpt_experiment_results {
  sql_table_name: marts.rpt_experiment_results ;;
  description: "A/B test results, one row per experiment x assigned metric x configured variant, computed in the warehouse (see docs/experiments.md for the statistics and their accuracy): the overall slice (every analysed user) of int_experiment_read_outs, computed by the same SQL as every slice of rpt_experiment_slice_results. Control rows carry null lifts and p-values. Rows of an experiment with is_trustworthy = false (sample ratio mismatch or > 1% multi-variant users) must not be acted on. Vars: experiment_confidence_level (default 0.95), experiment_cuped_pre_days (14), experiment_srm_alpha (0.001), experiment_max_multi_variant_share (0.01)."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.experiment_key as varchar), '') || '|' || coalesce(cast(${TABLE}.metric_key as varchar), '') || '|' || coalesce(cast(${TABLE}.variant as varchar), '') ;;
    description: "Compound primary key: experiment_key, metric_key, variant."
  }

  dimension: experiment_key {
    type: string
    sql: ${TABLE}.experiment_key ;;
    description: "Experiment (part of the primary key)."
  }

  dimension: metric_key {
    type: string
    sql: ${TABLE}.metric_key ;;
    description: "Metric (part of the primary key)."
  }

  dimension: variant {
    type: string
    sql: ${TABLE}.variant ;;
    description: "Variant (part of the primary key)."
  }

  dimension: metric_role {
    type: string
    sql: ${TABLE}.metric_role ;;
    description: "primary, secondary or guardrail (seeds/experiment_metric_assignments.csv)."
  }

  dimension: metric_direction {
    type: string
    sql: ${TABLE}.metric_direction ;;
    description: "increase or decrease, the metric's good direction (seeds/experiment_metrics.csv)."
  }

  dimension: non_inferiority_margin {
    type: number
    sql: ${TABLE}.non_inferiority_margin ;;
    description: "Largest accepted deterioration of the metric as a guardrail, relative (0.02 = 2%)."
  }

  dimension: guardrail_status {
    type: string
    sql: ${TABLE}.guardrail_status ;;
    description: "On guardrail treatment rows: ok (the interval selected by interval_method rules out a deterioration beyond the margin), breached (the variant is significantly worse and its estimated deterioration exceeds the margin) or inconclusive; null elsewhere."
  }

  dimension: guardrail_breached {
    type: yesno
    sql: ${TABLE}.guardrail_breached ;;
    description: "True when guardrail_status = breached (stop or fix the variant); false elsewhere."
  }

  dimension: is_control {
    type: yesno
    sql: ${TABLE}.is_control ;;
    description: "True on the control variant's rows."
  }

  dimension: users {
    type: number
    sql: ${TABLE}.users ;;
    description: "Analysed users of the variant with a complete metric window (0 when none)."
  }

  dimension: metric_mean {
    type: number
    sql: ${TABLE}.metric_mean ;;
    description: "Mean of the user-level metric in the variant."
  }

  dimension: metric_variance {
    type: number
    sql: ${TABLE}.metric_variance ;;
    description: "Sample variance (n - 1) of the user-level metric in the variant."
  }

  dimension: abs_lift {
    type: number
    sql: ${TABLE}.abs_lift ;;
    description: "metric_mean - control metric_mean; null on control rows."
  }

  dimension: rel_lift {
    type: number
    sql: ${TABLE}.rel_lift ;;
    description: "metric_mean / control metric_mean - 1; null on control rows or when the control mean is 0."
  }

  dimension: rel_lift_ci_low {
    type: number
    sql: ${TABLE}.rel_lift_ci_low ;;
    description: "Lower bound of the confidence interval (default 95%) of rel_lift, delta method, normal quantile."
  }

  dimension: rel_lift_ci_high {
    type: number
    sql: ${TABLE}.rel_lift_ci_high ;;
    description: "Upper bound of the confidence interval (default 95%) of rel_lift, delta method, normal quantile."
  }

  dimension: welch_df {
    type: number
    sql: ${TABLE}.welch_df ;;
    description: "Welch-Satterthwaite degrees of freedom of the comparison with control."
  }

  dimension: p_value {
    type: number
    sql: ${TABLE}.p_value ;;
    description: "Two-sided Welch t-test p-value of the difference in means with control."
  }

  dimension: p_value_adjusted {
    type: number
    sql: ${TABLE}.p_value_adjusted ;;
    description: "Benjamini-Hochberg adjusted p_value over the experiment's primary and secondary metrics x treatment variants; null on guardrail and control rows."
  }

  dimension: cuped_rel_lift {
    type: number
    sql: ${TABLE}.cuped_rel_lift ;;
    description: "Relative lift of the CUPED-adjusted means (covariate = the metric before exposure)."
  }

  dimension: cuped_p_value {
    type: number
    sql: ${TABLE}.cuped_p_value ;;
    description: "Two-sided Welch p-value of the CUPED-adjusted values."
  }

  dimension: cuped_variance {
    type: number
    sql: ${TABLE}.cuped_variance ;;
    description: "Sample variance of the CUPED-adjusted metric in the variant (null for ratio metrics); cuped_variance / metric_variance is the share of the variance left after CUPED (what `pulse experiment plan` uses)."
  }

  dimension: interval_method {
    type: string
    sql: ${TABLE}.interval_method ;;
    description: "Which interval the experiment is read with (seeds/experiment_settings.csv): fixed_horizon (rel_lift_ci_*, valid for one look at the planned end) or sequential (sequential_ci_*, valid however often it is looked at)."
  }

  dimension: sequential_ci_low {
    type: number
    sql: ${TABLE}.sequential_ci_low ;;
    description: "Lower bound of the always-valid confidence sequence of rel_lift (Waudby-Smith et al. asymptotic CS, as GrowthBook)."
  }

  dimension: sequential_ci_high {
    type: number
    sql: ${TABLE}.sequential_ci_high ;;
    description: "Upper bound of the always-valid confidence sequence of rel_lift."
  }

  dimension: sequential_p_value {
    type: number
    sql: ${TABLE}.sequential_p_value ;;
    description: "Always-valid p-value of no lift, min(1, 1 / e-value); below 1 - confidence exactly when the sequence excludes 0."
  }

  dimension: prior_lift_mean {
    type: number
    sql: ${TABLE}.prior_lift_mean ;;
    description: "Mean of the normal prior on the relative lift (seeds/experiment_settings.csv); null = flat prior."
  }

  dimension: prior_lift_sd {
    type: number
    sql: ${TABLE}.prior_lift_sd ;;
    description: "Standard deviation of the normal prior on the relative lift; null = flat prior."
  }

  dimension: posterior_lift_mean {
    type: number
    sql: ${TABLE}.posterior_lift_mean ;;
    description: "Posterior mean of the relative lift (normal approximation; = rel_lift under the flat prior)."
  }

  dimension: chance_to_win {
    type: number
    sql: ${TABLE}.chance_to_win ;;
    description: "Posterior probability that the variant's mean is above control's (P(lift > 0)); for a metric where lower is better, 1 - it."
  }

  dimension: risk_control {
    type: number
    sql: ${TABLE}.risk_control ;;
    description: "Expected loss of keeping control, E[max(lift, 0)], as a relative lift (0.01 = 1% of the control mean)."
  }

  dimension: risk_treatment {
    type: number
    sql: ${TABLE}.risk_treatment ;;
    description: "Expected loss of shipping the variant, E[max(-lift, 0)], as a relative lift."
  }

  dimension: credible_low {
    type: number
    sql: ${TABLE}.credible_low ;;
    description: "Lower bound of the credible interval (default 95%) of the relative lift."
  }

  dimension: credible_high {
    type: number
    sql: ${TABLE}.credible_high ;;
    description: "Upper bound of the credible interval (default 95%) of the relative lift."
  }

  dimension: srm_p_value {
    type: number
    sql: ${TABLE}.srm_p_value ;;
    description: "Sample-ratio-mismatch chi-square p-value of the experiment (same on all its rows)."
  }

  dimension: multi_variant_users {
    type: number
    sql: ${TABLE}.multi_variant_users ;;
    description: "Users of the experiment exposed to more than one variant, excluded (same on all its rows)."
  }

  dimension: multi_variant_share {
    type: number
    sql: ${TABLE}.multi_variant_share ;;
    description: "multi_variant_users / exposed users of the experiment."
  }

  dimension: has_srm {
    type: yesno
    sql: ${TABLE}.has_srm ;;
    description: "True when srm_p_value < var('experiment_srm_alpha')."
  }

  dimension: is_trustworthy {
    type: yesno
    sql: ${TABLE}.is_trustworthy ;;
    description: "False when the experiment has an SRM or more than 1% multi-variant users; do not act on it."
  }

  measure: count {
    type: count
    description: "Rows of rpt_experiment_results."
  }
}
