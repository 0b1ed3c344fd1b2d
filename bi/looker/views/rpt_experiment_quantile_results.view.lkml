view: rpt_experiment_quantile_results {
  sql_table_name: marts.rpt_experiment_quantile_results ;;
  description: "Quantiles of experiment metrics per arm (seeds/experiment_quantiles.csv: e.g. the p90 of a duration), one row per experiment x metric x quantile x configured variant, from the users' metric values: the order-statistic quantile, its distribution-free interval and, against control, the relative lift of the quantile with a conservative (outer) interval, and for guardrail quantiles the guardrail status. See docs/experiments.md."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.experiment_key as varchar), '') || '|' || coalesce(cast(${TABLE}.metric_key as varchar), '') || '|' || coalesce(cast(${TABLE}.quantile_level as varchar), '') || '|' || coalesce(cast(${TABLE}.variant as varchar), '') ;;
    description: "Compound primary key: experiment_key, metric_key, quantile_level, variant."
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

  dimension: quantile_level {
    type: number
    sql: ${TABLE}.quantile_level ;;
    description: "The quantile compared, 0.5 = median, 0.9 = p90 (part of the primary key)."
  }

  dimension: variant {
    type: string
    sql: ${TABLE}.variant ;;
    description: "Variant (part of the primary key)."
  }

  dimension: is_control {
    type: yesno
    sql: ${TABLE}.is_control ;;
    description: "True on the control variant's rows."
  }

  dimension: is_guardrail {
    type: yesno
    sql: ${TABLE}.is_guardrail ;;
    description: "True when the quantile is a guardrail (seeds/experiment_quantiles.csv)."
  }

  dimension: metric_direction {
    type: string
    sql: ${TABLE}.metric_direction ;;
    description: "increase or decrease, the metric's good direction (seeds/experiment_metrics.csv)."
  }

  dimension: non_inferiority_margin {
    type: number
    sql: ${TABLE}.non_inferiority_margin ;;
    description: "Largest accepted deterioration of the quantile as a guardrail, relative (0.02 = 2%)."
  }

  dimension: guardrail_status {
    type: string
    sql: ${TABLE}.guardrail_status ;;
    description: "On treatment rows of guardrail quantiles: ok (the conservative interval of rel_lift rules out a deterioration of the quantile beyond the margin), breached (the quantile is significantly worse and its estimated deterioration exceeds the margin) or inconclusive; null elsewhere (and when the lift or its worst bound is null). The rule of the mean guardrails (macro guardrail_status)."
  }

  dimension: guardrail_breached {
    type: yesno
    sql: ${TABLE}.guardrail_breached ;;
    description: "True when guardrail_status = breached (stop or fix the variant); false elsewhere."
  }

  dimension: users {
    type: number
    sql: ${TABLE}.users ;;
    description: "Analysed users of the variant with a complete metric window (0 when none)."
  }

  dimension: quantile_value {
    type: number
    sql: ${TABLE}.quantile_value ;;
    description: "The quantile of the users' values in the variant, the order statistic x_(k) with k = ceil(users x quantile_level)."
  }

  dimension: quantile_ci_low {
    type: number
    sql: ${TABLE}.quantile_ci_low ;;
    description: "Lower bound of the distribution-free confidence interval (default 95%) of the quantile, an order statistic; null when the variant has too few users for the level."
  }

  dimension: quantile_ci_high {
    type: number
    sql: ${TABLE}.quantile_ci_high ;;
    description: "Upper bound of the distribution-free confidence interval of the quantile."
  }

  dimension: rel_lift {
    type: number
    sql: ${TABLE}.rel_lift ;;
    description: "quantile_value / control quantile_value - 1; null on control rows or when the control quantile is 0."
  }

  dimension: rel_lift_ci_low {
    type: number
    sql: ${TABLE}.rel_lift_ci_low ;;
    description: "Lower bound of the conservative interval of rel_lift: the arms' intervals at 1 - alpha/2 each, variant low / control high - 1; null unless the control bound is positive."
  }

  dimension: rel_lift_ci_high {
    type: number
    sql: ${TABLE}.rel_lift_ci_high ;;
    description: "Upper bound of the conservative interval of rel_lift, variant high / control low - 1."
  }

  measure: count {
    type: count
    description: "Rows of rpt_experiment_quantile_results."
  }
}
