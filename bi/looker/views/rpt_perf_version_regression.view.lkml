view: rpt_perf_version_regression {
  sql_table_name: marts.rpt_perf_version_regression ;;
  description: "Version-over-version p90 per action and platform over the trailing perf_regression_window_days (28) days: each app version (major.minor.patch) next to the previous version on the same action and platform; is_regression when the p90 grew by at least perf_regression_ratio (1.2x) with perf_regression_min_calls (30) calls on both versions."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.action_name as varchar), '') || '|' || coalesce(cast(${TABLE}.platform as varchar), '') || '|' || coalesce(cast(${TABLE}.app_version as varchar), '') ;;
    description: "Compound primary key: action_name, platform, app_version."
  }

  dimension: is_window_complete {
    type: yesno
    sql: ${TABLE}.is_window_complete ;;
    description: "True when the window starts on or after the first day with performance data (fct_performance_daily); false while the data is shorter than the window, whose calls and totals are then understated."
  }

  dimension: action_name {
    type: string
    sql: ${TABLE}.action_name ;;
    description: "Timed action (part of the primary key)."
  }

  dimension: platform {
    type: string
    sql: ${TABLE}.platform ;;
    description: "Platform (part of the primary key)."
  }

  dimension: app_version {
    type: string
    sql: ${TABLE}.app_version ;;
    description: "App version (part of the primary key); only major.minor.patch versions."
  }

  dimension: calls {
    type: number
    sql: ${TABLE}.calls ;;
    description: "Calls of this version in the window."
  }

  dimension: p90_duration_ms {
    type: number
    sql: ${TABLE}.p90_duration_ms ;;
    description: "90th percentile of duration_ms of this version in the window."
  }

  dimension: previous_app_version {
    type: string
    sql: ${TABLE}.previous_app_version ;;
    description: "The next lower version seen on the same action and platform; null for the lowest."
  }

  dimension: previous_calls {
    type: number
    sql: ${TABLE}.previous_calls ;;
    description: "Calls of previous_app_version in the window."
  }

  dimension: previous_p90_duration_ms {
    type: number
    sql: ${TABLE}.previous_p90_duration_ms ;;
    description: "p90 of previous_app_version in the window."
  }

  dimension: p90_change_ratio {
    type: number
    sql: ${TABLE}.p90_change_ratio ;;
    description: "p90_duration_ms / previous_p90_duration_ms."
  }

  dimension: is_regression {
    type: yesno
    sql: ${TABLE}.is_regression ;;
    description: "True when the p90 regressed by at least perf_regression_ratio with enough calls on both versions."
  }

  dimension_group: window_start {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.window_start_date ;;
    convert_tz: no
    datatype: date
    description: "First UTC day of the window."
  }

  dimension_group: window_end {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.window_end_date ;;
    convert_tz: no
    datatype: date
    description: "Last UTC day of the window."
  }

  measure: count {
    type: count
    description: "Rows of rpt_perf_version_regression."
  }
}
