{#-
    One row per event_id: the earliest arrival of every event (see macros/utils/event_precedence.sql).

    Full refresh: rank all staged rows per event_id and keep the first. Incremental: the rows
    of this run's loads (int_run_limits) are ranked together with the stored rows of the same
    event_ids and the winner replaces what the table held (delete+insert on event_id); both
    give the same table (tests/dbt/assert_fct_events_matches_full_refresh.sql). The stored
    rows are looked up from min(event_at of the new rows) - lookback_days on. Needs a full
    refresh: raw rows deleted or rewritten in place (e.g. a batch reloaded under its old
    load_id), or a duplicate whose ts moved back by more than lookback_days.
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

deduplicated as (

    {{ deduplicated_arrivals(
        ref('stg_events'),
        columns=[
            'event_name', 'event_at', 'user_id', 'anonymous_id', 'workspace_id', 'client_session_id',
            'platform', 'app_version', 'country', 'properties', 'ts_has_offset',
        ],
        timestamp_column='event_at',
    ) }}

),

final as (

    select
        event_id,
        event_name,
        event_at,
        cast(event_at as date) as event_date,
        user_id,
        anonymous_id,
        workspace_id,
        client_session_id,
        platform,
        app_version,
        country,
        properties,
        batch_date,
        source_file,
        source_line,
        load_id,
        batch_date > cast(event_at as date) as is_late,
        ts_has_offset
    from deduplicated

)

select * from final
