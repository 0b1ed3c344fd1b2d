view: rpt_experiment_slice_results {
  sql_table_name: marts.rpt_experiment_slice_results ;;
  description: "A/B test results per slice, one row per experiment x slice dimension x slice value x assigned metric x configured variant (seeds/experiment_slices.csv: dimension, top_n values plus '(other)', correction). Each slice is analysed on its own by the same SQL as the overall result (int_experiment_read_outs): Welch p-value, delta-method interval of the relative lift, CUPED with the slice's own theta, a sample-ratio-mismatch check of the slice's users, the sequential interval, the Bayesian read-out and the guardrail status. Slices are for finding where an effect is, not for shipping: read p_value_adjusted, and do not act on a slice with has_srm. Control rows carry null lifts and p-values. See docs/experiments.md."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.experiment_key as varchar), '') || '|' || coalesce(cast(${TABLE}.dimension as varchar), '') || '|' || coalesce(cast(${TABLE}.slice_value as varchar), '') || '|' || coalesce(cast(${TABLE}.metric_key as varchar), '') || '|' || coalesce(cast(${TABLE}.variant as varchar), '') ;;
    description: "Compound primary key: experiment_key, dimension, slice_value, metric_key, variant."
  }

  dimension: experiment_key {
    type: string
    sql: ${TABLE}.experiment_key ;;
    description: "Experiment (part of the primary key)."
  }

  dimension: dimension {
    type: string
    sql: ${TABLE}.dimension ;;
    description: "Slice dimension, platform, user_type or a dim_users column (part of the primary key)."
  }

  dimension: slice_value {
    type: string
    sql: ${TABLE}.slice_value ;;
    description: "Slice (part of the primary key): one of the top_n most common values of the dimension, '(other)' for the rest pooled, '(missing)' for users without a value."
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

  dimension: is_control {
    type: yesno
    sql: ${TABLE}.is_control ;;
    description: "True on the control variant's rows."
  }

  dimension: users {
    type: number
    sql: ${TABLE}.users ;;
    description: "Analysed users of the variant in the slice with a complete metric window (0 when none)."
  }

  dimension: metric_mean {
    type: number
    sql: ${TABLE}.metric_mean ;;
    description: "Mean of the user-level metric in the variant and slice."
  }

  dimension: metric_variance {
    type: number
    sql: ${TABLE}.metric_variance ;;
    description: "Sample variance (n - 1) of the user-level metric in the variant and slice."
  }

  dimension: abs_lift {
    type: number
    sql: ${TABLE}.abs_lift ;;
    description: "metric_mean - the slice's control metric_mean; null on control rows."
  }

  dimension: rel_lift {
    type: number
    sql: ${TABLE}.rel_lift ;;
    description: "metric_mean / the slice's control metric_mean - 1; null on control rows or when the control mean is 0."
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
    description: "Welch-Satterthwaite degrees of freedom of the comparison with the slice's control."
  }

  dimension: p_value {
    type: number
    sql: ${TABLE}.p_value ;;
    description: "Two-sided Welch t-test p-value of the difference in means with the slice's control."
  }

  dimension: correction {
    type: string
    sql: ${TABLE}.correction ;;
    description: "metrics, slices or metrics_and_slices, the Benjamini-Hochberg family of p_value_adjusted (seeds/experiment_slices.csv)."
  }

  dimension: p_value_adjusted {
    type: number
    sql: ${TABLE}.p_value_adjusted ;;
    description: "Benjamini-Hochberg adjusted p_value over the primary and secondary metrics x treatment variants of the family correction names: the slice (metrics), the metric across the dimension's slices (slices) or the whole dimension (metrics_and_slices); null on guardrail and control rows."
  }

  dimension: cuped_rel_lift {
    type: number
    sql: ${TABLE}.cuped_rel_lift ;;
    description: "Relative lift of the CUPED-adjusted means, theta pooled over the slice's users."
  }

  dimension: cuped_p_value {
    type: number
    sql: ${TABLE}.cuped_p_value ;;
    description: "Two-sided Welch p-value of the CUPED-adjusted values in the slice."
  }

  dimension: slice_users {
    type: number
    sql: ${TABLE}.slice_users ;;
    description: "Analysed (single-variant) users of the slice, all variants, whether or not their metric window is complete (the SRM population)."
  }

  dimension: srm_p_value {
    type: number
    sql: ${TABLE}.srm_p_value ;;
    description: "Sample-ratio-mismatch chi-square p-value of the slice's users per variant against the configured weights."
  }

  dimension: has_srm {
    type: yesno
    sql: ${TABLE}.has_srm ;;
    description: "True when srm_p_value < var('experiment_srm_alpha'); do not read the slice."
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
    description: "On guardrail treatment rows: ok (the slice's interval selected by interval_method rules out a deterioration beyond the margin), breached (the variant is significantly worse in the slice and its estimated deterioration exceeds the margin) or inconclusive; null elsewhere. A hint where a guardrail breaks, not a verdict (no correction for the many slices)."
  }

  dimension: guardrail_breached {
    type: yesno
    sql: ${TABLE}.guardrail_breached ;;
    description: "True when guardrail_status = breached; false elsewhere."
  }

  dimension: interval_method {
    type: string
    sql: ${TABLE}.interval_method ;;
    description: "Which interval the experiment is read with (seeds/experiment_settings.csv): fixed_horizon (rel_lift_ci_*) or sequential (sequential_ci_*); the guardrail status uses it."
  }

  dimension: sequential_ci_low {
    type: number
    sql: ${TABLE}.sequential_ci_low ;;
    description: "Lower bound of the always-valid confidence sequence of the slice's rel_lift (N = the slice's users of the arm and control)."
  }

  dimension: sequential_ci_high {
    type: number
    sql: ${TABLE}.sequential_ci_high ;;
    description: "Upper bound of the always-valid confidence sequence of the slice's rel_lift."
  }

  dimension: sequential_p_value {
    type: number
    sql: ${TABLE}.sequential_p_value ;;
    description: "Always-valid p-value of no lift in the slice, min(1, 1 / e-value); not adjusted for multiple tests."
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
    description: "Posterior mean of the slice's relative lift (normal approximation; = rel_lift under the flat prior)."
  }

  dimension: chance_to_win {
    type: number
    sql: ${TABLE}.chance_to_win ;;
    description: "Posterior probability that the variant's mean is above control's in the slice (P(lift > 0)); for a metric where lower is better, 1 - it."
  }

  dimension: risk_control {
    type: number
    sql: ${TABLE}.risk_control ;;
    description: "Expected loss of keeping control in the slice, E[max(lift, 0)], as a relative lift."
  }

  dimension: risk_treatment {
    type: number
    sql: ${TABLE}.risk_treatment ;;
    description: "Expected loss of shipping the variant in the slice, E[max(-lift, 0)], as a relative lift."
  }

  dimension: credible_low {
    type: number
    sql: ${TABLE}.credible_low ;;
    description: "Lower bound of the credible interval (default 95%) of the slice's relative lift."
  }

  dimension: credible_high {
    type: number
    sql: ${TABLE}.credible_high ;;
    description: "Upper bound of the credible interval (default 95%) of the slice's relative lift."
  }

  measure: count {
    type: count
    description: "Rows of rpt_experiment_slice_results."
  }
}
