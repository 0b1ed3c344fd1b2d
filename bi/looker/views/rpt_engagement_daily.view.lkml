view: rpt_engagement_daily {
  sql_table_name: marts.rpt_engagement_daily ;;
  description: "DAU, WAU, MAU and stickiness per UTC day, overall (platform 'all') and per platform, from int_user_platform_activity_daily. Windows end on and include activity_date; lengths are the vars wau_window_days (7) and mau_window_days (28). Every day from the first to the last activity date for every platform seen, zeros included. Only identified users count. Incremental by day: every day from the earliest changed activity day on is rebuilt."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.activity_date as varchar), '') || '|' || coalesce(cast(${TABLE}.platform as varchar), '') ;;
    description: "Compound primary key: activity_date, platform."
  }

  dimension: platform {
    type: string
    sql: ${TABLE}.platform ;;
    description: "'all' for every platform together, else web, ios, android, desktop, api or unknown (part of the primary key)."
  }

  dimension: dau {
    type: number
    sql: ${TABLE}.dau ;;
    description: "Distinct users active on activity_date (on that platform)."
  }

  dimension: wau {
    type: number
    sql: ${TABLE}.wau ;;
    description: "Distinct users active in the wau_window_days days ending on activity_date."
  }

  dimension: mau {
    type: number
    sql: ${TABLE}.mau ;;
    description: "Distinct users active in the mau_window_days days ending on activity_date."
  }

  dimension: stickiness_dau_wau {
    type: number
    sql: ${TABLE}.stickiness_dau_wau ;;
    description: "dau / wau; null when wau is 0."
  }

  dimension: stickiness_dau_mau {
    type: number
    sql: ${TABLE}.stickiness_dau_mau ;;
    description: "dau / mau; null when mau is 0."
  }

  dimension: is_mau_window_complete {
    type: yesno
    sql: ${TABLE}.is_mau_window_complete ;;
    description: "True when the day's mau window (and so its wau window) starts on or after the first event date loaded (int_data_coverage); false for the first mau_window_days - 1 days of data, whose wau and mau are understated."
  }

  dimension: max_load_id {
    type: number
    sql: ${TABLE}.max_load_id ;;
    hidden: yes
    description: "Highest load_id among the activity rows in the day's mau window (null when none); lineage (incremental runs select by the run limits)."
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
    description: "UTC day (part of the primary key)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_engagement_daily."
  }
}
