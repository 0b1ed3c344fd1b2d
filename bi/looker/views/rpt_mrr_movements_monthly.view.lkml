view: rpt_mrr_movements_monthly {
  sql_table_name: marts.rpt_mrr_movements_monthly ;;
  description: "Monthly MRR bridge (UTC calendar months), comparing each workspace's MRR at the end of the previous month with the end of this month: new, reactivation, expansion, contraction and churn; starting + movements = ending in every month (test assert_mrr_bridge_balances). Changes undone within a month net out."

  dimension: starting_mrr_cents {
    type: number
    sql: ${TABLE}.starting_mrr_cents ;;
    description: "MRR at the end of the previous month."
  }

  dimension: new_mrr_cents {
    type: number
    sql: ${TABLE}.new_mrr_cents ;;
    description: "MRR of workspaces going from 0 to paying for the first time."
  }

  dimension: reactivation_mrr_cents {
    type: number
    sql: ${TABLE}.reactivation_mrr_cents ;;
    description: "MRR of workspaces going from 0 to paying that had paid before."
  }

  dimension: expansion_mrr_cents {
    type: number
    sql: ${TABLE}.expansion_mrr_cents ;;
    description: "Increase of workspaces paying at both month ends."
  }

  dimension: contraction_mrr_cents {
    type: number
    sql: ${TABLE}.contraction_mrr_cents ;;
    description: "Decrease (negative) of workspaces paying at both month ends."
  }

  dimension: churned_mrr_cents {
    type: number
    sql: ${TABLE}.churned_mrr_cents ;;
    description: "Starting MRR (negative) of workspaces paying at the start and not at the end."
  }

  dimension: ending_mrr_cents {
    type: number
    sql: ${TABLE}.ending_mrr_cents ;;
    description: "MRR at the end of the month (last day with data for the current month)."
  }

  dimension: ending_arr_cents {
    type: number
    sql: ${TABLE}.ending_arr_cents ;;
    description: "ending_mrr_cents * 12."
  }

  dimension: paying_workspaces {
    type: number
    sql: ${TABLE}.paying_workspaces ;;
    description: "Workspaces with MRR > 0 at the end of the month."
  }

  dimension: is_month_complete {
    type: yesno
    sql: ${TABLE}.is_month_complete ;;
    description: "True when the whole month lies within the data's coverage (int_data_coverage: it starts on or after the first event date and ends by the last). A month cut by the start of the data counts workspaces already paying as new; one cut by its end reports the MRR of the last day with data as its ending MRR."
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
    description: "First day of the month (primary key)."
  }

  measure: count {
    type: count
    description: "Rows of rpt_mrr_movements_monthly."
  }

  measure: total_churned_mrr_cents {
    type: sum
    sql: ${TABLE}.churned_mrr_cents ;;
    description: "Starting MRR (negative) of workspaces paying at the start and not at the end. (from the dbt semantic layer)"
  }

  measure: total_contraction_mrr_cents {
    type: sum
    sql: ${TABLE}.contraction_mrr_cents ;;
    description: "Decrease (negative) of workspaces paying at both month ends. (from the dbt semantic layer)"
  }

  measure: total_expansion_mrr_cents {
    type: sum
    sql: ${TABLE}.expansion_mrr_cents ;;
    description: "Increase of workspaces paying at both month ends. (from the dbt semantic layer)"
  }

  measure: total_new_mrr_cents {
    type: sum
    sql: ${TABLE}.new_mrr_cents ;;
    description: "MRR of workspaces going from 0 to paying for the first time. (from the dbt semantic layer)"
  }

  measure: total_reactivation_mrr_cents {
    type: sum
    sql: ${TABLE}.reactivation_mrr_cents ;;
    description: "MRR of workspaces going from 0 to paying that had paid before. (from the dbt semantic layer)"
  }
}
