view: rpt_funnel_conversion {
  sql_table_name: marts.rpt_funnel_conversion ;;
  description: "Funnel conversion per funnel (seed funnel_steps), start date and step. An entry is a stitched user's first step-1 event of a UTC day; step k counts when the user's earliest step-k event follows the event that reached step k - 1 and is no later than entry time + conversion_window_hours (the edge counts). Incremental by funnel_start_date (start dates from the earliest changed day minus the longest window are rebuilt)."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.funnel_key as varchar), '') || '|' || coalesce(cast(${TABLE}.funnel_start_date as varchar), '') || '|' || coalesce(cast(${TABLE}.step_number as varchar), '') ;;
    description: "Compound primary key: funnel_key, funnel_start_date, step_number."
  }

  dimension: funnel_key {
    type: string
    sql: ${TABLE}.funnel_key ;;
    description: "Funnel (part of the primary key)."
  }

  dimension: step_number {
    type: number
    sql: ${TABLE}.step_number ;;
    description: "Step, 1 = entry (part of the primary key)."
  }

  dimension: event_name {
    type: string
    sql: ${TABLE}.event_name ;;
    description: "The step's event name."
  }

  dimension: reached_users {
    type: number
    sql: ${TABLE}.reached_users ;;
    description: "Users who entered that day and reached the step in order within the window."
  }

  dimension: started_users {
    type: number
    sql: ${TABLE}.started_users ;;
    description: "Users who entered the funnel that day (reached_users of step 1)."
  }

  dimension: conversion_from_start {
    type: number
    sql: ${TABLE}.conversion_from_start ;;
    description: "reached_users / started_users."
  }

  dimension: conversion_from_previous {
    type: number
    sql: ${TABLE}.conversion_from_previous ;;
    description: "reached_users / reached_users of the previous step; null for step 1 or when it is 0."
  }

  dimension: is_window_complete {
    type: yesno
    sql: ${TABLE}.is_window_complete ;;
    description: "True when every entry of the start date has had its whole conversion window within the data's coverage (funnel_start_date + 1 day + conversion_window_hours <= the end of int_data_coverage.last_event_date); false for later start dates, whose conversion is understated."
  }

  dimension: max_load_id {
    type: number
    sql: ${TABLE}.max_load_id ;;
    hidden: yes
    description: "Highest fct_events load_id among the events reaching the step (lineage; null when none)."
  }

  dimension_group: funnel_start {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.funnel_start_date ;;
    convert_tz: no
    datatype: date
    description: "UTC date of the entries (part of the primary key)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_funnel_conversion."
  }
}
