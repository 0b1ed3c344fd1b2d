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
    description: "True when the measured week lies wholly within the data's coverage (int_data_coverage: it starts on or after the first event date and ends by the last); false for a week still running (its rate is understated) and for a cohort's own week cut by the start of the data."
  }

  dimension: is_cohort_complete {
    type: yesno
    sql: ${TABLE}.is_cohort_complete ;;
    description: "True when the cohort's week starts on or after the first event date loaded (int_data_coverage); false for a cohort cut by the start of the data, which holds users active before it and only part of the week's newcomers."
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
