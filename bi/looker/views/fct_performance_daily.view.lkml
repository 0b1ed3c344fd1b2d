view: fct_performance_daily {
  sql_table_name: marts.fct_performance_daily ;;
  description: "Client performance (the perf_timings log table, int_perf_timings) per UTC day, action, platform and app version: calls and continuous p50 / p90 / p99 of duration_ms. Incremental by day (days touched by this run's loads are rebuilt whole)."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.performance_date as varchar), '') || '|' || coalesce(cast(${TABLE}.action_name as varchar), '') || '|' || coalesce(cast(${TABLE}.platform as varchar), '') || '|' || coalesce(cast(${TABLE}.app_version as varchar), '') ;;
    description: "Compound primary key: performance_date, action_name, platform, app_version."
  }

  dimension: action_name {
    type: string
    sql: ${TABLE}.action_name ;;
    description: "Timed action (part of the primary key)."
  }

  dimension: platform {
    type: string
    sql: ${TABLE}.platform ;;
    description: "Platform, 'unknown' when not sent (part of the primary key)."
  }

  dimension: app_version {
    type: string
    sql: ${TABLE}.app_version ;;
    description: "App version, 'unknown' when not sent (part of the primary key)."
  }

  dimension: calls {
    type: number
    sql: ${TABLE}.calls ;;
    description: "perf_timing events with a numeric duration_ms."
  }

  dimension: p50_duration_ms {
    type: number
    sql: ${TABLE}.p50_duration_ms ;;
    description: "Median duration_ms."
  }

  dimension: p90_duration_ms {
    type: number
    sql: ${TABLE}.p90_duration_ms ;;
    description: "90th percentile of duration_ms."
  }

  dimension: p99_duration_ms {
    type: number
    sql: ${TABLE}.p99_duration_ms ;;
    description: "99th percentile of duration_ms."
  }

  dimension: max_load_id {
    type: number
    sql: ${TABLE}.max_load_id ;;
    hidden: yes
    description: "Highest fct_events load_id among the calls (lineage; incremental runs select by the run limits, int_run_limits)."
  }

  dimension_group: performance {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.performance_date ;;
    convert_tz: no
    datatype: date
    description: "UTC day (part of the primary key)."
  }

  measure: count {
    type: count
    description: "Rows of fct_performance_daily."
  }
}
