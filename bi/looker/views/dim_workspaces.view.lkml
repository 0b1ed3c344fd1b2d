view: dim_workspaces {
  sql_table_name: marts.dim_workspaces ;;
  description: "One row per workspace (tenant) that ever had a subscription event, from fct_workspace_mrr_daily: first subscription and first paying day, and its plan, seats and MRR on the last day with data. Source of the new_paying_workspaces metric."

  dimension: workspace_id {
    type: string
    sql: ${TABLE}.workspace_id ;;
    primary_key: yes
    hidden: yes
    description: "Workspace (primary key)."
  }

  dimension: current_plan {
    type: string
    sql: ${TABLE}.current_plan ;;
    description: "Plan in force on the last day with data."
  }

  dimension: current_seats {
    type: number
    sql: ${TABLE}.current_seats ;;
    description: "Seats in force on the last day with data."
  }

  dimension: current_mrr_cents {
    type: number
    sql: ${TABLE}.current_mrr_cents ;;
    description: "MRR on the last day with data, in cents (0 when canceled)."
  }

  dimension: is_paying {
    type: yesno
    sql: ${TABLE}.is_paying ;;
    description: "True when current_mrr_cents > 0."
  }

  dimension_group: first_subscription {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.first_subscription_date ;;
    convert_tz: no
    datatype: date
    description: "UTC day of the workspace's first subscription event."
  }

  dimension_group: first_paid {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.first_paid_date ;;
    convert_tz: no
    datatype: date
    description: "First UTC day with MRR > 0; null when the workspace never paid."
  }

  measure: count {
    type: count
    description: "Rows of dim_workspaces."
  }

  measure: new_paying_workspaces {
    type: sum
    sql: case when ${TABLE}.first_paid_date is not null then 1 else 0 end ;;
    description: "Workspaces whose first paying day falls in the period. (from the dbt semantic layer)"
  }
}
