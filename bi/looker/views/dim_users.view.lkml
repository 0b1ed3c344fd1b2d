view: dim_users {
  sql_table_name: marts.dim_users ;;
  description: "One row per user_id ever seen. Measures are over the user's events including the anonymous events of devices later identified as the user (see int_user_events), so first_seen_at can be before the signup. Incremental: the users of new loads (and of newly identified devices) are recomputed from all their events."

  dimension: user_id {
    type: string
    sql: ${TABLE}.user_id ;;
    primary_key: yes
    hidden: yes
    description: "Signed-in user id (primary key)."
  }

  dimension: first_platform {
    type: string
    sql: ${TABLE}.first_platform ;;
    description: "Platform of the user's first event that had one."
  }

  dimension: country {
    type: string
    sql: ${TABLE}.country ;;
    description: "Most recent non-null country of the user's events."
  }

  dimension: utm_source {
    type: string
    sql: ${TABLE}.utm_source ;;
    description: "utm_source property of the signup event (acquisition source)."
  }

  dimension: utm_medium {
    type: string
    sql: ${TABLE}.utm_medium ;;
    description: "utm_medium property of the signup event."
  }

  dimension: utm_campaign {
    type: string
    sql: ${TABLE}.utm_campaign ;;
    description: "utm_campaign property of the signup event."
  }

  dimension: workspace_id {
    type: string
    sql: ${TABLE}.workspace_id ;;
    hidden: yes
    description: "First workspace the user was seen in."
  }

  dimension: event_count {
    type: number
    sql: ${TABLE}.event_count ;;
    description: "Number of events attributed to the user."
  }

  dimension: active_days {
    type: number
    sql: ${TABLE}.active_days ;;
    description: "Distinct UTC days with at least one event attributed to the user."
  }

  dimension: max_load_id {
    type: number
    sql: ${TABLE}.max_load_id ;;
    hidden: yes
    description: "Highest fct_events load_id among the user's events (lineage; incremental runs select by the run limits, int_run_limits)."
  }

  dimension_group: first_seen {
    type: time
    timeframes: [
      raw,
      time,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.first_seen_at ;;
    convert_tz: no
    description: "First event of the user, including pre-signup anonymous events on their devices (UTC)."
  }

  dimension_group: first_identified {
    type: time
    timeframes: [
      raw,
      time,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.first_identified_at ;;
    convert_tz: no
    description: "First event that carried the user_id itself (UTC)."
  }

  dimension_group: signed_up {
    type: time
    timeframes: [
      raw,
      time,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.signed_up_at ;;
    convert_tz: no
    description: "Time of the user's first signup event (UTC); null when no signup event was seen."
  }

  dimension_group: last_seen {
    type: time
    timeframes: [
      raw,
      time,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.last_seen_at ;;
    convert_tz: no
    description: "Last event of the user (UTC)."
  }

  dimension_group: signup {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.signup_date ;;
    convert_tz: no
    datatype: date
    description: "UTC date of signed_up_at."
  }

  measure: count {
    type: count
    description: "Rows of dim_users."
  }

  measure: signup_users {
    type: count_distinct
    sql: case when ${TABLE}.signed_up_at is not null then ${TABLE}.user_id end ;;
    description: "Signed-up users at their signup time (the base of signup_to_paid_rate). (from the dbt semantic layer)"
  }

  measure: signups {
    type: sum
    sql: case when ${TABLE}.signed_up_at is not null then 1 else 0 end ;;
    description: "Users whose first signup event falls in the period. (from the dbt semantic layer)"
  }

  measure: users_seen {
    type: number
    sql: count(${TABLE}.user_id) ;;
    description: "Users by the day of their first event. (from the dbt semantic layer)"
  }
}
