view: rpt_slowest_actions {
  sql_table_name: marts.rpt_slowest_actions ;;
  description: "Slowest common actions per action and platform over the trailing perf_window_days (7) days ending on the last performance day, ranked by total_wait_seconds (the summed duration of all calls: frequency times slowness)."

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

  dimension: calls {
    type: number
    sql: ${TABLE}.calls ;;
    description: "Calls in the window."
  }

  dimension: total_wait_seconds {
    type: number
    sql: ${TABLE}.total_wait_seconds ;;
    description: "Sum of duration_ms of the calls in the window, in seconds."
  }

  dimension: p50_duration_ms {
    type: number
    sql: ${TABLE}.p50_duration_ms ;;
    description: "Median duration_ms over the window."
  }

  dimension: p90_duration_ms {
    type: number
    sql: ${TABLE}.p90_duration_ms ;;
    description: "90th percentile of duration_ms over the window."
  }

  dimension: p99_duration_ms {
    type: number
    sql: ${TABLE}.p99_duration_ms ;;
    description: "99th percentile of duration_ms over the window."
  }

  dimension: slowness_rank {
    type: number
    sql: ${TABLE}.slowness_rank ;;
    primary_key: yes
    description: "1 = most total waiting; ties broken by action_name, platform."
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
    description: "Last UTC day of the window (the last day with performance data)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_slowest_actions."
  }
}
