view: fct_sessions {
  sql_table_name: marts.fct_sessions ;;
  description: "One row per session of a person: a stitched user (their identified events plus the pre-signup anonymous events of their devices) or a device never identified. A new session starts after session_inactivity_minutes (default 30) without an event (a gap of exactly that length starts a new one); uninterrupted activity longer than session_max_minutes (default 720, bots) is cut into sessions of that length, flagged is_capped. Incremental (strategy replace_from, see the model header), equal to a full rebuild (tests/test_marts_equivalence.py)."

  dimension: session_key {
    type: string
    sql: ${TABLE}.session_key ;;
    primary_key: yes
    hidden: yes
    description: "Deterministic session key, hash of session_owner_id and first_event_id (primary key)."
  }

  dimension: session_owner_id {
    type: string
    sql: ${TABLE}.session_owner_id ;;
    hidden: yes
    description: "The person the session belongs to, user_id when known, else anonymous_id."
  }

  dimension: user_id {
    type: string
    sql: ${TABLE}.user_id ;;
    hidden: yes
    description: "The stitched user; null for sessions of never-identified devices."
  }

  dimension: is_anonymous {
    type: yesno
    sql: ${TABLE}.is_anonymous ;;
    description: "True when the session belongs to a device never seen with a user_id."
  }

  dimension: anonymous_id {
    type: string
    sql: ${TABLE}.anonymous_id ;;
    hidden: yes
    description: "Device/browser id on the session's first event, if any."
  }

  dimension: duration_seconds {
    type: number
    sql: ${TABLE}.duration_seconds ;;
    description: "session_end_at - session_start_at in seconds (0 for a one-event session)."
  }

  dimension: event_count {
    type: number
    sql: ${TABLE}.event_count ;;
    description: "Events in the session."
  }

  dimension: first_event_id {
    type: string
    sql: ${TABLE}.first_event_id ;;
    hidden: yes
    description: "event_id of the session's first event (by event_at, then event_id)."
  }

  dimension: first_page_path {
    type: string
    sql: ${TABLE}.first_page_path ;;
    description: "path property of the session's first page_view; null when it had none."
  }

  dimension: utm_source {
    type: string
    sql: ${TABLE}.utm_source ;;
    description: "utm_source of the session's first event carrying any utm_* property."
  }

  dimension: utm_medium {
    type: string
    sql: ${TABLE}.utm_medium ;;
    description: "utm_medium of that same first UTM-tagged event."
  }

  dimension: utm_campaign {
    type: string
    sql: ${TABLE}.utm_campaign ;;
    description: "utm_campaign of that same first UTM-tagged event."
  }

  dimension: platform {
    type: string
    sql: ${TABLE}.platform ;;
    description: "Platform of the session's first event that had one."
  }

  dimension: is_capped {
    type: yesno
    sql: ${TABLE}.is_capped ;;
    description: "True when the activity the session belongs to lasted longer than session_max_minutes and was cut."
  }

  dimension: max_load_id {
    type: number
    sql: ${TABLE}.max_load_id ;;
    hidden: yes
    description: "Highest fct_events load_id among the session's events (lineage; incremental runs select by the run limits, int_run_limits)."
  }

  dimension_group: session_start {
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
    sql: ${TABLE}.session_start_at ;;
    convert_tz: no
    description: "Time of the session's first event, UTC."
  }

  dimension_group: session_end {
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
    sql: ${TABLE}.session_end_at ;;
    convert_tz: no
    description: "Time of the session's last event, UTC."
  }

  dimension_group: session {
    type: time
    timeframes: [
      raw,
      date,
      week,
      month,
      quarter,
      year,
    ]
    sql: ${TABLE}.session_date ;;
    convert_tz: no
    datatype: date
    description: "UTC date of session_start_at."
  }

  dimension_group: activity_started {
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
    sql: ${TABLE}.activity_started_at ;;
    convert_tz: no
    description: "Start of the uninterrupted activity the session was cut from; equals session_start_at unless is_capped. The incremental recompute starts there."
  }

  measure: count {
    type: count
    description: "Rows of fct_sessions."
  }

  measure: session_count {
    type: number
    sql: count(${TABLE}.session_key) ;;
    description: "Sessions. (from the dbt semantic layer)"
  }

  measure: session_duration_median {
    type: median
    sql: ${TABLE}.duration_seconds ;;
    description: "Median of duration_seconds (continuous). (from the dbt semantic layer)"
  }

  measure: session_duration_p90 {
    type: percentile
    sql: ${TABLE}.duration_seconds ;;
    percentile: 90
    description: "90th percentile of duration_seconds (continuous). (from the dbt semantic layer)"
  }

  measure: session_events {
    type: sum
    sql: ${TABLE}.event_count ;;
    description: "Events in sessions. (from the dbt semantic layer)"
  }
}
