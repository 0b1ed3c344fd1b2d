view: fct_workspace_mrr_daily {
  sql_table_name: marts.fct_workspace_mrr_daily ;;
  description: "MRR per workspace and UTC day from the subscription events: the mrr_cents of the workspace's last subscription event on or before that day. One row per workspace and day from its first subscription event to the last day with activity data, canceled days included with 0."

  dimension: primary_key {
    type: string
    primary_key: yes
    hidden: yes
    sql: coalesce(cast(${TABLE}.workspace_id as varchar), '') || '|' || coalesce(cast(${TABLE}.mrr_date as varchar), '') ;;
    description: "Compound primary key: workspace_id, mrr_date."
  }

  dimension: workspace_id {
    type: string
    sql: ${TABLE}.workspace_id ;;
    hidden: yes
    description: "Workspace (part of the primary key)."
  }

  dimension: plan {
    type: string
    sql: ${TABLE}.plan ;;
    description: "Plan in force at the end of the day."
  }

  dimension: seats {
    type: number
    sql: ${TABLE}.seats ;;
    description: "Seats in force at the end of the day."
  }

  dimension: mrr_cents {
    type: number
    sql: ${TABLE}.mrr_cents ;;
    description: "MRR at the end of the day, in cents (0 when canceled)."
  }

  dimension: currency {
    type: string
    sql: ${TABLE}.currency ;;
    description: "Currency of mrr_cents."
  }

  dimension: is_paying {
    type: yesno
    sql: ${TABLE}.is_paying ;;
    description: "True when mrr_cents > 0."
  }

  dimension: has_subscription_event {
    type: yesno
    sql: ${TABLE}.has_subscription_event ;;
    description: "True on days with at least one subscription event of the workspace."
  }

  dimension_group: mrr {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.mrr_date ;;
    convert_tz: no
    datatype: date
    description: "UTC day (part of the primary key)."
  }

  measure: count {
    type: count
    description: "Rows of fct_workspace_mrr_daily."
  }

  measure: total_mrr_cents {
    type: sum
    sql: ${TABLE}.mrr_cents ;;
    description: "MRR in cents at the end of the last day of the period. Semi-additive over mrr_date: filter mrr_date to one day (e.g. a month end). (from the dbt semantic layer)"
  }

  measure: paying_workspaces_end {
    type: count_distinct
    sql: case when ${TABLE}.is_paying then ${TABLE}.workspace_id end ;;
    description: "Workspaces with MRR > 0 on the last day of the period. Semi-additive over mrr_date: filter mrr_date to one day (e.g. a month end). (from the dbt semantic layer)"
  }
}
