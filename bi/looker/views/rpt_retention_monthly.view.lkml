view: rpt_retention_monthly {
  sql_table_name: marts.rpt_retention_monthly ;;
  description: "Monthly cohort retention: users grouped by the UTC calendar month of their first activity day; for every later month up to the last month with data, how many were active. Zeros included."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.cohort_month as varchar), '') || '|' || coalesce(cast(${TABLE}.months_since_cohort as varchar), '') ;;
    description: "Compound primary key: cohort_month, months_since_cohort."
  }

  dimension: months_since_cohort {
    type: number
    sql: ${TABLE}.months_since_cohort ;;
    description: "Whole calendar months from cohort_month to month_start; 0 is the cohort's own month (part of the primary key)."
  }

  dimension: cohort_size {
    type: number
    sql: ${TABLE}.cohort_size ;;
    description: "Users whose first activity day falls in cohort_month."
  }

  dimension: active_users {
    type: number
    sql: ${TABLE}.active_users ;;
    description: "Users of the cohort active in the month."
  }

  dimension: retention_rate {
    type: number
    sql: ${TABLE}.retention_rate ;;
    description: "active_users / cohort_size (1.0 in month 0)."
  }

  dimension: is_period_complete {
    type: yesno
    sql: ${TABLE}.is_period_complete ;;
    description: "True when the measured month lies wholly within the data's coverage (int_data_coverage: it starts on or after the first event date and ends by the last); false for a month still running (its rate is understated) and for a cohort's own month cut by the start of the data."
  }

  dimension: is_cohort_complete {
    type: yesno
    sql: ${TABLE}.is_cohort_complete ;;
    description: "True when the cohort's month starts on or after the first event date loaded (int_data_coverage); false for a cohort cut by the start of the data, which holds users active before it and only part of the month's newcomers."
  }

  dimension_group: cohort_month {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.cohort_month ;;
    convert_tz: no
    datatype: date
    description: "First day of the month of the users' first activity day (part of the primary key)."
  }

  dimension_group: month_start {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.month_start ;;
    convert_tz: no
    datatype: date
    description: "First day of the month measured."
  }

  measure: count {
    type: count
    description: "Rows of rpt_retention_monthly."
  }
}
