view: rpt_retention_weekly {
  sql_table_name: marts.rpt_retention_weekly ;;
  description: "Weekly cohort retention: users grouped by the UTC calendar week (Monday start) of their first activity day; for every later week up to the last week with data, how many were active (at least one activity event, see var activity_event_names). Zeros included."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.cohort_week as varchar), '') || '|' || coalesce(cast(${TABLE}.weeks_since_cohort as varchar), '') ;;
    description: "Compound primary key: cohort_week, weeks_since_cohort."
  }

  dimension: weeks_since_cohort {
    type: number
    sql: ${TABLE}.weeks_since_cohort ;;
    description: "Whole calendar weeks from cohort_week to week_start; 0 is the cohort's own week (part of the primary key)."
  }

  dimension: cohort_size {
    type: number
    sql: ${TABLE}.cohort_size ;;
    description: "Users whose first activity day falls in cohort_week."
  }

  dimension: active_users {
    type: number
    sql: ${TABLE}.active_users ;;
    description: "Users of the cohort active in the week."
  }

  dimension: retention_rate {
    type: number
    sql: ${TABLE}.retention_rate ;;
    description: "active_users / cohort_size (1.0 in week 0)."
  }

  dimension: is_period_complete {
    type: yesno
    sql: ${TABLE}.is_period_complete ;;
    description: "False for a week that ends after the last day with data (its rate is understated)."
  }

  dimension_group: cohort_week {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.cohort_week ;;
    convert_tz: no
    datatype: date
    description: "Monday of the week of the users' first activity day (part of the primary key)."
  }

  dimension_group: week_start {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.week_start ;;
    convert_tz: no
    datatype: date
    description: "Monday of the week measured."
  }

  measure: count {
    type: count
    description: "Rows of rpt_retention_weekly."
  }
}
