view: rpt_campaign_attribution_daily {
  sql_table_name: marts.rpt_campaign_attribution_daily ;;
  description: "Signups and first paid conversions (first subscription_started a user sent) credited to campaigns per conversion day, by first-touch, last-touch and linear attribution over the stitched user's touches (events with utm_* properties, pre-signup anonymous page views of their devices included) in the attribution_window_days (30) before the conversion. Conversions without touches go to the '(direct)' campaign. Each model's column sums to the number of conversions."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.conversion_date as varchar), '') || '|' || coalesce(cast(${TABLE}.conversion_type as varchar), '') || '|' || coalesce(cast(${TABLE}.utm_source as varchar), '') || '|' || coalesce(cast(${TABLE}.utm_medium as varchar), '') || '|' || coalesce(cast(${TABLE}.utm_campaign as varchar), '') ;;
    description: "Compound primary key: conversion_date, conversion_type, utm_source, utm_medium, utm_campaign."
  }

  dimension: conversion_type {
    type: string
    sql: ${TABLE}.conversion_type ;;
    description: "signup or first_paid (part of the primary key)."
  }

  dimension: utm_source {
    type: string
    sql: ${TABLE}.utm_source ;;
    description: "Touch utm_source, '(none)' when the touch had none, '(direct)' without touches (part of the primary key)."
  }

  dimension: utm_medium {
    type: string
    sql: ${TABLE}.utm_medium ;;
    description: "Touch utm_medium, '(none)' when missing or without touches (part of the primary key)."
  }

  dimension: utm_campaign {
    type: string
    sql: ${TABLE}.utm_campaign ;;
    description: "Touch utm_campaign, '(none)' when missing, '(direct)' without touches (part of the primary key)."
  }

  dimension: channel {
    type: string
    sql: ${TABLE}.channel ;;
    description: "Channel from the seed channel_groupings; 'Direct' without touches, 'Untagged' when no rule matches."
  }

  dimension: first_touch_conversions {
    type: number
    sql: ${TABLE}.first_touch_conversions ;;
    description: "Conversions whose earliest touch was this campaign."
  }

  dimension: last_touch_conversions {
    type: number
    sql: ${TABLE}.last_touch_conversions ;;
    description: "Conversions whose latest touch was this campaign."
  }

  dimension: linear_conversions {
    type: number
    sql: ${TABLE}.linear_conversions ;;
    description: "Sum of 1 / (touches of the conversion) over the campaign's touches."
  }

  dimension: is_lookback_complete {
    type: yesno
    sql: ${TABLE}.is_lookback_complete ;;
    description: "True when the conversion day's whole attribution window lies within the data's coverage (conversion_date - attribution_window_days >= int_data_coverage.first_event_date); false before, where touches older than the data are missing (first touch and '(direct)' overstated)."
  }

  dimension_group: conversion {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.conversion_date ;;
    convert_tz: no
    datatype: date
    description: "UTC date of the conversion (part of the primary key)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_campaign_attribution_daily."
  }

  measure: total_first_touch_conversions {
    type: sum
    sql: ${TABLE}.first_touch_conversions ;;
    description: "Conversions whose earliest touch was the campaign. (from the dbt semantic layer)"
  }

  measure: total_last_touch_conversions {
    type: sum
    sql: ${TABLE}.last_touch_conversions ;;
    description: "Conversions whose latest touch was the campaign. (from the dbt semantic layer)"
  }

  measure: total_linear_conversions {
    type: sum
    sql: ${TABLE}.linear_conversions ;;
    description: "Conversions shared equally over the campaign's touches. (from the dbt semantic layer)"
  }
}
