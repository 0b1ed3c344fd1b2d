view: rpt_active_users_daily {
  sql_table_name: marts.rpt_active_users_daily ;;
  description: "Active identified users per UTC day, one row per day from the first to the last event date in fct_events (days without activity included, with zeros). Only events that carry a user_id count. Windows end on, and include, activity_date; their lengths are the vars wau_window_days (7) and mau_window_days (28: four whole weeks, so the ratio has no weekday bias)."

  dimension: dau {
    type: number
    sql: ${TABLE}.dau ;;
    description: "Distinct users with an event on activity_date."
  }

  dimension: wau {
    type: number
    sql: ${TABLE}.wau ;;
    description: "Distinct users with an event in the 7 days ending on activity_date."
  }

  dimension: mau {
    type: number
    sql: ${TABLE}.mau ;;
    description: "Distinct users with an event in the 28 days ending on activity_date."
  }

  dimension: stickiness_dau_mau {
    type: number
    sql: ${TABLE}.stickiness_dau_mau ;;
    description: "dau / mau; null when mau is 0."
  }

  dimension: is_mau_window_complete {
    type: yesno
    sql: ${TABLE}.is_mau_window_complete ;;
    description: "False for the first 27 days of data, whose 28-day window starts before the first event date (wau and mau are understated there)."
  }

  dimension_group: activity {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.activity_date ;;
    convert_tz: no
    datatype: date
    description: "UTC day (primary key)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_active_users_daily."
  }
}
